// `GET /verify` of a CLI harness: the gateway lists the model for this key, its provider key resolves, and the CLI's API shape answers.
import type { RuntimeConfig } from '../../../../resources/agent-runtime/src/config';
import { messageOf } from '../../../../resources/agent-runtime/src/log';
import { verify } from '../../../../resources/agent-runtime/src/verify';
import type { VerifyResult } from '../../../../resources/agent-runtime/src/verify';
import type { CliDriver } from './driver';

/**
 * The `error.message` of a gateway answer (OpenAI or Anthropic error shape), else `HTTP <status>` and
 * the start of the body. Never throws.
 */
export async function errorText(res: Response): Promise<string> {
  const text = await res.text().catch(() => '');
  try {
    const body = JSON.parse(text) as { error?: { message?: string } | string; message?: string };
    const m = typeof body.error === 'string' ? body.error : (body.error?.message ?? body.message);
    if (m) return m;
  } catch {
    /* not JSON */
  }
  return text.slice(0, 200) || `HTTP ${res.status}`;
}

/**
 * Proves the inference path from inside the container with the built-in runtime's checks
 * (resources/agent-runtime/PROTOCOL.md "Verify": `GET /v1/models` with the virtual key lists the model,
 * `GET /v1/agentdesk/models/<model>` says it is served and its provider key resolves), then, in place of
 * its completion, the driver's one-token request in the CLI's own API shape (Anthropic Messages for
 * Claude Code, Responses for Codex), so a shape the gateway or LiteLLM cannot serve for this model fails
 * the deploy, not the first turn. Never throws.
 */
export function verifyGateway(
  driver: CliDriver,
  config: Pick<RuntimeConfig, 'baseUrl' | 'apiKey' | 'model'>,
  gateway: string,
): Promise<VerifyResult> {
  return verify(config, 10_000, 60_000, () => driver.verifyShape(gateway, config.apiKey, config.model));
}

/**
 * POSTs one tiny request (`body`, JSON) to `url` with `headers` and a 60 s deadline.
 * @returns null on a 2xx, else why not (the URL, the status and the gateway's message).
 */
export async function tinyRequest(
  url: string,
  headers: Record<string, string>,
  body: unknown,
): Promise<string | null> {
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...headers },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(60_000),
    });
  } catch (err) {
    return `POST ${url} did not answer: ${messageOf(err)}`;
  }
  if (res.ok) {
    await res.body?.cancel();
    return null;
  }
  return `POST ${url} answered HTTP ${res.status}: ${await errorText(res)}`;
}
