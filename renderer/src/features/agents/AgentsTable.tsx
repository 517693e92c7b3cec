// The table of live agents: one AgentRow per agent under column headers a screen reader announces.
import type { ReactElement } from 'react';
import { ActionsHeader } from '../../components/ActionsHeader';
import type { Agent } from '../../../../contract/agents';
import type { Provider } from '../../../../contract/providers';
import { modelHealth, providerOfModel } from '../../../../contract/provider-usage';
import { useAgents, usageView } from '../../stores/agents';
import type { AgentsState, SelectedPane } from '../../stores/agents';
import { AgentRow } from './AgentRow';
import type { RowHandlers } from './AgentRow';
import { useListedModels, useProviderList } from './use-provider-list';

/** The agents table over the window's store (progress, busy and errors per row come from it). */
export function AgentsTable({
  agents,
  selected,
  handlers,
}: {
  agents: readonly Agent[];
  selected: SelectedPane | null;
  handlers: RowHandlers;
}): ReactElement {
  const progress = useAgents((s) => s.progress);
  const lastDeployPhase = useAgents((s) => s.lastDeployPhase);
  const busy = useAgents((s) => s.busy);
  const rowErrors = useAgents((s) => s.rowErrors);
  const usage = useAgents((s) => s.usage);
  const providers = useProviderList();
  const listed = useListedModels(agents, providers);
  return (
    <AgentsTableView
      agents={agents}
      selected={selected}
      handlers={handlers}
      progress={progress}
      lastDeployPhase={lastDeployPhase}
      busy={busy}
      rowErrors={rowErrors}
      usage={usage}
      providers={providers}
      listed={listed}
    />
  );
}

/** The table from plain props (the component tests render this one). */
export function AgentsTableView({
  agents,
  selected,
  handlers,
  progress,
  lastDeployPhase,
  busy,
  rowErrors,
  usage,
  providers = null,
  listed,
}: {
  agents: readonly Agent[];
  selected: SelectedPane | null;
  handlers: RowHandlers;
  progress: AgentsState['progress'];
  lastDeployPhase: AgentsState['lastDeployPhase'];
  busy: AgentsState['busy'];
  rowErrors: AgentsState['rowErrors'];
  /** Today's totals (`traces.totals`). */
  usage: AgentsState['usage'];
  /** The configured providers, for the note beside a model whose provider is gone or failing; `null` = unknown. */
  providers?: readonly Provider[] | null;
  /** Provider id → its fetched model ids, to flag a model its provider no longer lists. */
  listed?: ReadonlyMap<string, readonly string[]>;
}): ReactElement {
  return (
    <div className="agents-table__wrap">
      <table className="agents-table">
        <thead>
          <tr>
            <th scope="col">Agent</th>
            <th scope="col">Model</th>
            <th scope="col">Phase</th>
            <th scope="col" className="agents-table__num">
              Uptime
            </th>
            <th scope="col" className="agents-table__num">
              <abbr title="Tokens and cost today (UTC)">Today</abbr>
            </th>
            <ActionsHeader />
          </tr>
        </thead>
        <tbody>
          {agents.map((a) => (
            <AgentRow
              key={a.id}
              agent={a}
              progress={progress[a.id]}
              lastDeployPhase={lastDeployPhase[a.id]}
              busy={busy[a.id]}
              error={rowErrors[a.id]}
              selected={selected?.id === a.id ? selected.pane : null}
              usage={usageView(
                usage.totals[a.id],
                usage,
                providers?.find((p) => p.id === providerOfModel(a.model))?.kind === 'local',
              )}
              health={providers ? modelHealth(a, providers, listed) : { state: 'ok' }}
              handlers={handlers}
            />
          ))}
        </tbody>
      </table>
    </div>
  );
}
