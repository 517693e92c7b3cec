// Derived views of the Agents state: live and archived lists, phase names, deploy steps, model groups, row actions.
import { DEPLOY_PHASES } from '../../../../contract/agents';
import type { Agent, AgentPhase, AgentProgress } from '../../../../contract/agents';
import type { LitellmState, LlmStatus } from '../../../../contract/llm';
import type { AgentsState } from './initial-state';

/** Human names of the phases (AgentPhase of contract/agents.ts). */
export const PHASE_LABELS: Record<AgentPhase, string> = {
  creating: 'Creating',
  provisioning: 'Provisioning',
  starting: 'Starting',
  verifying: 'Verifying',
  running: 'Running',
  stopping: 'Stopping',
  stopped: 'Stopped',
  failed: 'Failed',
  archiving: 'Archiving',
  archived: 'Archived',
  restoring: 'Restoring',
  purging: 'Purging',
};

/** What each deploy step does, one line (shown under the step names). */
export const DEPLOY_STEP_HINTS: Record<(typeof DEPLOY_PHASES)[number], string> = {
  creating: 'Recording the agent and minting its virtual key',
  provisioning: 'Making sure the base image is there',
  starting: 'Starting its container',
  verifying: 'Checking it reaches its model through the gateway',
  running: 'Ready to chat',
};

/** Phases during which something is under way (the badge shows a spinner; row actions wait). */
const TRANSIENT: ReadonlySet<AgentPhase> = new Set([
  'creating',
  'provisioning',
  'starting',
  'verifying',
  'stopping',
  'archiving',
  'restoring',
  'purging',
]);

/** True while the agent is between two resting phases (running, stopped, failed, archived). */
export const isTransient = (phase: AgentPhase): boolean => TRANSIENT.has(phase);

/** True for the phases of a deploy before `running` (creating → verifying). */
export const isDeploying = (phase: AgentPhase): boolean =>
  (DEPLOY_PHASES as readonly AgentPhase[]).includes(phase) && phase !== 'running';

/** Agents that are not archived, newest first (the core's order). */
export function selectLiveAgents(s: Pick<AgentsState, 'agents'>): Agent[] {
  return s.agents.filter((a) => a.phase !== 'archived');
}

/** Archived agents, most recently archived first. */
export function selectArchivedAgents(s: Pick<AgentsState, 'agents'>): Agent[] {
  return s.agents
    .filter((a) => a.phase === 'archived')
    .sort((a, b) => (b.archived_at ?? 0) - (a.archived_at ?? 0));
}

/** One step of the deploy progress: `done`, `current`, `todo`, or `failed` (the step a failure stopped at). */
export interface DeployStep {
  phase: (typeof DEPLOY_PHASES)[number];
  label: string;
  state: 'done' | 'current' | 'todo' | 'failed';
}

/** What the deploy progress shows for one agent. */
export interface DeployView {
  steps: DeployStep[];
  /** 0–1 over the whole deploy. */
  fraction: number;
  /** The latest `agents.progress` line of the current phase, or the step's hint. */
  message: string;
  /** `running`, `failed`, or `deploying` (any other phase counts as deploying only when a deploy phase). */
  outcome: 'deploying' | 'running' | 'failed' | 'other';
}

/**
 * The deploy progress of `agent`: the five steps with their state, the fraction (the core's own
 * `agents.progress` fraction when it is for the current phase, else the step's position), and the
 * message line. `lastDeployPhase` says where a failed deploy stopped (unknown → no step marked failed).
 */
