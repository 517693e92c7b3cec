// The conversation: stored messages, then the turn streaming in (text as it arrives, tool cards, an inline error).
import { useEffect, useRef } from 'react';
import type { ReactElement } from 'react';
import type { ChatItem, LiveTurn } from '../../stores/chat';
import { ToolCardView } from './ToolCardView';

function Row({ item }: { item: ChatItem }): ReactElement {
  switch (item.kind) {
    case 'user':
      return (
        <div className="chat-msg chat-msg--user" data-testid="chat-msg-user">
          {item.text}
        </div>
      );
    case 'assistant':
      return (
        <div className="chat-msg chat-msg--assistant" data-testid="chat-msg-assistant">
          {item.text}
        </div>
      );
    case 'tool':
      return <ToolCardView tool={item.tool} />;
    case 'error':
      return (
        <div className="inline-error chat-error" role="alert" data-testid="chat-error">
          <div>{item.message}</div>
          {item.hint ? <div className="chat-error__hint">{item.hint}</div> : null}
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
 * The live region announces the streamed reply politely to screen readers.
 */
export function ChatMessages({
  messages,
  turn,
  loading,
  emptyText,
}: {
  messages: ChatItem[];
  turn: LiveTurn | null;
  loading: boolean;
  emptyText: string;
}): ReactElement {
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
        <Row key={m.key} item={m} />
      ))}
      {turn ? (
        <div className="chat-turn" data-testid="chat-turn" data-status={turn.status} aria-live="polite">
          <div className="chat-msg chat-msg--user" data-testid="chat-msg-user">
            {turn.text}
          </div>
          {turn.items.map((m) => (
            <Row key={m.key} item={m} />
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
