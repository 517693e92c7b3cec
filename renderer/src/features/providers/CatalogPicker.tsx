// The catalog picker: every addable type, grouped cloud / local / custom; choosing one opens the add form.
import type { ReactElement } from 'react';
import type { CatalogEntry } from '../../../../contract/providers';
import { CATALOG_GROUPS, selectCatalogGroup, useProviders } from '../../stores/providers';

export function CatalogPicker({
  selected,
  onPick,
}: {
  selected: string | null;
  onPick: (entry: CatalogEntry) => void;
}): ReactElement {
  const catalog = useProviders((s) => s.catalog);
  return (
    <section className="card" aria-labelledby="catalog-title" data-testid="catalog">
      <h2 id="catalog-title" className="card__title">
        Add a provider
      </h2>
      {CATALOG_GROUPS.map((g) => {
        const entries = selectCatalogGroup({ catalog }, g.kind);
        if (entries.length === 0) return null;
        return (
          <div
            key={g.kind}
            className="catalog-group"
            role="group"
            aria-labelledby={`catalog-${g.kind}-title`}
          >
            <h3 id={`catalog-${g.kind}-title`} className="catalog-group__title">
              {g.title}
            </h3>
            <ul className="catalog-list">
              {entries.map((e) => (
                <li key={e.type}>
                  <button
                    type="button"
                    className={`catalog-item${selected === e.type ? ' catalog-item--selected' : ''}`}
                    aria-pressed={selected === e.type}
                    onClick={() => onPick(e)}
                    data-testid={`catalog-${e.type}`}
                  >
                    {e.label}
                    {e.key === 'none' ? <span className="muted small"> · no key</span> : null}
                  </button>
                </li>
              ))}
            </ul>
          </div>
        );
      })}
    </section>
  );
}
