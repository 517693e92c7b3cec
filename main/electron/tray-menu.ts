// Pure tray model: overall state, tooltip and context-menu template from the agents and LiteLLM's status.
import type { MenuItemConstructorOptions } from 'electron';
import type { Agent, AgentPhase } from '../../contract/agents';
import type { LlmStatus } from '../../contract/llm';

/** Overall state the tray icon shows: `ok` all well, `warn` an agent failed, `down` LiteLLM or the gateway is down. */
export type TrayState = 'ok' | 'warn' | 'down';

/** The part of an agent the tray shows. */
export type TrayAgent = Pick<Agent, 'id' | 'name' | 'emoji' | 'phase' | 'phase_reason'> &
  Partial<Pick<Agent, 'engine' | 'engine_name' | 'member' | 'engine_state'>>;

/** The part of `llm.status` the tray judges. */
export type TrayLlm = {
  litellm: Pick<LlmStatus['litellm'], 'state' | 'detail'>;
  gateway: Pick<LlmStatus['gateway'], 'state' | 'detail'>;
};

/**
 * LiteLLM states that mean "models cannot be reached": crashed too often (`failed`), crashed and coming
 * back (`restarting`), or not installed while providers have models (`missing`). `idle` (no provider
 * has models), `starting` and `stopped` (shutdown) are not "down" (contract/llm.ts LitellmState).
 */
const LLM_DOWN = new Set<string>(['failed', 'restarting', 'missing']);

/** What the user can do from the tray; each is called from a menu click. */
export interface TrayActions {
  open(): void;
  startAgent(id: string): void;
  stopAgent(id: string): void;
  stopAll(): void;
  quit(): void;
  /** Attached to a remote core: forget it and open this computer's core (relaunch with `--local`). */
  useLocalCore?: () => void;
}

/** The core a desktop attached elsewhere shows: its label and whether its event stream is open now. */
export interface TrayCore {
  /** `user@host[:port]` or `host:port` (remote-core.ts `remoteLabel`). */
  label: string;
  /** `false` while the remote core cannot be reached: nothing the tray holds about it is current. */
  reachable: boolean;
}

/**
 * Overall state, worst first: `down` when a remote `core` cannot be reached, LiteLLM is
 * failed/restarting/missing or the gateway could not listen; else `warn` when an agent that is not
 * archived is `failed`; else `ok`. `core`: `null` for this computer's core.
 */
export function trayState(
  agents: readonly TrayAgent[],
  llm: TrayLlm | null,
  core: TrayCore | null = null,
): TrayState {
  if (core && !core.reachable) return 'down';
  if (llm && (LLM_DOWN.has(llm.litellm.state) || llm.gateway.state === 'error')) return 'down';
  if (agents.some((a) => a.phase === 'failed')) return 'warn';
  return 'ok';
}

/**
 * The tooltip: what is wrong first, then how many agents run, e.g. "Agent Desk — 1 agent failed · 2 of 3
 * running"; on a remote `core` "Agent Desk (deploy@server) — …", or "… — core unreachable" while it is.
 */
export function trayTooltip(
  agents: readonly TrayAgent[],
  llm: TrayLlm | null,
  core: TrayCore | null = null,
): string {
  const title = core ? `Agent Desk (${core.label})` : 'Agent Desk';
  if (core && !core.reachable) return `${title} — core unreachable`;
  const live = agents.filter((a) => a.phase !== 'archived');
  const parts: string[] = [];
  if (llm && LLM_DOWN.has(llm.litellm.state)) parts.push(`LiteLLM is ${llm.litellm.state}`);
  if (llm?.gateway.state === 'error') parts.push('the gateway is down');
  const failed = live.filter((a) => a.phase === 'failed').length;
  if (failed > 0) parts.push(`${failed} agent${failed === 1 ? '' : 's'} failed`);
  const running = live.filter((a) => a.phase === 'running').length;
  parts.push(live.length === 0 ? 'no agents' : `${running} of ${live.length} running`);
  return `${title} — ${parts.join(' · ')}`;
}

/** Phases from which the agent can be started / stopped (agent-service.ts `start` and `stop`). */
const STARTABLE: ReadonlySet<AgentPhase> = new Set(['stopped', 'failed']);
const STOPPABLE: ReadonlySet<AgentPhase> = new Set(['running', 'failed']);

/** What the tray shows of an agent's tasks: its soonest next run, and whether a run is in progress. */
export interface AgentSchedule {
  /** UTC ms of the soonest next run of its enabled tasks, `null` when none is scheduled. */
  nextRunAt: number | null;
  /** Name of the task whose run is in progress, `null` when none. */
  running: string | null;
}

