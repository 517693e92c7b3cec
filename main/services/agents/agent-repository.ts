// Agent rows and their phase transitions in the app database (migration 004). Holds no key, only a key id.
import { AsyncLocalStorage } from 'node:async_hooks';
import { AgentPhase } from '../../../contract/agents';
import type { Agent, SharedFolder } from '../../../contract/agents';
import type { AgentEgress } from '../../../contract/egress';
import type { RuntimeKind } from '../runtimes/container-runtime';
import type { Db } from '../storage/database';

/** An agent row as stored. */
export interface AgentRow {
  id: string;
  slug: string;
  name: string;
  emoji: string;
  harness: string;
  runtime: RuntimeKind;
  model: string;
  /** JSON array of model names. */
  fallbacks: string;
  memory_mib: number;
  cpus: number;
  phase: AgentPhase;
  phase_reason: string | null;
  /** UTC ms. */
  phase_at: number;
  /** JSON array of log lines. */
  failed_log: string;
  container: string;
  runtime_port: number | null;
  key_id: string | null;
  created_at: number;
  running_since: number | null;
  /** While archived: `<data>/archive/<slug>-<UTC timestamp>`. */
  archive_dir: string | null;
  /** How the core reaches the runtime (`http://…` or `unix:<path>`); null while not running. */
  runtime_endpoint: string | null;
  /** Most tasks its container may hold. */
  pids_limit: number;
  /** JSON array of {@link SharedFolder}. */
  folders: string;
  /** The engine it runs on: `local` (this machine) or a named engine's id (migration 011). */
  engine: string;
  /** Incus cluster engines: the member chosen at create (migration 012); null = the engine's member, else Incus places it. */
  member?: string | null;
}

/** What {@link AgentRepository.brief} tells of an agent. */
export type AgentBrief = Readonly<Pick<AgentRow, 'name' | 'slug' | 'phase'>>;

/** Phases in which the gateway accepts the agent's key. */
export const CALLING_PHASES: ReadonlySet<AgentPhase> = new Set(['starting', 'verifying', 'running']);

/** `null` when an agent (or an owner that is no agent) may call the gateway; otherwise why not. */
export function callRefusal(agent: AgentBrief | null): string | null {
  if (!agent || CALLING_PHASES.has(agent.phase)) return null;
  return `The agent "${agent.name}" is ${agent.phase}`;
}

/** Fields a phase change may set with it. */
export type PhasePatch = Partial<
  Pick<AgentRow, 'failed_log' | 'runtime_port' | 'runtime_endpoint' | 'key_id' | 'running_since'>
>;

/** Moves an agent to a phase (DB first, then the UIs are told); returns the updated row. */
export type SetPhase = (id: string, phase: AgentPhase, reason: string | null, patch?: PhasePatch) => AgentRow;

/** Phases in which an agent's slug is taken and its container may exist: every phase but `archived`. */
export const LIVE_PHASES: readonly AgentPhase[] = AgentPhase.options.filter((p) => p !== 'archived');

/** Phases a deploy or start passes through; a core that stops in one of them left work half-way. */
export const TRANSIENT_PHASES: readonly AgentPhase[] = [
  'creating',
  'provisioning',
  'starting',
  'verifying',
  'stopping',
];

/**
 * The agent operation in progress (`deploy`, `start`, `stop`, `archive`, `restore`, `purge`), set by the
 * agent service around each queued operation; it names the {@link faultPoint}s reached inside it.
 */
export const agentOperation = new AsyncLocalStorage<string>();

/** The fault point armed by {@link armFaultPoint}, or null (the only state: one per process). */
const faultKill: { at: string | null } = { at: null };

/**
 * Arms the test-only fault injection of this process: `at` = `<operation>:<step>` (the core's options
 * take it from `AGENTDESK_FAULT_KILL_AT`, only when `NODE_ENV` is `test`); `null` disarms it.
 */
export function armFaultPoint(at: string | null): void {
  faultKill.at = at;
}

