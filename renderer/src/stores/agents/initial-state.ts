// State of the Agents page: every agent (live and archived), deploy progress, per-row work and errors, and the open pane.
import type { Agent, AgentPhase, AgentProgress, Harness } from '../../../../contract/agents';
import type { AgentDayTotals } from '../../../../contract/traces';
import type { ShownError } from '../errors';

/** An action under way on one agent. */
export type RowBusy = 'start' | 'stop' | 'restart' | 'archive' | 'restore' | 'purge';

/**
 * What the side pane next to the list shows for the selected agent (chat and trace are built by their
 * features, network — the egress policy — by the agents feature).
 */
export type AgentPaneKind = 'chat' | 'trace' | 'network' | 'tasks';

/** The agent whose chat or trace is open. */
export interface SelectedPane {
  id: string;
  pane: AgentPaneKind;
}

/** The logs dialog of one agent. */
export interface LogsState {
  id: string;
  loading: boolean;
  lines: string[];
  error: ShownError | null;
}

/** Today's model use of every live agent (`traces.totals`), for the list's last column. */
export interface UsageState {
  /** Totals by agent id; an agent missing here made no call that day (or appeared after the answer). */
  totals: Record<string, AgentDayTotals>;
  /** The UTC day (`YYYY-MM-DD`) the core totalled; `null` before the first answer. */
  day: string | null;
  /** True once an answer arrived. */
  loaded: boolean;
  /** The last refresh's failure (the last totals stay shown); `null` after a success. */
  error: ShownError | null;
}

export interface AgentsState {
  /** Every agent, newest first (as `agents.list` and `agents.changed` give them), archived ones included. */
  agents: Agent[];
  /** True once a list arrived (load or push): before that, "no agents" is not known. */
  loaded: boolean;
  loading: boolean;
  loadError: ShownError | null;
  /** `agents.changed` pushes taken so far; a slower `agents.list` answer never replaces a newer push. */
  pushes: number;
  /** The last `agents.progress` step of each agent while it deploys, by id. */
  progress: Record<string, AgentProgress>;
  /** The last deploy phase each agent was seen in, by id: tells which step a failure stopped at. */
  lastDeployPhase: Record<string, AgentPhase>;
  harnesses: Harness[];
  harnessesError: ShownError | null;
  /** Provider names by id (`providers.list`), for the model groups; ids are shown until they arrive. */
  providerNames: Record<string, string>;
  /** Per-agent action under way, by id. */
  busy: Record<string, RowBusy>;
  /** Per-agent failures of the last action, by id. */
  rowErrors: Record<string, ShownError>;
  /** The chat or trace pane open next to the list; `null` when none. */
  selected: SelectedPane | null;
  logs: LogsState | null;
  usage: UsageState;
}

export const initialAgentsState: AgentsState = {
  agents: [],
  loaded: false,
  loading: false,
  loadError: null,
  pushes: 0,
  progress: {},
  lastDeployPhase: {},
  harnesses: [],
  harnessesError: null,
  providerNames: {},
  busy: {},
  rowErrors: {},
  selected: null,
  logs: null,
  usage: { totals: {}, day: null, loaded: false, error: null },
};
