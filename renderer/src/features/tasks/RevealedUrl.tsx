// The webhook URL with its secret, shown once after a task is added or given a new secret.
import type { ReactElement } from 'react';
import { useCopy } from '../../components/use-copy';
import { tasksStore, useTasks } from './store';

/** A notice with the URL, a Copy button and how to call it; gone once dismissed. */
export function RevealedUrl(): ReactElement | null {
  const revealed = useTasks((s) => s.revealed);
  const { copied, copy } = useCopy(revealed?.url ?? '');
  if (!revealed) return null;
  return (
    <section className="card task-url" role="status" data-testid="task-webhook-url">
      <h2 className="card__title">Webhook URL — shown once</h2>
      <code className="task-url__code">{revealed.url}</code>
      <p className="card__note">
        POST JSON to it:{' '}
        <code>
          curl -X POST -H 'Content-Type: application/json' -d '{'{'}"event":"test"{'}'}' {revealed.url}
        </code>
        . Anyone holding it can run the task. It listens on this machine only unless you open it in Settings.
      </p>
      <div className="row-actions">
        <button type="button" className="button button--small" onClick={copy}>
          {copied ? 'Copied' : 'Copy'}
        </button>
        <button
          type="button"
          className="button button--small"
          onClick={() => tasksStore.getState().dismissRevealed()}
        >
          Done
        </button>
      </div>
    </section>
  );
}