/**
 * Test-only fault injection (for the tests that kill -9 the core at every step): when the armed point
 * ({@link armFaultPoint}) equals `<operation>:<step>` (e.g. `deploy:provisioning`, `archive:renamed`),
 * the process SIGKILLs itself right here, after everything before the point is committed. Steps are
 * phase names (called after the phase is written) and the named steps of the archiver and of purge.
 * A no-op in every other case.
 */
export function faultPoint(step: string): void {
  const { at } = faultKill;
  if (!at) return;
  if (`${agentOperation.getStore() ?? 'none'}:${step}` === at) process.kill(process.pid, 'SIGKILL');
}

/**
 * Reads and writes agents (synchronous, better-sqlite3). {@link setPhase} records the transition in
 * `agent_transitions` in the same transaction, so the phase on disk is always the one being acted on.
 */
export class AgentRepository {
  /** {@link brief} answers by id; an entry is dropped by every write to that agent. */
  private readonly briefs = new Map<string, AgentBrief | null>();

  constructor(private readonly db: Db) {}

  /**
   * Name, slug and phase of an agent, or `null` when there is none: what the gateway asks on every
   * call (who may call, whose budget), kept in memory — every write to `agents` goes through this class.
   */
  brief(id: string): AgentBrief | null {
    let b = this.briefs.get(id);
    if (b === undefined) {
      const row = this.db.prepare('SELECT name, slug, phase FROM agents WHERE id = ?').get(id) as
        AgentBrief | undefined;
      b = row ? { name: row.name, slug: row.slug, phase: row.phase } : null;
      if (this.briefs.size >= 10_000) this.briefs.clear();
      this.briefs.set(id, b);
    }
    return b;
  }

  /** Every agent, newest first. */
  list(): AgentRow[] {
    return this.db.prepare('SELECT * FROM agents ORDER BY created_at DESC, rowid DESC').all() as AgentRow[];
  }

  get(id: string): AgentRow | undefined {
    return this.db.prepare('SELECT * FROM agents WHERE id = ?').get(id) as AgentRow | undefined;
  }

  /** The agent that is not archived and has `slug`, or `undefined`. */
  findLiveBySlug(slug: string): AgentRow | undefined {
    return this.db.prepare("SELECT * FROM agents WHERE slug = ? AND phase <> 'archived'").get(slug) as
      AgentRow | undefined;
  }

  /** Inserts a new agent and its first transition. @throws SqliteError when the slug is taken. */
  insert(row: AgentRow): void {
    this.briefs.delete(row.id);
    this.db.transaction(() => {
      this.db
        .prepare(
          `INSERT INTO agents (id, slug, name, emoji, harness, runtime, model, fallbacks, memory_mib, cpus,
             phase, phase_reason, phase_at, failed_log, container, runtime_port, key_id, created_at, running_since,
             archive_dir, runtime_endpoint, pids_limit, folders, engine, member)
           VALUES (@id, @slug, @name, @emoji, @harness, @runtime, @model, @fallbacks, @memory_mib, @cpus,
             @phase, @phase_reason, @phase_at, @failed_log, @container, @runtime_port, @key_id, @created_at,
             @running_since, @archive_dir, @runtime_endpoint, @pids_limit, @folders, @engine, @member)`,
        )
        .run({ ...row, engine: row.engine ?? 'local', member: row.member ?? null });
      this.logTransition(row.id, null, row.phase, row.phase_reason, row.phase_at);
    })();
    faultPoint(row.phase);
  }

  /**
   * Moves an agent to `phase` (and applies `patch`) and records the transition, in one transaction.
   * @returns the updated row, or `undefined` when the agent no longer exists.
   */
  setPhase(
    id: string,
    phase: AgentPhase,
    reason: string | null,
    patch: PhasePatch = {},
    now = Date.now(),
  ): AgentRow | undefined {
    this.briefs.delete(id);
    const row = this.db.transaction(() => {
      const before = this.get(id);
      if (!before) return undefined;
      const next: AgentRow = { ...before, ...patch, phase, phase_reason: reason, phase_at: now };
      this.db
        .prepare(
          `UPDATE agents SET phase = @phase, phase_reason = @phase_reason, phase_at = @phase_at,
             failed_log = @failed_log, runtime_port = @runtime_port, runtime_endpoint = @runtime_endpoint,
             key_id = @key_id, running_since = @running_since WHERE id = @id`,
        )
        .run(next);
      if (before.phase !== phase) this.logTransition(id, before.phase, phase, reason, now);
      return next;
    })();
    if (row) faultPoint(phase);
    return row;
  }

