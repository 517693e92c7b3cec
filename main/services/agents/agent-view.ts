// Agents as the UIs and the API show them: the row, its key's prefix, its egress and its instructions.
import type { Agent } from '../../../contract/agents';
import type { AgentEgress } from '../../../contract/egress';
import { AppError } from '../../../contract/errors';
import type { InstructionsRepository } from './agent-instructions';
import { DEFAULT_INSTRUCTIONS } from './agent-instructions';
import type { AgentPlacement, AgentRepository, AgentRow } from './agent-repository';
import { toAgent } from './agent-repository';

/** What an agent shows when no egress service is wired (unit tests of the service alone). */
const NO_EGRESS: AgentEgress = {
  mode: 'none',
  allow: [],
  enforced: false,
  enforcement: 'unavailable',
  address: null,
};

/** What {@link AgentView} reads besides the agents' table. */
export interface AgentViewDeps {
  keysOf: { prefixOf(keyId: string): string | null };
  egress?: { view(agentId: string): AgentEgress };
  instructions?: Pick<InstructionsRepository, 'get'>;
  /** Where an agent runs: its engine's name, cluster member and reachability (default: this machine, reachable). */
  placement?: (row: AgentRow) => AgentPlacement;
}

/** Reads agents as {@link Agent} records (no writes). */
export class AgentView {
  constructor(
    private readonly repo: AgentRepository,
    private readonly d: AgentViewDeps,
  ) {}

  /** Every agent, newest first. */
  list(): Agent[] {
    return this.repo.list().map((r) => this.of(r));
  }

  /** @throws AppError NOT_FOUND */
  get(id: string): Agent {
    const row = this.repo.get(id);
    if (!row) throw new AppError('NOT_FOUND', `No agent with id ${id}; see \`agents.list\``);
    return this.of(row);
  }

  /** The record of one row. */
  of(row: AgentRow): Agent {
    return {
      ...toAgent(
        row,
        row.key_id ? this.d.keysOf.prefixOf(row.key_id) : null,
        this.d.egress?.view(row.id) ?? NO_EGRESS,
        this.d.placement?.(row),
      ),
      ...(this.d.instructions?.get(row.id) ?? DEFAULT_INSTRUCTIONS),
    };
  }
}
