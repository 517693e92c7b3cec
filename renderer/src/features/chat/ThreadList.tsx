// The agent's threads, newest first, and "New thread".
import type { ReactElement } from 'react';
import type { ShownError } from '../../stores/errors';
import type { ThreadSummary } from '../../stores/chat';

/** How long ago `at` (UTC ms) was, coarse: `now`, `5 min`, `3 h`, `2 d`. */
function ago(at: number, now: number): string {
  const s = Math.max(0, Math.round((now - at) / 1000));
  if (s < 60) return 'now';
  if (s < 3600) return `${Math.round(s / 60)} min`;
  if (s < 86_400) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86_400)} d`;
}

/** A list of buttons, the selected one marked `aria-current`. */
export function ThreadList({
  threads,
  selected,
  error,
  disabled,
  onSelect,
  onNew,
}: {
  threads: ThreadSummary[];
  selected: string | null;
  error: ShownError | null;
  disabled: boolean;
  onSelect: (id: string) => void;
  onNew: () => void;
}): ReactElement {
  const now = Date.now();
  return (
    <nav className="chat-threads" aria-label="Threads" data-testid="chat-thread-list">
      <button
        type="button"
        className="button button--small chat-threads__new"
        onClick={onNew}
        disabled={disabled}
        aria-current={selected === null ? 'true' : undefined}
        data-testid="chat-new-thread"
      >
        + New thread
      </button>
      {error ? (
        <p className="inline-error small" role="alert" data-testid="chat-threads-error">
          {error.message}
        </p>
      ) : null}
      <ul className="chat-threads__list">
        {threads.map((t) => (
          <li key={t.thread_id}>
            <button
              type="button"
              className="chat-threads__item"
              aria-current={t.thread_id === selected ? 'true' : undefined}
              disabled={disabled}
              title={t.title}
              onClick={() => onSelect(t.thread_id)}
              data-testid="chat-thread"
              data-thread={t.thread_id}
            >
              <span className="chat-threads__title">{t.title}</span>
              <span className="muted small">{ago(t.updated_at, now)}</span>
            </button>
          </li>
        ))}
      </ul>
    </nav>
  );
}