export function deployView(
  agent: Pick<Agent, 'phase' | 'phase_reason'>,
  progress: AgentProgress | undefined,
  lastDeployPhase: AgentPhase | undefined,
): DeployView {
  const phases = DEPLOY_PHASES as readonly AgentPhase[];
  const last = phases.length - 1;
  const failedAt =
    agent.phase === 'failed' && lastDeployPhase && isDeploying(lastDeployPhase)
      ? phases.indexOf(lastDeployPhase)
      : -1;
  const at = agent.phase === 'failed' ? failedAt : phases.indexOf(agent.phase);
  const steps = DEPLOY_PHASES.map((phase, i): DeployStep => {
    let state: DeployStep['state'] = 'todo';
    if (agent.phase === 'running' || (at >= 0 && i < at)) state = 'done';
    else if (i === at) state = agent.phase === 'failed' ? 'failed' : 'current';
    return { phase, label: PHASE_LABELS[phase], state };
  });
  const own = progress && progress.phase === agent.phase ? progress : undefined;
  let fraction = at >= 0 ? at / last : 0;
  if (agent.phase === 'running') fraction = 1;
  else if (own?.fraction !== null && own?.fraction !== undefined) fraction = Math.max(fraction, own.fraction);
  const outcome: DeployView['outcome'] =
    agent.phase === 'running'
      ? 'running'
      : agent.phase === 'failed'
        ? 'failed'
        : isDeploying(agent.phase)
          ? 'deploying'
          : 'other';
  const hint = (DEPLOY_STEP_HINTS as Partial<Record<AgentPhase, string>>)[agent.phase];
  const message =
    outcome === 'failed'
      ? (agent.phase_reason ?? 'The deploy failed.')
      : (own?.message ?? hint ?? PHASE_LABELS[agent.phase]);
  return { steps, fraction: Math.min(1, Math.max(0, fraction)), message, outcome };
}

/** What a row offers for an agent in its phase (the core refuses the rest with CONFLICT anyway). */
export interface RowActions {
  start: boolean;
  stop: boolean;
  /** Start again after a failure (`agents.start` redeploys a rolled-back agent). */
  retry: boolean;
  logs: boolean;
  archive: boolean;
  chat: boolean;
}

/** The actions of `agent`; none while an action of this window runs on it (`busy`). */
export function rowActions(agent: Pick<Agent, 'phase'>, busy: boolean): RowActions {
  const p = agent.phase;
  const idle = !busy;
  return {
    start: idle && p === 'stopped',
    stop: idle && p === 'running',
    retry: idle && p === 'failed',
    logs: p === 'failed' || p === 'running' || p === 'stopped',
    archive: idle && (p === 'running' || p === 'stopped' || p === 'failed'),
    chat: p === 'running',
  };
}

/** A provider's served models, for one `<optgroup>`. */
export interface ModelGroup {
  provider: string;
  /** The provider's name, or its id when the name is not known. */
  label: string;
  /** Full model names (`<provider-id>/<model-id>`). */
  models: string[];
}

/**
 * Groups served models (`<provider-id>/<model-id>`, from `llm.status` → `litellm.models`) by provider,
 * providers by label and models by name. A model without a slash goes under its own name.
 */
export function modelGroups(models: readonly string[], names: Record<string, string>): ModelGroup[] {
  const groups = new Map<string, string[]>();
  for (const m of models) {
    const slash = m.indexOf('/');
    const provider = slash > 0 ? m.slice(0, slash) : m;
    groups.set(provider, [...(groups.get(provider) ?? []), m]);
  }
  return [...groups.entries()]
    .map(([provider, list]) => ({ provider, label: names[provider] ?? provider, models: [...list].sort() }))
    .sort((a, b) => a.label.localeCompare(b.label));
}

/** The model id without its provider (`openai/gpt-4o` → `gpt-4o`). */
export const modelIdOf = (model: string): string => model.slice(model.indexOf('/') + 1);

const NO_MODEL_REASON: Record<LitellmState, string> = {
  idle: 'No model is served yet: no provider has models.',
  missing: 'LiteLLM is not installed, so no model is served (see System).',
  starting: 'LiteLLM is starting; its models appear here when it is ready.',
  ready: 'LiteLLM serves no model: no provider has models.',
  restarting: 'LiteLLM is restarting after a crash; no model is served meanwhile.',
  failed: 'LiteLLM failed, so no model is served (see System for its last lines).',
  stopped: 'LiteLLM is stopped, so no model is served.',
};

/** Why no model can be picked, one line; `null` when LiteLLM serves at least one model. */
export function noModelReason(status: LlmStatus | null): string | null {
  if (!status) return 'Reading the models LiteLLM serves…';
  if (status.litellm.models.length > 0) return null;
  return NO_MODEL_REASON[status.litellm.state];
}
