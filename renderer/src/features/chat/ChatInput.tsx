// The message box: Enter sends, Shift+Enter adds a line; disabled with the reason when the agent cannot chat.
import { useState } from 'react';
import type { ReactElement, ReactNode } from 'react';

/**
 * A textarea with a Send button; `disabledReason` (when set) disables both and says why, followed by
 * `disabledAction` (what fixes it, e.g. a Start button). `onStop` (given while a turn runs) adds a
 * Stop button.
 */
export function ChatInput({
  agentName,
  disabledReason,
  disabledAction,
  onSend,
  onStop,
}: {
  agentName: string;
  disabledReason: string | null;
  disabledAction?: ReactNode;
  onSend: (text: string) => void;
  onStop?: () => void;
}): ReactElement {
  const [text, setText] = useState('');
  const disabled = disabledReason !== null;
  const send = (): void => {
    if (disabled || !text.trim()) return;
    onSend(text);
    setText('');
  };
  return (
    <form
      className="chat-input"
      onSubmit={(e) => {
        e.preventDefault();
        send();
      }}
    >
      <textarea
        className="chat-input__box"
        data-testid="chat-input"
        aria-label={`Message to ${agentName}`}
        aria-describedby={disabled ? 'chat-disabled-reason' : 'chat-input-help'}
        placeholder={disabled ? '' : `Message ${agentName}`}
        rows={2}
        value={text}
        disabled={disabled}
        onChange={(e) => setText(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
            e.preventDefault();
            send();
          }
        }}
      />
      <div className="chat-input__foot">
        {disabled ? (
          <span className="chat-input__reason">
            <span id="chat-disabled-reason" className="muted small" data-testid="chat-disabled-reason">
              {disabledReason}
            </span>
            {disabledAction}
          </span>
        ) : (
          <span id="chat-input-help" className="muted small">
            Enter to send · Shift+Enter for a new line
          </span>
        )}
        <span className="chat-input__buttons">
          {onStop ? (
            <button
              type="button"
              className="button button--small button--danger"
              onClick={onStop}
              data-testid="chat-stop"
            >
              Stop
            </button>
          ) : null}
          <button
            type="submit"
            className="button button--primary button--small"
            disabled={disabled || !text.trim()}
            data-testid="chat-send"
          >
            Send
          </button>
        </span>
      </div>
    </form>
  );
}