/** "in 45 s", "in 12 min", "in 3 h", "in 2 d". */
export function inDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `in ${s} s`;
  const m = Math.round(s / 60);
  if (m < 60) return `in ${m} min`;
  const h = Math.round(m / 60);
  return h < 48 ? `in ${h} h` : `in ${Math.round(h / 24)} d`;
}

/**
 * The label of an agent's line: `<emoji> <name> · <phase>`, then `· ▶ <task>` while a task runs, else
 * `· next run in 12 min` when one is scheduled.
 */
export function agentLabel(a: TrayAgent, sched?: AgentSchedule, now = Date.now()): string {
  const where =
    a.engine && a.engine !== 'local'
      ? ` · on ${a.engine_name ?? a.engine}${a.member ? ` (${a.member})` : ''}`
      : '';
  const reach = a.engine_state === 'unreachable' ? ' · unreachable' : '';
  const base = `${a.emoji} ${a.name} · ${a.phase}${reach}${where}`;
  if (sched?.running) return `${base} · ▶ ${sched.running}`;
  if (sched?.nextRunAt != null) return `${base} · next run ${inDuration(sched.nextRunAt - now)}`;
  return base;
}

/**
 * The tray's context menu: Open Agent Desk, one line per agent that is not archived (emoji, name,
 * phase, its running task or next run from `schedule`; a submenu with Start and Stop, each enabled only in a phase that allows it), Stop all agents
 * (enabled while one runs), Quit. Agents keep the order given (`agents.list`: newest first).
 * On a remote `core`: a disabled "Core: deploy@server" line first, and "Use this computer's core" when
 * `actions.useLocalCore` exists; while that core is unreachable, a disabled "Core unreachable: …" line
 * replaces the agents (their last known phases are not shown as current) and Stop all is disabled.
 */
export function trayMenuTemplate(
  agents: readonly TrayAgent[],
  llm: TrayLlm | null,
  actions: TrayActions,
  schedule: ReadonlyMap<string, AgentSchedule> = new Map(),
  now = Date.now(),
  core: TrayCore | null = null,
): MenuItemConstructorOptions[] {
  if (core && !core.reachable) {
    return [
      { label: 'Open Agent Desk', click: () => actions.open() },
      { type: 'separator' },
      { label: `⚠ Core unreachable: ${core.label}`, enabled: false },
      { label: 'Reconnecting… (the agents keep running on the server)', enabled: false },
      { type: 'separator' },
      { label: 'Stop all agents', enabled: false },
      ...useLocal(actions),
      { type: 'separator' },
      { label: 'Quit Agent Desk', click: () => actions.quit() },
    ];
  }
  const live = agents.filter((a) => a.phase !== 'archived');
  const lines: MenuItemConstructorOptions[] =
    live.length === 0
      ? [{ label: 'No agents yet', enabled: false }]
      : live.map((a) => ({
          id: `agent:${a.id}`,
          label: agentLabel(a, schedule.get(a.id), now),
          toolTip: a.phase_reason ?? undefined,
          submenu: [
            { label: 'Start', enabled: STARTABLE.has(a.phase), click: () => actions.startAgent(a.id) },
            { label: 'Stop', enabled: STOPPABLE.has(a.phase), click: () => actions.stopAgent(a.id) },
          ],
        }));
  const status: MenuItemConstructorOptions[] =
    llm && trayState([], llm) === 'down'
      ? [{ label: `⚠ LiteLLM ${llm.litellm.state}: ${llm.litellm.detail}`.slice(0, 120), enabled: false }]
      : [];
  return [
    { label: 'Open Agent Desk', click: () => actions.open() },
    { type: 'separator' },
    ...(core ? [{ label: `Core: ${core.label}`, enabled: false }] : []),
    ...status,
    ...lines,
    { type: 'separator' },
    {
      label: 'Stop all agents',
      enabled: live.some((a) => a.phase === 'running'),
      click: () => actions.stopAll(),
    },
    ...(core ? useLocal(actions) : []),
    { type: 'separator' },
    { label: 'Quit Agent Desk', click: () => actions.quit() },
  ];
}

/** The "Use this computer's core" item when the action exists. */
function useLocal(actions: TrayActions): MenuItemConstructorOptions[] {
  const use = actions.useLocalCore;
  return use ? [{ label: "Use this computer's core", click: () => use() }] : [];
}
