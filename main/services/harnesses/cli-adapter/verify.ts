// `GET /verify` of a CLI harness: the gateway lists the model for this key, its provider key resolves, and the CLI's API shape answers.
import type { RuntimeConfig } from '../../../../resources/agent-runtime/src/config';
import { messageOf } from '../../../../resources/agent-runtime/src/log';
import type { CliDriver } from './driver';

/** The JSON `GET /verify` answers. */
export type VerifyResult = { ok: true; model: string; models: number } | { ok: false; error: string };

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

/** GET with the key; the parsed JSON or an error naming the URL, the status and the gateway's message. */
async function getJson(url: string, key: string): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(url, {
      headers: { Authorization: `Bearer ${key}`, Accept: 'application/json' },
      signal: AbortSignal.timeout(10_000),
    });
  } catch (err) {
    throw new Error(`cannot reach the gateway at ${url}: ${messageOf(err)}`);
  }
  if (!res.ok) throw new Error(`GET ${url} answered HTTP ${res.status}: ${await errorText(res)}`);
  return res.json();
}

/**
 * Proves the inference path from inside the container: `GET /v1/models` with the virtual key lists the
 * model, `GET /v1/agentdesk/models/<model>` says it is served and its provider key resolves (as the
 * built-in runtime's verify; resources/agent-runtime/PROTOCOL.md "Verify"), then the driver's one-token
 * request in the CLI's own API shape answers (Anthropic Messages for Claude Code, Responses for Codex),
 * so a shape the gateway or LiteLLM cannot serve for this model fails the deploy, not the first turn.
 * Never throws.
 */
export async function verifyGateway(
  driver: CliDriver,
  config: Pick<RuntimeConfig, 'baseUrl' | 'apiKey' | 'model'>,
  gateway: string,
): Promise<VerifyResult> {
  try {
    const list = (await getJson(`${config.baseUrl}/models`, config.apiKey)) as { data?: { id?: unknown }[] };
    const ids = (list.data ?? []).map((m) => m.id).filter((id): id is string => typeof id === 'string');
    if (!ids.includes(config.model))
      return {
        ok: false,
        error: `model ${config.model} is not in the gateway's list for this key (${ids.length} models: ${ids.slice(0, 10).join(', ') || 'none'})`,
      };
    const path = config.model.split('/').map(encodeURIComponent).join('/');
    const status = (await getJson(`${config.baseUrl}/agentdesk/models/${path}`, config.apiKey)) as {
      served?: boolean;
      key?: string;
      provider?: string;
    };
    if (status.served !== true)
      return { ok: false, error: `model ${config.model} is not served by the app's LiteLLM proxy` };
    if (status.key === 'missing')
      return {
        ok: false,
        error: `provider ${status.provider ?? config.model.split('/')[0]} of model ${config.model} has no API key: add it in Providers`,
      };
    const shape = await driver.verifyShape(gateway, config.apiKey, config.model);
    if (shape) return { ok: false, error: shape };
    return { ok: true, model: config.model, models: ids.length };
  } catch (err) {
    return { ok: false, error: messageOf(err) };
  }
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
