// One agent's chat filling the page: threads on the left, the conversation (one scroller) with the composer
// pinned below it, and the agent's live trace in a panel on the right that the user can toggle.
import { useEffect, useState } from 'react';
import type { ReactElement, ReactNode } from 'react';
import type { Agent } from '../../../../contract/agents';
import { agentsStore } from '../../stores/agents';
import { chatAvailability, chatStore, useChat } from '../../stores/chat';
import { TracePane } from '../traces/TracePane';
import { ChatInput } from './ChatInput';
import { ChatMessages } from './ChatMessages';
import { ThreadList } from './ThreadList';

/** Where the trace panel's open state is kept for the session (tab). */
const TRACE_KEY = 'agentdesk.chat.trace';

function readTraceOpen(): boolean {
  try {
    return sessionStorage.getItem(TRACE_KEY) === '1';
  } catch {
    return false;
  }
}

function writeTraceOpen(open: boolean): void {
  try {
    sessionStorage.setItem(TRACE_KEY, open ? '1' : '0');
  } catch {
    // Without storage the panel only forgets its state on reload.
  }
}

/**
 * Opens `agent`'s chat in the chat store when shown (threads reloaded, the newest selected) and follows
 * `agents.turn` while mounted. `switcher` (the agent picker) heads the conversation, with the agent's
 * model and phase and the trace toggle. A stopped or archived agent's history is read-only: the
 * composer is disabled with the reason, and a stopped agent gets a Start button next to it. While a
 * turn runs, Stop cancels it (`agents.cancel`).
 */
export function ChatView({ agent, switcher }: { agent: Agent; switcher: ReactNode }): ReactElement {
  useEffect(() => chatStore.getState().follow(), []);
  useEffect(() => {
    void chatStore.getState().open(agent.id);
  }, [agent.id]);
  const [traceOpen, setTraceOpen] = useState(readTraceOpen);
  const s = useChat((x) => x);
  const mine = s.agentId === agent.id;
  const availability = chatAvailability(agent, mine ? s.turn : null);
  const busy = mine && s.turn !== null && (s.turn.status === 'sending' || s.turn.status === 'streaming');
  const toggleTrace = (): void => {
    writeTraceOpen(!traceOpen);
    setTraceOpen(!traceOpen);
  };
  const send = (text: string): void => void chatStore.getState().send(text);
  return (
    <div
      className={`chat-page${traceOpen ? ' chat-page--trace' : ''}`}
      data-testid="chat-pane"
      data-agent={agent.id}
      data-slug={agent.slug}
    >
      <div className="chat-page__head" data-testid="chat-header">
        {switcher}
        <span className="agent-emoji agent-emoji--small" aria-hidden="true">
          {agent.emoji}
        </span>
        <span className="chat-page__name">{agent.name}</span>
        <code className="muted small">{agent.model}</code>
        <span className="muted small" data-testid="chat-phase">
          {agent.phase}
        </span>
        <button
          type="button"
          className="button button--small chat-page__trace-toggle"
          aria-pressed={traceOpen}
          aria-controls="chat-trace-panel"
          onClick={toggleTrace}
          data-testid="chat-trace-toggle"
        >
          {traceOpen ? 'Hide trace' : 'Show trace'}
        </button>
      </div>
      <div className="chat-page__body">
        <ThreadList
          threads={mine ? s.threads : []}
          selected={mine ? s.threadId : null}
          error={mine ? s.threadsError : null}
          disabled={busy}
          onSelect={(id) => void chatStore.getState().selectThread(id)}
          onNew={() => chatStore.getState().newThread()}
        />
        <div className="chat-page__main">
          {mine && s.threadError ? (
            <p className="inline-error" role="alert" data-testid="chat-thread-error">
              {s.threadError.message}
            </p>
          ) : null}
          <ChatMessages
            messages={mine ? s.messages : []}
            turn={mine ? s.turn : null}
            loading={!mine || s.threadLoading}
            emptyText={`Say something to ${agent.name}: it can run shell commands and edit files in its workspace.`}
            onRetry={send}
            retryDisabled={!availability.ok}
          />
          <ChatInput
            agentName={agent.name}
            disabledReason={availability.ok ? null : availability.reason}
            disabledAction={
              agent.phase === 'stopped' ? (
                <button
                  type="button"
                  className="button button--small button--primary"
                  onClick={() => void agentsStore.getState().start(agent.id)}
                  data-testid="chat-start-agent"
                >
                  Start {agent.name}
                </button>
              ) : null
            }
            onSend={send}
            onStop={busy ? () => void chatStore.getState().stop() : undefined}
          />
        </div>
        {traceOpen ? (
          <aside className="chat-trace" id="chat-trace-panel" aria-label={`Trace of ${agent.name}`}>
            <TracePane agent={agent} />
          </aside>
        ) : null}
      </div>
    </div>
  );
}