  /** Changes fields that are not the phase (no transition recorded). */
  update(
    id: string,
    patch: Partial<
      Pick<
        AgentRow,
        | 'runtime_port'
        | 'runtime_endpoint'
        | 'key_id'
        | 'running_since'
        | 'slug'
        | 'container'
        | 'archive_dir'
        | 'folders'
        | 'memory_mib'
        | 'cpus'
        | 'pids_limit'
      >
    >,
  ): void {
    this.briefs.delete(id);
    const before = this.get(id);
    if (!before) return;
    this.db
      .prepare(
        `UPDATE agents SET runtime_port = @runtime_port, runtime_endpoint = @runtime_endpoint, key_id = @key_id,
           running_since = @running_since, slug = @slug, container = @container, archive_dir = @archive_dir,
           folders = @folders, memory_mib = @memory_mib, cpus = @cpus, pids_limit = @pids_limit WHERE id = @id`,
      )
      .run({ ...before, ...patch });
  }

  /** Deletes the agent and its transitions. */
  delete(id: string): void {
    this.briefs.delete(id);
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM agent_transitions WHERE agent_id = ?').run(id);
      this.db.prepare('DELETE FROM agents WHERE id = ?').run(id);
    })();
  }

  /** The transitions of an agent, oldest first. */
  transitions(
    id: string,
  ): { from_phase: AgentPhase | null; to_phase: AgentPhase; reason: string | null; at: number }[] {
    return this.db
      .prepare(
        'SELECT from_phase, to_phase, reason, at FROM agent_transitions WHERE agent_id = ? ORDER BY seq',
      )
      .all(id) as {
      from_phase: AgentPhase | null;
      to_phase: AgentPhase;
      reason: string | null;
      at: number;
    }[];
  }

  private logTransition(
    id: string,
    from: AgentPhase | null,
    to: AgentPhase,
    reason: string | null,
    at: number,
  ): void {
    this.db
      .prepare(
        'INSERT INTO agent_transitions (agent_id, from_phase, to_phase, reason, at) VALUES (?, ?, ?, ?, ?)',
      )
      .run(id, from, to, reason, at);
  }
}

/** Where an agent runs, as its view shows it (looked up by the caller; default: this machine's engine, reachable). */
export interface AgentPlacement {
  engine_name: string;
  member: string | null;
  engine_state: Agent['engine_state'];
}

/** The placement of an agent on this machine's engine. */
const LOCAL_PLACEMENT: AgentPlacement = {
  engine_name: 'This machine',
  member: null,
  engine_state: 'reachable',
};

/** The DTO of a row (JSON columns parsed; the key prefix, the egress policy and the placement looked up by the caller). */
export function toAgent(
  row: AgentRow,
  keyPrefix: string | null,
  egress: AgentEgress,
  placement: AgentPlacement = LOCAL_PLACEMENT,
): Agent {
  return {
    id: row.id,
    slug: row.slug,
    name: row.name,
    emoji: row.emoji,
    harness: row.harness,
    runtime: row.runtime,
    model: row.model,
    fallbacks: JSON.parse(row.fallbacks) as string[],
    memory_mib: row.memory_mib,
    cpus: row.cpus,
    phase: row.phase,
    phase_reason: row.phase_reason,
    phase_at: row.phase_at,
    failed_log: JSON.parse(row.failed_log) as string[],
    container: row.container,
    runtime_port: row.runtime_port,
    runtime_endpoint: row.runtime_endpoint,
    pids_limit: row.pids_limit,
    folders: JSON.parse(row.folders) as SharedFolder[],
    key_prefix: keyPrefix,
    created_at: row.created_at,
    running_since: row.running_since,
    archived_at: row.phase === 'archived' ? row.phase_at : null,
    egress,
    engine: row.engine ?? 'local',
    ...placement,
    // The defaults; the agent service fills in what the user set (agent-instructions.ts).
    system_prompt: null,
    temperature: null,
    tools: true,
  };
}
