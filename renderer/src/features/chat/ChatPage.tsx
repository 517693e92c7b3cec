// The Chat page (`#/chat/<agent id>`): the chat of one agent at a time, picked with the agent switcher.
import { useMemo } from 'react';
import type { ReactElement } from 'react';
import type { Agent } from '../../../../contract/agents';
import { hashWithArg, useHashArg } from '../../app/route';
import { EmptyState } from '../../components/EmptyState';
import { ChatIcon } from '../../components/Icons';
import { selectArchivedAgents, selectLiveAgents, useAgents } from '../../stores/agents';
import { chatStore } from '../../stores/chat';
import { ChatView } from './ChatView';
import { useAgentsFollowed } from '../agents/use-agents-followed';

/** The hash that opens the chat of agent `agentId` (the agents list's Chat button goes there). */
export const chatHashFor = (agentId: string): string => hashWithArg('chat', agentId);

/** Opens the Chat page with agent `agentId` selected. */
export function openChatOf(agentId: string): void {
  window.location.hash = chatHashFor(agentId);
}

/** A select of every agent (archived ones in their own group); choosing one opens its chat. */
function AgentSwitcher({
  live,
  archived,
  selected,
}: {
  live: Agent[];
  archived: Agent[];
  selected: string;
}): ReactElement {
  const option = (a: Agent): ReactElement => (
    <option key={a.id} value={a.id}>
      {a.emoji} {a.name}
      {a.phase === 'running' || a.phase === 'archived' ? '' : ` (${a.phase})`}
    </option>
  );
  return (
    <label className="chat-switcher">
      <span className="visually-hidden">Agent</span>
      <select
        className="chat-switcher__select"
        value={selected}
        onChange={(e) => openChatOf(e.target.value)}
        data-testid="chat-agent-select"
      >
        {live.map(option)}
        {archived.length > 0 ? <optgroup label="Archived">{archived.map(option)}</optgroup> : null}
      </select>
    </label>
  );
}

/**
 * The page: follows the agents list while shown (and reloads it after a reconnect), then shows the chat
 * of the agent named in the hash — or, when none is named, of the agent whose chat was open last, else
 * the first live agent. Says so when there is no agent, or the named one no longer exists.
 */
export function ChatPage(): ReactElement {
  const agents = useAgents((s) => s.agents);
  const loaded = useAgents((s) => s.loaded);
  const arg = useHashArg();
  useAgentsFollowed();
  const live = useMemo(() => selectLiveAgents({ agents }), [agents]);
  const archived = useMemo(() => selectArchivedAgents({ agents }), [agents]);
  const last = chatStore.getState().agentId;
  const id = arg ?? (last && agents.some((a) => a.id === last) ? last : live[0]?.id);
  const agent = agents.find((a) => a.id === id);
  if (!agent)
    return (
      <div className="chat-page chat-page--empty" data-testid="chat-empty">
        {!loaded ? (
          <p className="muted">Loading the agents…</p>
        ) : (
          <EmptyState
            icon={<ChatIcon />}
            title={arg ? 'This agent no longer exists' : 'No agent to chat with'}
          >
            {arg ? 'It was purged. ' : ''}
            Create an agent on the <a href="#/agents">Agents</a> page, then chat with it here.
          </EmptyState>
        )}
      </div>
    );
  return (
    <ChatView
      agent={agent}
      switcher={<AgentSwitcher live={live} archived={archived} selected={agent.id} />}
    />
  );
}
