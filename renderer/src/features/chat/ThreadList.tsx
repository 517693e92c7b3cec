// The agent's threads, newest first, and "New thread".
import type { ReactElement } from 'react';
import { Time } from '../../components/Time';
import { useNow } from '../system/use-now';
import type { ShownError } from '../../stores/errors';
import type { ThreadSummary } from '../../stores/chat';

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
  const now = useNow(threads.length > 0, 30_000);
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
              <Time
                className="muted small"
                at={t.updated_at}
                now={now}
                form="ago"
                testId="chat-thread-time"
              />
            </button>
          </li>
        ))}
      </ul>
    </nav>
  );
}
