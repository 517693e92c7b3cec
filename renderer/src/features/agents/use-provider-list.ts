// The configured providers for the agents list's model notes: read once, then followed through `providers.changed`.
import { useEffect, useState } from 'react';
import type { Agent } from '../../../../contract/agents';
import { providerOfModel } from '../../../../contract/provider-usage';
import type { Provider } from '../../../../contract/providers';
import { getClient } from '../../stores/client';

/**
 * The providers as `providers.list` answers and `providers.changed` pushes them; `null` until the first
 * answer (so no agent is flagged while the list is unknown). A failed read keeps `null`: the connection
 * banner covers a core that does not answer.
 */
export function useProviderList(): Provider[] | null {
  const [providers, setProviders] = useState<Provider[] | null>(null);
  useEffect(() => {
    let live = true;
    const client = getClient();
    const off = client.on('providers.changed', (e) => setProviders(e.providers));
    client.providers
      .list({})
      .then((list) => {
        if (live) setProviders((cur) => cur ?? list);
      })
      .catch(() => undefined);
    return () => {
      live = false;
      off();
    };
  }, []);
  return providers;
}

/**
 * The fetched model ids of every provider an agent's main model names: provider id → model ids, read
 * with `providers.models` and read again when that provider's list is fetched anew (`models_fetched_at`
 * changes in `providers.changed`). A provider whose list was never fetched, or whose read failed, is
 * absent, so no agent is flagged from a list nobody has.
 */
export function useListedModels(
  agents: readonly Pick<Agent, 'model' | 'phase'>[],
  providers: readonly Provider[] | null,
): ReadonlyMap<string, readonly string[]> {
  const [listed, setListed] = useState<ReadonlyMap<string, readonly string[]>>(new Map());
  // One string that changes only when a used provider or the time of its list changes.
  const wanted = (providers ?? [])
    .filter((p) => p.models_fetched_at !== null)
    .filter((p) => agents.some((a) => a.phase !== 'archived' && providerOfModel(a.model) === p.id))
    .map((p) => `${p.id}@${p.models_fetched_at}`)
    .sort()
    .join(' ');
  useEffect(() => {
    let live = true;
    const client = getClient();
    const ids = wanted ? wanted.split(' ').map((w) => w.slice(0, w.lastIndexOf('@'))) : [];
    void Promise.all(
      ids.map((id) =>
        client.providers
          .models({ id })
          .then((r): [string, string[]] | null =>
            r.fetched_at === null ? null : [id, r.models.map((m) => m.id)],
          )
          .catch(() => null),
      ),
    ).then((pairs) => {
      if (live) setListed(new Map(pairs.filter((x): x is [string, string[]] => x !== null)));
    });
    return () => {
      live = false;
    };
  }, [wanted]);
  return listed;
}
