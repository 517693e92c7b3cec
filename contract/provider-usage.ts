// Which agents depend on which provider, read from their `<provider-id>/<model-id>` model names (shared by UI and CLI).
import type { Agent } from './agents';
import type { Provider } from './providers';

/** The provider id of a served model name (`<provider-id>/<model-id>`), `null` when it has no slash. */
export function providerOfModel(model: string): string | null {
  const slash = model.indexOf('/');
  return slash > 0 ? model.slice(0, slash) : null;
}

/**
 * Agents that are not archived and whose model or one of whose fallbacks is served by `providerId`,
 * in the given order (archived agents run nothing, so removing their provider breaks nothing today).
 */
export function agentsUsingProvider<A extends Pick<Agent, 'model' | 'fallbacks' | 'phase'>>(
  agents: readonly A[],
  providerId: string,
): A[] {
  return agents.filter(
    (a) => a.phase !== 'archived' && [a.model, ...a.fallbacks].some((m) => providerOfModel(m) === providerId),
  );
}

/** What is wrong with the provider behind an agent's model, for a note beside the model. */
export type ModelHealth =
  | { state: 'ok' }
  /**
   * LiteLLM does not serve the model any more, so every chat fails: its provider was removed, or the
   * provider's fetched model list no longer names it.
   */
  | { state: 'unserved'; provider: string; message: string }
  /** The provider's last check failed (`unreachable` or `error`): chats are likely to fail. */
  | { state: 'failing'; provider: string; message: string };

/**
 * The health of an agent's main model as the provider list tells it: `unserved` when its provider is
 * not configured any more, or when `listed` holds that provider's fetched model ids and the agent's
 * model is not among them; `failing` when the provider's last check was `unreachable` or `error`.
 * @param listed provider id → the model ids of its last fetched list (`providers.models`); a provider
 *   missing here (list not read yet, or never fetched) is not judged by its list.
 */
export function modelHealth(
  agent: Pick<Agent, 'model'>,
  providers: readonly Pick<Provider, 'id' | 'name' | 'status' | 'status_detail'>[],
  listed?: ReadonlyMap<string, readonly string[]>,
): ModelHealth {
  const id = providerOfModel(agent.model);
  if (id === null) return { state: 'ok' };
  const p = providers.find((x) => x.id === id);
  if (!p)
    return {
      state: 'unserved',
      provider: id,
      message: `Model no longer served: provider “${id}” was removed`,
    };
  if (p.status === 'unreachable' || p.status === 'error')
    return {
      state: 'failing',
      provider: id,
      message: `${p.name} is failing${p.status_detail ? `: ${p.status_detail}` : ''}`,
    };
  const models = listed?.get(id);
  const modelId = agent.model.slice(id.length + 1);
  if (models && !models.includes(modelId))
    return {
      state: 'unserved',
      provider: id,
      message: `Model no longer served: ${p.name} does not list “${modelId}” any more (refresh its models, or pick another model)`,
    };
  return { state: 'ok' };
}
