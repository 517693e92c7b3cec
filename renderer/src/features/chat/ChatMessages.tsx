// The conversation: stored messages, then the turn streaming in (text as it arrives, tool cards, an inline error).
import { useEffect, useRef } from 'react';
import type { ReactElement } from 'react';
import type { ChatItem, LiveTurn } from '../../stores/chat';
import { CopyButton } from './CopyButton';
import { ToolCardView } from './ToolCardView';

/** What a row may do: send a failed message again (disabled while a turn runs or the agent cannot chat). */
interface RowActions {
  onRetry?: (text: string) => void;
  retryDisabled?: boolean;
}

function Row({ item, actions }: { item: ChatItem; actions: RowActions }): ReactElement {
  switch (item.kind) {
    case 'user':
      return (
        <div className="chat-row chat-row--user">
          <CopyButton text={item.text} label="Copy the message" />
          <div
            className={`chat-msg chat-msg--user${item.failed ? ' chat-msg--failed' : ''}`}
            data-testid="chat-msg-user"
          >
            {item.text}
          </div>
        </div>
      );
    case 'assistant':
      return (
        <div className="chat-row chat-row--assistant">
          <div className="chat-msg chat-msg--assistant" data-testid="chat-msg-assistant">
            {item.text}
          </div>
          <CopyButton text={item.text} label="Copy the reply" />
        </div>
      );
    case 'tool':
      return <ToolCardView tool={item.tool} />;
    case 'error':
      return (
        <div className="inline-error chat-error" role="alert" data-testid="chat-error">
          <div>{item.message}</div>
          {item.hint ? <div className="chat-error__hint">{item.hint}</div> : null}
          {item.retry !== undefined && actions.onRetry ? (
            <div>
              <button
                type="button"
                className="button button--small"
                disabled={actions.retryDisabled}
                onClick={() => actions.onRetry?.(item.retry ?? '')}
                data-testid="chat-retry"
              >
                Retry
              </button>
            </div>
          ) : null}
        </div>
      );
    case 'notice':
      return (
        <div className="chat-notice muted small" role="status" data-testid="chat-notice">
          {item.message}
        </div>
      );
  }
}

/**
 * Every row of the thread and of the live turn, kept scrolled to the newest unless the user scrolled up.
 * The live region announces the streamed reply politely to screen readers. A failed turn's error row
 * has a Retry button calling `onRetry` with its message (none without `onRetry`).
 */
export function ChatMessages({
  messages,
  turn,
  loading,
  emptyText,
  onRetry,
  retryDisabled,
}: {
  messages: ChatItem[];
  turn: LiveTurn | null;
  loading: boolean;
  emptyText: string;
  onRetry?: (text: string) => void;
  retryDisabled?: boolean;
}): ReactElement {
  const actions: RowActions = { onRetry, retryDisabled };
  const box = useRef<HTMLDivElement>(null);
  const pinned = useRef(true);
  const size =
    messages.length +
    (turn
      ? turn.items.length + turn.items.reduce((n, i) => n + (i.kind === 'assistant' ? i.text.length : 0), 0)
      : 0);
  useEffect(() => {
    const el = box.current;
    if (el && pinned.current) el.scrollTop = el.scrollHeight;
  }, [size, turn?.status]);
  const empty = messages.length === 0 && !turn;
  return (
    <div
      className="chat-messages"
      ref={box}
      data-testid="chat-messages"
      onScroll={(e) => {
        const el = e.currentTarget;
        pinned.current = el.scrollHeight - el.scrollTop - el.clientHeight < 40;
      }}
    >
      {empty ? (
        <p className="muted chat-messages__empty">{loading ? 'Loading the thread…' : emptyText}</p>
      ) : null}
      {messages.map((m) => (
        <Row key={m.key} item={m} actions={actions} />
      ))}
      {turn ? (
        <div className="chat-turn" data-testid="chat-turn" data-status={turn.status} aria-live="polite">
          <Row item={{ kind: 'user', key: 'live-user', text: turn.text }} actions={actions} />
          {turn.items.map((m) => (
            <Row key={m.key} item={m} actions={actions} />
          ))}
          {turn.status === 'sending' || turn.status === 'streaming' ? (
            <div className="chat-typing muted small" data-testid="chat-streaming">
              <span className="badge__spinner" aria-hidden="true" />{' '}
              {turn.status === 'sending' ? 'Sending…' : 'The agent is working…'}
            </div>
          ) : null}
        </div>
      ) : null}
    </div>
  );
}
