// Detected cards: local servers that answered and key variables found in the core's environment.
import { useState } from 'react';
import type { ReactElement } from 'react';
import type { Discovery } from '../../../../contract/providers';
import { Badge } from '../../components/Badge';
import { RefreshButton } from '../../components/RefreshButton';
import { providersStore, useProviders } from '../../stores/providers';
import type { ShownError } from '../../stores/errors';
import { ErrorLine } from './ErrorLine';

type Card =
  { kind: 'server'; server: Discovery['servers'][number] } | { kind: 'key'; key: Discovery['keys'][number] };

function AddCardButton({ card, label }: { card: Card; label: string }): ReactElement {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ShownError | null>(null);
  async function accept(): Promise<void> {
    setBusy(true);
    setError(null);
    const r = await providersStore
      .getState()
      .add(
        card.kind === 'server'
          ? { type: card.server.type, base_url: card.server.base_url }
          : { type: card.key.type, key_from_env: card.key.env_var },
      );
    setBusy(false);
    if (!r.ok) setError(r.error);
  }
  return (
    <>
      <button
        type="button"
        className="button button--primary"
        onClick={() => void accept()}
        disabled={busy}
        aria-busy={busy}
        aria-label={`Add ${label}`}
        data-testid="discovered-add"
      >
        {busy ? 'Adding…' : 'Add'}
      </button>
      {error ? <ErrorLine error={error} /> : null}
    </>
  );
}

/** The "Detected on this machine" section. Nothing is saved until a card's "Add" is pressed. */
export function DetectedCards(): ReactElement {
  const discovery = useProviders((s) => s.discovery);
  const discovering = useProviders((s) => s.discovering);
  const error = useProviders((s) => s.discoverError);
  const servers = discovery?.servers ?? [];
  const keys = discovery?.keys ?? [];

  return (
    <section className="card" aria-labelledby="detected-title" data-testid="detected">
      <div className="card__head">
        <h2 id="detected-title" className="card__title">
          Detected on this machine
        </h2>
        <RefreshButton
          onClick={() => void providersStore.getState().discover()}
          busy={discovering}
          label="Scan again"
          busyLabel="Scanning…"
          testId="discover-again"
        />
      </div>
      {error ? <ErrorLine error={error} testId="discover-error" /> : null}
      {servers.length === 0 && keys.length === 0 ? (
        <p className="muted" aria-live="polite">
          {discovering || !discovery
            ? 'Looking for local model servers and provider keys…'
            : 'No local model server answered on its usual port, and no provider key variable is set.'}
        </p>
      ) : (
        <ul className="detected-list">
          {servers.map((s) => (
            <li
              key={`server-${s.type}-${s.base_url}`}
              className="detected"
              data-testid={`discovered-${s.type}`}
            >
              <div className="detected__text">
                <strong>{s.label}</strong>
                <span className="muted small">
                  <code>{s.base_url}</code> · {s.model_count} model{s.model_count === 1 ? '' : 's'} ·{' '}
                  {s.latency_ms} ms
                </span>
              </div>
              {s.added_as ? (
                <Badge tone="ok" label={`Added as ${s.added_as}`} />
              ) : (
                <AddCardButton card={{ kind: 'server', server: s }} label={s.label} />
              )}
            </li>
          ))}
          {keys.map((k) => (
            <li key={`key-${k.type}`} className="detected" data-testid={`discovered-${k.type}`}>
              <div className="detected__text">
                <strong>{k.label}</strong>
                <span className="muted small">
                  Key found in <code>{k.env_var}</code>
                  {k.last4 ? ` · …${k.last4}` : ''}; adding imports it into the OS keychain.
                </span>
              </div>
              {k.added_as ? (
                <Badge tone="ok" label={`Added as ${k.added_as}`} />
              ) : (
                <AddCardButton card={{ kind: 'key', key: k }} label={`${k.label} from ${k.env_var}`} />
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
