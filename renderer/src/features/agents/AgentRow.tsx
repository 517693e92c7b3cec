// One row of the agents table: emoji, name, model, phase, uptime, today's usage, and the actions its phase allows.
import type { ReactElement } from 'react';
import type { Agent, AgentPhase, AgentProgress } from '../../../../contract/agents';
import { deployView, isDeploying, modelIdOf, rowActions } from '../../stores/agents';
import type { AgentPaneKind, RowBusy, UsageView } from '../../stores/agents';
import type { ShownError } from '../../stores/errors';
import { formatDuration } from '../system/llm-format';
import { useNow } from '../system/use-now';
import { DeployProgress } from './DeployProgress';
import { PhaseBadge } from './PhaseBadge';

/** What a row can ask the page to do. */
export interface RowHandlers {
  onStart: (id: string) => void;
  onStop: (id: string) => void;
  onArchive: (agent: Agent) => void;
  onLogs: (id: string) => void;
  /** Opens the shared-folder settings of the agent (omitted: no Folders button). */
  onFolders?: (agent: Agent) => void;
  /** Opens the agent's settings (system prompt, temperature, tools). */
  onSettings?: (agent: Agent) => void;
  onPane: (id: string, pane: AgentPaneKind) => void;
  onDismissError: (id: string) => void;
}

/** Time since `running_since`, ticking every second; "—" while not running. */
export function Uptime({ since, slug }: { since: number | null; slug: string }): ReactElement {
  const now = useNow(since !== null);
  if (since === null)
    return (
      <span className="muted" data-testid={`agent-uptime-${slug}`}>
        —
      </span>
    );
  return (
    <span data-testid={`agent-uptime-${slug}`} data-since={since}>
      {formatDuration(now - since)}
    </span>
  );
}

const BUSY_LABEL: Record<RowBusy, string> = {
  start: 'Starting…',
  stop: 'Stopping…',
  restart: 'Restarting…',
  archive: 'Archiving…',
  restore: 'Restoring…',
  purge: 'Purging…',
};

