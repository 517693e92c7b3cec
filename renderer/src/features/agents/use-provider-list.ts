// The configured providers for the agents list's model notes: read once, then followed through `providers.changed`.
import { useEffect, useState } from 'react';
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
