// One added provider: status badge, key line, Test / Edit / Remove (confirmed) and its model list.
import { useEffect, useRef, useState } from 'react';
import type { ReactElement } from 'react';
import type { Agent } from '../../../../contract/agents';
import type { CatalogEntry, Provider } from '../../../../contract/providers';
import { agentsUsingProvider } from '../../../../contract/provider-usage';
import { getClient } from '../../stores/client';
import { Badge } from '../../components/Badge';
import { KeyIcon } from '../../components/Icons';
import { keyLine, providersStore, statusBadge, useProviders } from '../../stores/providers';
import { AddProviderForm } from './AddProviderForm';
import { ErrorLine } from './ErrorLine';
import { ModelList } from './ModelList';
import { Time } from '../../components/Time';

export function ProviderRow({
  provider,
  entry,
}: {
  provider: Provider;
  entry: CatalogEntry | undefined;
}): ReactElement {
  const id = provider.id;
  const busy = useProviders((s) => s.busy[id]);
  const error = useProviders((s) => s.rowErrors[id]);
  const notice = useProviders((s) => s.notices[id]);
  const [confirming, setConfirming] = useState(false);
  /** Agents using this provider, read when Remove is pressed; `null` while unknown. */
  const [users, setUsers] = useState<Agent[] | null>(null);
  const [editing, setEditing] = useState(false);
  const cancelRef = useRef<HTMLButtonElement>(null);
  const editRef = useRef<HTMLButtonElement>(null);
  const badge = statusBadge(provider);

  useEffect(() => {
    if (confirming) cancelRef.current?.focus();
  }, [confirming]);

  const closeEdit = (): void => {
    setEditing(false);
    requestAnimationFrame(() => editRef.current?.focus());
  };

  return (
    <li className="provider" data-testid={`provider-row-${id}`} aria-labelledby={`provider-${id}-name`}>
      <div className="provider__head">
        <div className="provider__title">
          <h3 id={`provider-${id}-name`} className="provider__name">
            {provider.name}
          </h3>
          <span className="muted small">
            {provider.type_label} · <code>{provider.base_url}</code>
          </span>
        </div>
        <span data-testid={`provider-status-${id}`} data-status={provider.status}>
          <Badge
            tone={busy === 'test' ? 'progress' : badge.tone}
            label={busy === 'test' ? 'Checking' : badge.label}
          />
        </span>
      </div>
      <div className="provider__meta">
        <span
          className="provider__key"
          data-testid={`provider-key-${id}`}
          data-key-state={provider.key.state}
        >
          <KeyIcon /> {keyLine(provider)}
        </span>
        {provider.status_detail ? (
          <span className="muted small" data-testid={`provider-detail-${id}`}>
            {provider.status_detail}
            {provider.checked_at ? (
              <>
                {' '}
                · checked <Time at={provider.checked_at} form="absolute" />
              </>
            ) : null}
          </span>
        ) : null}
      </div>
      <div className="provider__actions">
        <button
          type="button"
          className="button"
          onClick={() => void providersStore.getState().test(id)}
          disabled={busy !== undefined}
          aria-label={`Test ${provider.name}`}
          data-testid={`provider-test-${id}`}
        >
          Test
        </button>
        <button
          ref={editRef}
          type="button"
          className="button"
          onClick={() => setEditing((v) => !v)}
          disabled={!entry || busy !== undefined}
          aria-expanded={editing}
          aria-label={`Edit ${provider.name}`}
          data-testid={`provider-edit-${id}`}
        >
          Edit
        </button>
        <button
          type="button"
          className="button button--danger"
          onClick={() => {
            setConfirming(true);
            setUsers(null);
            getClient()
              .agents.list({})
              .then((r) => setUsers(agentsUsingProvider(r.agents, id)))
              .catch(() => setUsers([]));
          }}
          disabled={busy !== undefined || confirming}
          aria-label={`Remove ${provider.name}`}
          data-testid={`provider-remove-${id}`}
        >
          Remove
        </button>
      </div>
      {confirming ? (
        <div className="confirm" role="alertdialog" aria-labelledby={`provider-${id}-confirm`}>
          <p id={`provider-${id}-confirm`}>
            Remove <strong>{provider.name}</strong>?
            {provider.key.state === 'set' ? ' Its key is deleted from the OS keychain.' : ''}
          </p>
          {users && users.length > 0 ? (
            <div className="confirm__users" data-testid={`provider-remove-users-${id}`}>
              <p>
                {users.length === 1 ? '1 agent uses' : `${users.length} agents use`} it; their chats fail
                until they get another model:
              </p>
              <ul>
                {users.map((a) => (
                  <li key={a.id} data-testid={`provider-remove-user-${a.slug}`}>
                    {a.emoji} {a.name} <code>{a.model}</code>
                  </li>
                ))}
              </ul>
            </div>
          ) : null}
          <button
            type="button"
            className="button button--danger"
            onClick={() => {
              setConfirming(false);
              void providersStore.getState().remove(id);
            }}
            disabled={users === null}
            data-testid={`provider-remove-confirm-${id}`}
          >
            Remove
          </button>
          <button ref={cancelRef} type="button" className="button" onClick={() => setConfirming(false)}>
            Cancel
          </button>
        </div>
      ) : null}
      {notice ? (
        <div className="provider__notice" role="status" data-testid={`provider-notice-${id}`}>
          <p>{notice}</p>
          <button
            type="button"
            className="button"
            onClick={() => providersStore.getState().dismissNotice(id)}
          >
            Dismiss
          </button>
        </div>
      ) : null}
      {error ? <ErrorLine error={error} testId={`provider-error-${id}`} /> : null}
      {editing && entry ? (
        <AddProviderForm entry={entry} editing={provider} onDone={closeEdit} onCancel={closeEdit} />
      ) : null}
      <ModelList provider={provider} />
    </li>
  );
}