/** A `<tr>` for `agent` (`agent-row-<slug>`, `data-phase`), plus a second row with progress, failure or error. */
export function AgentRow({
  agent,
  progress,
  lastDeployPhase,
  busy,
  error,
  selected,
  usage,
  handlers,
}: {
  agent: Agent;
  progress: AgentProgress | undefined;
  lastDeployPhase: AgentPhase | undefined;
  busy: RowBusy | undefined;
  error: ShownError | undefined;
  /** The pane open for this agent, if any. */
  selected: AgentPaneKind | null;
  /** Today's tokens and cost, as the "Today" cell shows them. */
  usage: UsageView;
  handlers: RowHandlers;
}): ReactElement {
  const can = rowActions(agent, busy !== undefined);
  const slug = agent.slug;
  const view = deployView(agent, progress, lastDeployPhase);
  const deploying = isDeploying(agent.phase);
  const failed = agent.phase === 'failed';
  const hasDetail = deploying || failed || (error !== undefined && !error.unreachable);
  const nameId = `agent-name-${agent.id}`;
  return (
    <>
      <tr
        className={`agents-table__row${hasDetail ? ' agents-table__row--with-detail' : ''}`}
        data-testid={`agent-row-${slug}`}
        data-phase={agent.phase}
        data-id={agent.id}
      >
        <th scope="row">
          <div className="agents-table__agent">
            <span className="agent-emoji" aria-hidden="true" data-testid={`agent-emoji-${slug}`}>
              {agent.emoji}
            </span>
            <span className="agents-table__names">
              <span id={nameId} className="agents-table__name">
                {agent.name}
              </span>
              <span className="muted small">
                <code>{agent.container}</code> · {agent.runtime}
              </span>
            </span>
          </div>
        </th>
        <td>
          <code title={agent.model} data-testid={`agent-model-${slug}`}>
            {modelIdOf(agent.model)}
          </code>
          {agent.fallbacks.length > 0 ? (
            <span className="muted small" title={agent.fallbacks.join(', ')}>
              {' '}
              +{agent.fallbacks.length}
            </span>
          ) : null}
        </td>
        <td>
          <PhaseBadge phase={agent.phase} testId={`agent-phase-${slug}`} />
        </td>
        <td className="agents-table__num">
          <Uptime since={agent.phase === 'running' ? agent.running_since : null} slug={slug} />
        </td>
        <td className="agents-table__num">
          <span
            className={usage.state === 'calls' ? undefined : 'muted'}
            title={usage.title}
            data-testid={`agent-usage-${slug}`}
            data-state={usage.state}
          >
            <span aria-hidden="true">{usage.text}</span>
            <span className="visually-hidden">{usage.spoken}</span>
          </span>
        </td>
        <td className="agents-table__actions">
          <div className="row-actions" role="group" aria-labelledby={nameId}>
            {busy ? (
              <span className="muted small" aria-live="polite" data-testid={`agent-busy-${slug}`}>
                {BUSY_LABEL[busy]}
              </span>
            ) : null}
            {can.start ? (
              <button
                type="button"
                className="button button--small"
                onClick={() => handlers.onStart(agent.id)}
                data-testid={`agent-start-${slug}`}
              >
                Start
              </button>
            ) : null}
            {can.retry ? (
              <button
                type="button"
                className="button button--small button--primary"
                onClick={() => handlers.onStart(agent.id)}
                data-testid={`agent-retry-${slug}`}
              >
                Retry
              </button>
            ) : null}
            {can.stop ? (
              <button
                type="button"
                className="button button--small"
                onClick={() => handlers.onStop(agent.id)}
                data-testid={`agent-stop-${slug}`}
              >
                Stop
              </button>
            ) : null}
            {can.chat ? (
              <button
                type="button"
                className="button button--small"
                aria-pressed={selected === 'chat'}
                onClick={() => handlers.onPane(agent.id, 'chat')}
                data-testid={`agent-chat-${slug}`}
              >
                Chat
              </button>
            ) : null}
            <button
              type="button"
              className="button button--small"
              aria-pressed={selected === 'trace'}
              onClick={() => handlers.onPane(agent.id, 'trace')}
              data-testid={`agent-trace-${slug}`}
            >
              Trace
            </button>
            <button
              type="button"
              className="button button--small"
              aria-pressed={selected === 'tasks'}
              onClick={() => handlers.onPane(agent.id, 'tasks')}
              data-testid={`agent-tasks-${slug}`}
            >
              Tasks
            </button>
            <button
              type="button"
              className="button button--small"
              aria-pressed={selected === 'network'}
              onClick={() => handlers.onPane(agent.id, 'network')}
              title={`Network access: ${agent.egress.mode}`}
              data-testid={`agent-network-${slug}`}
            >
              Network
            </button>
            {handlers.onSettings && ['running', 'stopped', 'failed'].includes(agent.phase) ? (
              <button
                type="button"
                className="button button--small"
                onClick={() => handlers.onSettings?.(agent)}
                data-testid={`agent-settings-${slug}`}
              >
                Settings
              </button>
            ) : null}
            {can.logs ? (
              <button
                type="button"
                className="button button--small"
                onClick={() => handlers.onLogs(agent.id)}
                data-testid={`agent-logs-${slug}`}
              >
                Logs
              </button>
            ) : null}
            {handlers.onFolders && can.logs ? (
              <button
                type="button"
                className="button button--small"
                onClick={() => handlers.onFolders?.(agent)}
                data-testid={`agent-folders-${slug}`}
              >
                Folders
              </button>
            ) : null}
            {can.archive ? (
              <button
                type="button"
                className="button button--small"
                onClick={() => handlers.onArchive(agent)}
                data-testid={`agent-archive-${slug}`}
              >
                Archive
              </button>
            ) : null}
          </div>
        </td>
      </tr>
      {hasDetail ? (
        <tr className="agents-table__detail" data-testid={`agent-detail-${slug}`}>
          <td colSpan={6}>
            {deploying || failed ? (
              <DeployProgress agent={agent} view={view} compact={deploying} logOpen={false} />
            ) : null}
            {error && !error.unreachable ? (
              <p className="inline-error" role="alert" data-testid={`agent-error-${slug}`}>
                <code>{error.code}</code> {error.message}{' '}
                <button
                  type="button"
                  className="link-button"
                  onClick={() => handlers.onDismissError(agent.id)}
                >
                  Dismiss
                </button>
              </p>
            ) : null}
          </td>
        </tr>
      ) : null}
    </>
  );
}
