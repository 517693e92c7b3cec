// Providers page: detected cards, catalog picker with the add form, and the added providers with their models.
import { useEffect, useMemo, useState } from 'react';
import type { ReactElement } from 'react';
import type { CatalogEntry } from '../../../../contract/providers';
import { EmptyState } from '../../components/EmptyState';
import { ProvidersIcon } from '../../components/Icons';
import { PageHeader } from '../../components/PageHeader';
import { providersStore, useProviders } from '../../stores/providers';
import { AddProviderForm } from './AddProviderForm';
import { CatalogPicker } from './CatalogPicker';
import { DetectedCards } from './DetectedCards';
import { ErrorLine } from './ErrorLine';
import { ProviderRow } from './ProviderRow';

/** A provider checked longer ago than this is tested again when the page opens (ms). */
const RECHECK_AFTER_MS = 10_000;

/** The Providers page. Loads on open and follows `providers.changed` while shown. */
export function ProvidersPage(): ReactElement {
  const providers = useProviders((s) => s.providers);
  const catalog = useProviders((s) => s.catalog);
  const loading = useProviders((s) => s.loading);
  const loadError = useProviders((s) => s.loadError);
  const [picked, setPicked] = useState<CatalogEntry | null>(null);
  const byType = useMemo(() => new Map(catalog.map((e) => [e.type, e])), [catalog]);

  useEffect(() => {
    const store = providersStore.getState();
    const off = store.follow();
    // The last check may be old: test again on open so a server that went down shows it.
    void store.load({ recheckAfterMs: RECHECK_AFTER_MS });
    return off;
  }, []);

  const done = (): void => {
    setPicked(null);
    requestAnimationFrame(() => document.getElementById('providers-list-title')?.focus());
  };

  return (
    <>
      <PageHeader
        title="Providers"
        description="Where models come from: local model servers and cloud providers. Keys stay in the OS keychain."
      />
      {loadError ? <ErrorLine error={loadError} testId="providers-load-error" /> : null}
      <DetectedCards />
      <CatalogPicker selected={picked?.type ?? null} onPick={setPicked} />
      {picked ? (
        <AddProviderForm key={picked.type} entry={picked} onDone={done} onCancel={() => setPicked(null)} />
      ) : null}
      <section className="card" aria-labelledby="providers-list-title" data-testid="provider-list">
        <h2 id="providers-list-title" className="card__title" tabIndex={-1}>
          Added providers
        </h2>
        {providers.length > 0 ? (
          <ul className="provider-list">
            {providers.map((p) => (
              <ProviderRow key={p.id} provider={p} entry={byType.get(p.type)} />
            ))}
          </ul>
        ) : loading ? (
          <p className="muted">Loading providers…</p>
        ) : (
          <EmptyState icon={<ProvidersIcon />} title="Providers will appear here">
            <p>
              Add a detected local server or key above, or pick a provider from the catalog. Keys go to the OS
              keychain; this page only ever shows their last four characters.
            </p>
          </EmptyState>
        )}
      </section>
    </>
  );
}
