// The Archived panel: archived agents with emoji, name, model and how long ago, with Restore and Purge.
import type { ReactElement } from 'react';
import type { Agent } from '../../../../contract/agents';
import { Time } from '../../components/Time';
import { modelIdOf } from '../../stores/agents';
import type { RowBusy } from '../../stores/agents';
import type { ShownError } from '../../stores/errors';
import { useNow } from '../system/use-now';

/**
 * Archived agents (`archived-row-<id>`, `data-slug`), most recent first. Restore brings one back (the
 * core picks `<slug>-2` … when the name is taken); Purge asks `onPurge` to confirm first. The relative
 * time is refreshed every 30 s.
 */
export function ArchivedPanel({
  agents,
  busy,
  errors,
  onRestore,
  onPurge,
}: {
  agents: readonly Agent[];
  busy: Record<string, RowBusy>;
  errors: Record<string, ShownError>;
  onRestore: (id: string) => void;
  onPurge: (agent: Agent) => void;
}): ReactElement {
  const now = useNow(agents.length > 0, 30_000);
  return (
    <section className="card" aria-labelledby="archived-title" data-testid="archived-panel">
      <h2 id="archived-title" className="card__title">
        Archived <span className="count">{agents.length}</span>
      </h2>
      {agents.length === 0 ? (
        <p className="muted" data-testid="archived-empty">
          Nothing archived. An archived agent is stopped and its key revoked; its files are kept so it can be
          restored.
        </p>
      ) : (
        <ul className="archived-list">
          {agents.map((a) => {
            const doing = busy[a.id];
            const error = errors[a.id];
            return (
              <li key={a.id} className="archived" data-testid={`archived-row-${a.id}`} data-slug={a.slug}>
                <span className="agent-emoji agent-emoji--small" aria-hidden="true">
                  {a.emoji}
                </span>
                <div className="archived__text">
                  <span className="archived__name" id={`archived-name-${a.id}`}>
                    {a.name}
                  </span>
                  <span className="muted small">
                    <code title={a.model}>{modelIdOf(a.model)}</code> · archived{' '}
                    {a.archived_at !== null ? (
                      <Time at={a.archived_at} now={now} form="ago" testId={`archived-when-${a.id}`} />
                    ) : (
                      'at an unknown time'
                    )}
                  </span>
                  {error && !error.unreachable ? (
                    <p className="inline-error" role="alert" data-testid={`archived-error-${a.id}`}>
                      <code>{error.code}</code> {error.message}
                    </p>
                  ) : null}
                </div>
                <div className="row-actions" role="group" aria-labelledby={`archived-name-${a.id}`}>
                  <button
                    type="button"
                    className="button button--small"
                    onClick={() => onRestore(a.id)}
                    disabled={doing !== undefined}
                    aria-busy={doing === 'restore'}
                    data-testid={`archived-restore-${a.id}`}
                  >
                    {doing === 'restore' ? 'Restoring…' : 'Restore'}
                  </button>
                  <button
                    type="button"
                    className="button button--small button--danger"
                    onClick={() => onPurge(a)}
                    disabled={doing !== undefined}
                    aria-busy={doing === 'purge'}
                    data-testid={`archived-purge-${a.id}`}
                  >
                    {doing === 'purge' ? 'Purging…' : 'Purge'}
                  </button>
                </div>
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}
