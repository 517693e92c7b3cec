// The one owner of agents' phase changes: the row is written, the lifecycle trace told, the agents' keys suspended or resumed, the UIs told.
import type { Agent, AgentPhase } from '../../../contract/agents';
import { AppError } from '../../../contract/errors';
import type { AgentRepository, AgentRow, PhasePatch } from './agent-repository';
import { callRefusal } from './agent-repository';

/** A phase change of an agent (`from` = `null` at creation; `at` = UTC ms). */
export interface PhaseChange {
  id: string;
  from: AgentPhase | null;
  to: AgentPhase;
  reason: string | null;
  at: number;
}

/** Moves agents between phases: what the deployer, the archiver and reconciliation are given. */
export interface PhaseWriter {
  /**
   * Moves agent `id` to `phase` (with the fields of `patch`); returns the updated row.
   * @throws AppError NOT_FOUND when the agent no longer exists.
   */
  set(id: string, phase: AgentPhase, reason: string | null, patch?: PhasePatch): AgentRow;
}

/** Suspension of an owner's virtual keys (llm/virtual-keys.ts): how the gateway learns an agent may not call. */
export interface KeySuspensions {
  suspend(owner: string, reason: string): void;
  resume(owner: string): void;
}

/** What {@link AgentPhases} needs. */
export interface AgentPhasesDeps {
  repo: AgentRepository;
  /** The agents as the UIs see them, for the change event. */
  view: { list(): Agent[] };
  /** Every agent, after each change (the `agents.changed` event). */
  onChange: (agents: Agent[]) => void;
  /** After each phase is written (the lifecycle trace). Must not throw. */
  onTransition?: (t: PhaseChange) => void;
  /** The gateway's keys: suspended while their agent is outside the phases in which it may call. */
  keys?: KeySuspensions;
}

/**
 * Owns agents' phase changes. Each change: the phase is written to the database (with its transition
 * row), then the lifecycle trace is told, the agent's keys are suspended (with the reason the gateway
 * answers, e.g. `The agent "x" is stopped`) or resumed, and the UIs get the new list. The constructor
 * suspends the keys of every agent that may not call now, so the gateway refuses them from its start.
 */
export class AgentPhases implements PhaseWriter {
  constructor(private readonly d: AgentPhasesDeps) {
    for (const row of d.repo.list()) this.judge(row.id);
  }

  set(id: string, phase: AgentPhase, reason: string | null, patch: PhasePatch = {}): AgentRow {
    const from = this.d.repo.get(id)?.phase ?? null;
    const row = this.d.repo.setPhase(id, phase, reason, patch);
    if (!row) throw new AppError('NOT_FOUND', `The agent ${id} no longer exists`);
    this.d.onTransition?.({ id, from, to: phase, reason, at: row.phase_at });
    this.judge(id);
    this.changed();
    return row;
  }

  /** An agent was just recorded (`creating` at `at`): its lifecycle starts, the UIs are told. */
  created(id: string, at: number): void {
    this.d.onTransition?.({ id, from: null, to: 'creating', reason: null, at });
    this.judge(id);
    this.changed();
  }

  /** An agent was removed for good: its keys are no longer suspended (they are revoked). */
  removed(id: string): void {
    this.judge(id);
  }

  /** Tells the UIs the agents changed (a field other than the phase, or an agent removed). */
  changed(): void {
    this.d.onChange(this.d.view.list());
  }

  /** Suspends or resumes the agent's keys by its phase now (callRefusal). */
  private judge(id: string): void {
    if (!this.d.keys) return;
    const refusal = callRefusal(this.d.repo.brief(id));
    if (refusal) this.d.keys.suspend(id, refusal);
    else this.d.keys.resume(id);
  }
}
