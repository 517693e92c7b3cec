// One row of the agents table: emoji, name, model, phase, uptime, today's usage, and the actions its phase allows.
import type { ReactElement } from 'react';
import type { Agent, AgentPhase, AgentProgress } from '../../../../contract/agents';
import type { ModelHealth } from '../../../../contract/provider-usage';
import { deployView, isDeploying, modelIdOf, rowActions } from '../../stores/agents';
import type { AgentPaneKind, RowBusy, UsageView } from '../../stores/agents';
import type { ShownError } from '../../stores/errors';
import { formatDuration } from '../system/llm-format';
import { useNow } from '../system/use-now';
import { AgentRowActions } from './AgentRowActions';
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

/** A `<tr>` for `agent` (`agent-row-<slug>`, `data-phase`), plus a second row with progress, failure or error. */
export function AgentRow({
  agent,
  progress,
  lastDeployPhase,
  busy,
  error,
  selected,
  usage,
  health = { state: 'ok' },
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
  /** Whether the model's provider is gone or failing (a note beside the model, not a phase). */
  health?: ModelHealth;
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
                {agent.engine !== 'local' ? (
                  <span data-testid={`agent-engine-${slug}`}>
                    {' '}
                    · on {agent.engine_name}
                    {agent.member ? ` (${agent.member})` : ''}
                  </span>
                ) : null}
              </span>
            </span>
          </div>
        </th>
        <td>
          <code className="agents-table__model" title={agent.model} data-testid={`agent-model-${slug}`}>
            {modelIdOf(agent.model)}
          </code>
          {agent.fallbacks.length > 0 ? (
            <span className="muted small" title={agent.fallbacks.join(', ')}>
              {' '}
              +{agent.fallbacks.length}
            </span>
          ) : null}
          {health.state !== 'ok' ? (
            <span
              className={`agents-table__model-note agents-table__model-note--${health.state}`}
              role="note"
              data-testid={`agent-model-note-${slug}`}
              data-state={health.state}
            >
              ⚠ {health.message}
            </span>
          ) : null}
        </td>
        <td>
          <PhaseBadge phase={agent.phase} testId={`agent-phase-${slug}`} />
          {agent.engine_state === 'unreachable' ? (
            <span
              className="agents-table__model-note agents-table__model-note--failing"
              role="note"
              title={`${agent.engine_name} does not answer; the agent is kept as it is and checked again when it does`}
              data-testid={`agent-unreachable-${slug}`}
            >
              ⚠ Unreachable
            </span>
          ) : null}
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
          <AgentRowActions
            agent={agent}
            can={can}
            busy={busy}
            selected={selected}
            nameId={nameId}
            handlers={handlers}
          />
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
