// What `GET /v1/agentdesk/models/<model>` answers: is the model served by the running LiteLLM, and does its provider key resolve.
import type { Dispatcher } from 'undici';
import { gatewayErrors } from './gateway/errors';
import type { GatewayError } from './gateway/errors';
import type { GatewayTarget } from './gateway/target';
import { providerOfModel } from './litellm/config';
import type { LitellmProvider } from './litellm/config';

/** `resolved` the provider has its key; `missing` it needs one and has none; `not_needed` keyless. */
export type ProviderKeyState = 'resolved' | 'missing' | 'not_needed';

/** The answer of `GET /v1/agentdesk/models/<model>` (used by a runtime's `verify` during deploy). */
export interface ModelInfo {
  /** The model as agents name it, `<provider-id>/<model-id>`. */
  id: string;
  /** Provider id (the part before the first `/`), `null` when the name has none. */
  provider: string | null;
  /** True when the running LiteLLM lists the model in `GET /v1/models`. */
  served: boolean;
  key: ProviderKeyState;
}

/**
 * The model ids the LiteLLM of `target` lists (`GET /v1/models` with its master key).
 * @throws Error when LiteLLM does not answer within `timeoutMs` (default 10 000) or not with a model list.
 */
export async function litellmModelIds(target: GatewayTarget, timeoutMs = 10_000): Promise<string[]> {
  let res: Dispatcher.ResponseData;
  try {
    res = await target.dispatcher.request({
      origin: `http://${target.host}:${target.port}`,
      method: 'GET',
      path: '/v1/models',
      headers: { authorization: `Bearer ${target.masterKey}` },
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new Error(
      e.code === 'UND_ERR_HEADERS_TIMEOUT' || e.code === 'UND_ERR_BODY_TIMEOUT'
        ? `no answer within ${timeoutMs / 1000} s`
        : e.message,
    );
  }
  const text = await res.body.text();
  try {
    const list = JSON.parse(text) as { data?: { id?: unknown }[] };
    if (res.statusCode >= 400 || !Array.isArray(list.data)) throw new Error();
    return list.data.map((m) => m.id).filter((i): i is string => typeof i === 'string');
  } catch {
    throw new Error(`LiteLLM could not list its models (HTTP ${res.statusCode})`);
  }
}

/** What {@link describeModel} reads. */
export interface DescribeModelDeps {
  /** The ready LiteLLM, or `null`. */
  target: () => GatewayTarget | null;
  /** Why there is no ready LiteLLM (the 503 answered then). */
  unavailable: () => { message: string; retryAfterS: number | null };
  /** The key state of a provider, `null` when Agent Desk has no such provider. */
  keyState: (providerId: string) => Promise<ProviderKeyState | null>;
}

/**
 * Describes `model` for a runtime's `verify`. Errors: 503 (with Retry-After) while no LiteLLM is
 * ready, 502 when LiteLLM cannot list its models, 404 when the model is not served and its provider
 * is unknown (the message lists the served models).
 */
export async function describeModel(
  model: string,
  deps: DescribeModelDeps,
): Promise<{ info: ModelInfo } | { error: GatewayError }> {
  const target = deps.target();
  if (!target) {
    const why = deps.unavailable();
    return { error: gatewayErrors.unavailable(why.message, why.retryAfterS) };
  }
  let ids: string[];
  try {
    ids = await litellmModelIds(target);
  } catch (err) {
    return { error: gatewayErrors.upstream((err as Error).message) };
  }
  const provider = providerOfModel(model);
  const served = ids.includes(model);
  const key = provider ? await deps.keyState(provider) : null;
  if (key === null && !served)
    return {
      error: gatewayErrors.modelNotFound(
        model,
        provider ? `Agent Desk has no provider "${provider}"` : 'a model is named <provider-id>/<model-id>',
        ids,
      ),
    };
  return { info: { id: model, provider, served, key: key ?? 'resolved' } };
}

/**
 * A provider's key state as the last snapshot saw it, for sources that cannot be asked: started with
 * LiteLLM → `not_needed` (keyless) or `resolved`; left out for its key → `missing`; else `null`.
 */
export function keyStateFromSnapshot(
  snap: { providers: readonly LitellmProvider[]; notes: readonly string[] },
  providerId: string,
): Promise<ProviderKeyState | null> {
  const p = snap.providers.find((x) => x.providerId === providerId);
  if (p) return Promise.resolve(p.keyless ? 'not_needed' : 'resolved');
  const missing = snap.notes.some((n) => n.startsWith(`${providerId}: left out`));
  return Promise.resolve(missing ? 'missing' : null);
}
