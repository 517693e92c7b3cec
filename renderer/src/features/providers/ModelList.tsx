// The models of one provider: search box, refresh button and the time the list was fetched.
import { useEffect, useId, useMemo, useState } from 'react';
import type { ReactElement } from 'react';
import type { Provider } from '../../../../contract/providers';
import { RefreshButton } from '../../components/RefreshButton';
import { filterModels, providersStore, useProviders } from '../../stores/providers';
import { plural } from '../system/llm-format';
import { Time } from '../../components/Time';

export function ModelList({ provider }: { provider: Provider }): ReactElement {
  const id = provider.id;
  const models = useProviders((s) => s.models[id]);
  const busy = useProviders((s) => s.busy[id] === 'models');
  const [query, setQuery] = useState('');
  const searchId = useId();
  const shown = useMemo(() => filterModels(models?.models ?? [], query), [models, query]);

  // The cached list, again whenever the core says it fetched a new one.
  useEffect(() => {
    void providersStore.getState().loadModels(id);
  }, [id, provider.models_fetched_at]);

  const fetchedAt = models?.fetched_at ?? null;
  return (
    <div className="models" data-testid={`provider-models-${id}`}>
      <div className="models__bar">
        <label htmlFor={searchId} className="visually-hidden">
          Search models of {provider.name}
        </label>
        <input
          id={searchId}
          className="input models__search"
          type="search"
          placeholder="Search models"
          value={query}
          onChange={(e) => setQuery(e.target.value)}
          spellCheck={false}
          autoComplete="off"
          data-testid="model-search"
        />
        <RefreshButton
          onClick={() => void providersStore.getState().loadModels(id, true)}
          busy={busy}
          label="Refresh"
          ariaLabel={`Refresh models of ${provider.name}`}
          testId="models-refresh"
        />
        <span className="muted small" data-testid="models-fetched-at" data-fetched-at={fetchedAt ?? ''}>
          {fetchedAt ? (
            <>
              Fetched <Time at={fetchedAt} form="ago" />
            </>
          ) : (
            'Not fetched yet'
          )}
        </span>
      </div>
      {models && models.models.length > 0 ? (
        <>
          <p className="visually-hidden" aria-live="polite">
            {shown.length} of {plural(models.models.length, 'model')}
          </p>
          {shown.length > 0 ? (
            <ul className="models__list">
              {shown.map((m) => (
                <li key={m.id} className="models__item" data-testid="model-item" title={m.litellm_model}>
                  <code>{m.id}</code>
                  {m.label && m.label !== m.id ? <span className="muted small"> {m.label}</span> : null}
                </li>
              ))}
            </ul>
          ) : (
            <p className="muted small">No model matches “{query}”.</p>
          )}
        </>
      ) : (
        <p className="muted small">{busy ? 'Loading models…' : 'No models listed yet. Press Refresh.'}</p>
      )}
    </div>
  );
}
