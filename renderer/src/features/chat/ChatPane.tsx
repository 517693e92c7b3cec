// The chat pane of one agent: its threads, the conversation with the streaming turn, and the message box.
import { useEffect } from 'react';
import type { ReactElement } from 'react';
import type { Agent } from '../../../../contract/agents';
import { chatAvailability, chatStore, useChat } from '../../stores/chat';
import { ChatInput } from './ChatInput';
import { ChatMessages } from './ChatMessages';
import { ThreadList } from './ThreadList';

/**
 * Opens `agent`'s chat in the chat store when shown (threads reloaded, the newest selected) and follows
 * `agents.turn` while mounted. The header line repeats the agent's emoji, name, model and phase.
 */
export function ChatPane({ agent }: { agent: Agent; onClose?: () => void }): ReactElement {
  useEffect(() => chatStore.getState().follow(), []);
  useEffect(() => {
    void chatStore.getState().open(agent.id);
  }, [agent.id]);
  const s = useChat((x) => x);
  const mine = s.agentId === agent.id;
  const availability = chatAvailability(agent, mine ? s.turn : null);
  const busy = mine && s.turn !== null && (s.turn.status === 'sending' || s.turn.status === 'streaming');
  return (
    <div className="chat-pane" data-testid="chat-pane" data-agent={agent.id}>
      <div className="chat-pane__head" data-testid="chat-header">
        <span className="agent-emoji agent-emoji--small" aria-hidden="true">
          {agent.emoji}
        </span>
        <span className="chat-pane__name">{agent.name}</span>
        <code className="muted small">{agent.model}</code>
        <span className="muted small" data-testid="chat-phase">
          {agent.phase}
        </span>
      </div>
      <div className="chat-pane__body">
        <ThreadList
          threads={mine ? s.threads : []}
          selected={mine ? s.threadId : null}
          error={mine ? s.threadsError : null}
          disabled={busy}
          onSelect={(id) => void chatStore.getState().selectThread(id)}
          onNew={() => chatStore.getState().newThread()}
        />
        <div className="chat-pane__main">
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
          />
          <ChatInput
            agentName={agent.name}
            disabledReason={availability.ok ? null : availability.reason}
            onSend={(text) => void chatStore.getState().send(text)}
          />
        </div>
      </div>
    </div>
  );
}
