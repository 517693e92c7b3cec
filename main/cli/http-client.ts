// The CLI's connection to a running core: control.json → typed contract client over HTTP.
import { createClient } from '../../contract/client';
import type { Client, Transport } from '../../contract/client';
import type { Result } from '../../contract/errors';
import { EVENT_FRAME_MAX_CHARS } from '../../contract/events';
import { readControlFile, processAlive } from '../transport/http/control-file';
import type { ControlFile } from '../transport/http/control-file';
import { coreRequest, readBody } from './core-endpoint';
import type { CoreEndpoint } from './core-endpoint';

/** Why no core could be reached, with the message to print. */
export class NotRunningError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NotRunningError';
  }
}

/** `GET /api/events` was answered with another status than 200 (`status`: 401 for a wrong token). */
export class EventStreamRefusedError extends Error {
  constructor(readonly status: number) {
    super(`GET /api/events answered HTTP ${status}`);
    this.name = 'EventStreamRefusedError';
  }
}

/** Calls that may last longer than the default deadline (a chat turn, agent operations that wait for a container). */
const LONG_CALLS_MS: Record<string, number> = {
  'agents.chat': 30 * 60_000,
  'agents.start': 5 * 60_000,
  'agents.stop': 5 * 60_000,
  'agents.restart': 5 * 60_000,
  'agents.archive': 5 * 60_000,
  'agents.restore': 5 * 60_000,
  'agents.purge': 5 * 60_000,
  'images.import': 30 * 60_000,
  'images.export': 30 * 60_000,
};

/**
 * Follows `GET /api/events` (Server-Sent Events, `event: <name>\ndata: <json>`) and calls `deliver`
 * for each event until `signal` aborts. Returns when the stream ends. An event whose data is not JSON is
 * skipped.
 * @param onOpen called once the core accepted the stream (HTTP 200), before any event: from then on
 *   no event is missed until the stream ends (a client re-reads what it holds here after a drop).
 * @throws EventStreamRefusedError when the answer is not HTTP 200 (401: the token is not this core's); Error when the stream sends more than
 *   {@link EVENT_FRAME_MAX_CHARS} characters without ending an event (the connection is closed first).
 */
export async function followEvents(
  control: CoreEndpoint,
  deliver: (name: string, payload: unknown) => void,
  signal: AbortSignal,
  onOpen?: () => void,
): Promise<void> {
  const res = await coreRequest(control, {
    method: 'GET',
    path: '/api/events',
    headers: { Accept: 'text/event-stream' },
    signal,
  });
  if (res.statusCode !== 200) {
    res.resume();
    throw new EventStreamRefusedError(res.statusCode ?? 0);
  }
  onOpen?.();
  const decoder = new TextDecoder();
  let buf = '';
  for await (const chunk of res) {
    buf += decoder.decode(chunk as Uint8Array, { stream: true });
    let end: number;
    while ((end = buf.indexOf('\n\n')) !== -1) {
      const block = buf.slice(0, end);
      buf = buf.slice(end + 2);
      const name = /^event: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (!name || !data) continue;
      let payload: unknown;
      try {
        payload = JSON.parse(data);
      } catch {
        continue; // one unreadable event is skipped, the stream goes on
      }
      deliver(name, payload);
    }
    if (buf.length > EVENT_FRAME_MAX_CHARS) {
      res.destroy();
      throw new Error(
        `GET /api/events sent more than ${EVENT_FRAME_MAX_CHARS} characters without ending an event: the stream was closed`,
      );
    }
  }
}

/**
 * An HTTP {@link Transport} to the core at `control` (its URL, bearer token, and for a remote core the
 * unix socket of an SSH forward or the pinned TLS fingerprint: {@link CoreEndpoint}). Events come from
 * one SSE stream, opened on the first subscription and closed when the last listener leaves.
 * @param timeoutMs per-call deadline in ms (longer for the calls in LONG_CALLS_MS).
 */
export function httpTransport(control: CoreEndpoint, timeoutMs = 30_000): Transport {
  const listeners = new Map<string, Set<(payload: unknown) => void>>();
  let stream: AbortController | null = null;
  const count = () => [...listeners.values()].reduce((n, s) => n + s.size, 0);
  return {
    async invoke(channel: string, input: unknown): Promise<Result<unknown>> {
      const [group, method] = channel.split('.');
      const res = await coreRequest(control, {
        method: 'POST',
        path: `/api/${group ?? ''}/${method ?? ''}`,
        body: JSON.stringify(input ?? {}),
        signal: AbortSignal.timeout(Math.max(timeoutMs, LONG_CALLS_MS[channel] ?? 0)),
      });
      const text = await readBody(res);
      try {
        return JSON.parse(text) as Result<unknown>;
      } catch {
        return {
          ok: false,
          error: {
            code: 'INTERNAL',
            message: `The core answered HTTP ${res.statusCode ?? 0} without an envelope`,
          },
        };
      }
    },
    on(event, listener) {
      let set = listeners.get(event);
      if (!set) listeners.set(event, (set = new Set()));
      set.add(listener);
      if (!stream) {
        const ctl = new AbortController();
        stream = ctl;
        followEvents(
          control,
          (name, payload) => listeners.get(name)?.forEach((l) => l(payload)),
          ctl.signal,
        ).catch(() => {
          /* closed or the core went away: calls report errors themselves */
        });
      }
      return () => {
        set.delete(listener);
        if (count() === 0 && stream) {
          stream.abort();
          stream = null;
        }
      };
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
  const client = createClient(
    httpTransport({ url: control.url, token: control.token, fingerprint: control.fingerprint }),
  );
  try {
    await client.system.info({});
  } catch (err) {
    throw new NotRunningError(`Agent Desk at ${control.url} did not answer: ${(err as Error).message}`);
  }
  return { client, control };
}
