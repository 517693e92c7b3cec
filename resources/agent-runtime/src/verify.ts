// `verify`: proves the inference path from inside the container (the model is listed, its key resolves, it answers a one-token completion).
import type { RuntimeConfig } from './config';
import { errorMessageOf } from './llm';
import { messageOf } from './log';

/** The one JSON line `verify` prints. */
export type VerifyResult = { ok: true; model: string; models: number } | { ok: false; error: string };

/** `GET /agentdesk/models/<model>` of the gateway (main/services/llm, PROTOCOL.md "Verify"). */
interface ModelStatus {
  id?: string;
  provider?: string;
  served?: boolean;
  key?: 'resolved' | 'missing' | 'not_needed';
}

async function getJson(url: string, apiKey: string, timeoutMs: number, stop: AbortSignal): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(url, {
      headers: { Authorization: `Bearer ${apiKey}`, Accept: 'application/json' },
      signal: AbortSignal.any([AbortSignal.timeout(timeoutMs), stop]),
    });
  } catch (err) {
    throw new Error(`cannot reach the gateway at ${url}: ${messageOf(err)}`);
  }
  if (!res.ok) throw new Error(`GET ${url} answered HTTP ${res.status}: ${await errorMessageOf(res)}`);
  try {
    return await res.json();
  } catch {
    throw new Error(`GET ${url} answered something that is not JSON`);
  }
}

/** A promise that never rejects: `get()` gives its value or throws its error (no unhandled rejection when unread). */
function settled<T>(p: Promise<T>): Promise<{ get(): T }> {
  return p.then(
    (v) => ({ get: () => v }),
    (err: unknown) => ({
      get: () => {
        throw err;
      },
    }),
  );
}

/**
 * The smallest real completion through the agent's own path (its key → gateway → LiteLLM → provider):
 * one user message, `max_tokens` 1, temperature 0, not streamed. `null` when it answered 200.
 */
async function completionProblem(
  config: Pick<RuntimeConfig, 'baseUrl' | 'apiKey' | 'model'>,
  timeoutMs: number,
  stop?: AbortSignal,
): Promise<string | null> {
  const url = `${config.baseUrl}/chat/completions`;
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { Authorization: `Bearer ${config.apiKey}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({
        model: config.model,
        messages: [{ role: 'user', content: 'Reply with OK.' }],
        max_tokens: 1,
        temperature: 0,
        stream: false,
      }),
      signal: stop ? AbortSignal.any([AbortSignal.timeout(timeoutMs), stop]) : AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    return `the model did not answer a one-token completion at ${url} within ${Math.round(timeoutMs / 1000)} s: ${messageOf(err)}`;
  }
  if (res.ok) {
    await res.arrayBuffer().catch(() => undefined);
    return null;
  }
  return `the model did not answer a one-token completion: POST ${url} answered HTTP ${res.status}: ${await errorMessageOf(res)}`;
}

/**
 * Checks, with the agent's virtual key, that `GET {baseUrl}/models` lists `model`, that
 * `GET {baseUrl}/agentdesk/models/<model>` (each `/`-separated part URL-encoded) says it is served and
 * its provider key resolves (`key` = `resolved` or `not_needed`), and that the model answers a
 * one-token completion (so "running" means the agent can think). The three requests are made at once
 * and judged in that order (the first failing check is reported). Never throws: every failure is
 * `{ok:false, error}` naming the URL, the HTTP status and the gateway's message.
 * @param timeoutMs deadline of each listing request, ms.
 * @param completionTimeoutMs deadline of the completion, ms (a local model may be busy or loading).
 * @param answerProblem the last step in place of the completion (a CLI harness's request in its own API
 *   shape): `null` when the model answered, else what failed.
 */
export async function verify(
  config: Pick<RuntimeConfig, 'baseUrl' | 'apiKey' | 'model'>,
  timeoutMs = 10_000,
  completionTimeoutMs = 60_000,
  answerProblem?: () => Promise<string | null>,
): Promise<VerifyResult> {
  // The three requests go out together (one round trip instead of three; the completion is refused by
  // the gateway or LiteLLM, at no provider's cost, when a listing check would fail); their answers are
  // judged in this order, so the first failing check is the one reported.
  // Whatever is still in flight when a check fails is aborted (the `verify` command then exits at once).
  const stop = new AbortController();
  const path = config.model.split('/').map(encodeURIComponent).join('/');
  const listing = settled(getJson(`${config.baseUrl}/models`, config.apiKey, timeoutMs, stop.signal));
  const state = settled(
    getJson(`${config.baseUrl}/agentdesk/models/${path}`, config.apiKey, timeoutMs, stop.signal),
  );
  const answer = settled(
    Promise.resolve().then(() =>
      answerProblem ? answerProblem() : completionProblem(config, completionTimeoutMs, stop.signal),
    ),
  );
  try {
    const list = (await listing).get() as { data?: unknown };
    if (!Array.isArray(list.data))
      return {
        ok: false,
        error: `GET ${config.baseUrl}/models did not answer an OpenAI model list ({data:[…]})`,
      };
    const ids = list.data
      .map((m) => (m as { id?: unknown }).id)
      .filter((id): id is string => typeof id === 'string');
    if (!ids.includes(config.model)) {
      const shown = ids.slice(0, 10).join(', ') + (ids.length > 10 ? ', …' : '');
      return {
        ok: false,
        error: `model ${config.model} is not in the gateway's list for this key (${ids.length} models: ${shown || 'none'})`,
      };
    }
    const status = (await state).get() as ModelStatus;
    if (status.served !== true)
      return { ok: false, error: `model ${config.model} is not served by the app's LiteLLM proxy` };
    if (status.key === 'missing')
      return {
        ok: false,
        error: `provider ${status.provider ?? config.model.split('/')[0]} of model ${config.model} has no API key: add it in Providers`,
      };
    if (status.key !== 'resolved' && status.key !== 'not_needed')
      return {
        ok: false,
        error: `the gateway answered an unknown key state ${JSON.stringify(status.key)} for ${config.model}`,
      };
    const problem = (await answer).get();
    if (problem) return { ok: false, error: problem };
    return { ok: true, model: config.model, models: ids.length };
  } catch (err) {
    return { ok: false, error: messageOf(err) };
  } finally {
    stop.abort();
  }
}
