// The CLI's connection to a running core: control.json → typed contract client over HTTP.
import { createClient } from '../../contract/client';
import type { Client, Transport } from '../../contract/client';
import type { Result } from '../../contract/errors';
import { readControlFile, processAlive } from '../transport/http/control-file';
import type { ControlFile } from '../transport/http/control-file';

/** Why no core could be reached, with the message to print. */
export class NotRunningError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NotRunningError';
  }
}

/**
 * An HTTP {@link Transport} to the core at `control.url` with its bearer token.
 * @param timeoutMs per-call deadline in ms.
 */
export function httpTransport(control: Pick<ControlFile, 'url' | 'token'>, timeoutMs = 30_000): Transport {
  return {
    async invoke(channel: string, input: unknown): Promise<Result<unknown>> {
      const [group, method] = channel.split('.');
      const res = await fetch(`${control.url}/api/${group ?? ''}/${method ?? ''}`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${control.token}`, 'Content-Type': 'application/json' },
        body: JSON.stringify(input ?? {}),
        signal: AbortSignal.timeout(timeoutMs),
      });
      const text = await res.text();
      try {
        return JSON.parse(text) as Result<unknown>;
      } catch {
        return {
          ok: false,
          error: { code: 'INTERNAL', message: `The core answered HTTP ${res.status} without an envelope` },
        };
      }
    },
    on() {
      throw new Error('Events over HTTP are not used by this client');
    },
  };
}

/**
 * Connects to the core serving `home`.
 * @throws NotRunningError when there is no control.json, its process is gone, or it does not answer.
 */
export async function connect(home: string): Promise<{ client: Client; control: ControlFile }> {
  const control = readControlFile(home);
  if (!control)
    throw new NotRunningError(
      `Agent Desk is not running for ${home} (no control.json). Start it with \`agentdesk serve\`.`,
    );
  if (!processAlive(control.pid))
    throw new NotRunningError(
      `Agent Desk is not running for ${home} (process ${control.pid} has exited). Start it with \`agentdesk serve\`.`,
    );
  const client = createClient(httpTransport(control));
  try {
    await client.system.info({});
  } catch (err) {
    throw new NotRunningError(`Agent Desk at ${control.url} did not answer: ${(err as Error).message}`);
  }
  return { client, control };
}
