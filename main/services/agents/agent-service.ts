// Agents: create with validation, deploy in the background, start/stop/restart, archive/restore/purge, rollback on failure.
import fs from 'node:fs';
import path from 'node:path';
import type {
  Agent,
  AgentConfigureInput,
  AgentCreateInput,
  AgentLimitsInput,
  AgentPhase,
  FolderGrant,
  SharedFolder,
} from '../../../contract/agents';
import type { AgentEgress, AgentPolicyInput, EgressMode } from '../../../contract/egress';
import { AppError } from '../../../contract/errors';
import type { Logger } from '../../platform/logging';
import type { ContainerRuntime, RuntimeKind } from '../runtimes/container-runtime';
import { RuntimeUnavailableError } from '../runtimes/container-runtime';
import { LOCAL_ENGINE, runtimeKey } from '../runtimes/engine-target';
import type { Runtimes, RuntimeOwner } from '../runtimes/runtimes';
import { agentFolder, removeAgentFolder } from './agent-folder';
import { archiveAgent, findAgentContainer, restoreAgent, rollBackRestore } from './archiver';
import type { ArchiverDeps } from './archiver';
import type { AgentBrief, AgentPlacement, AgentRepository, AgentRow } from './agent-repository';
import { agentOperation, CALLING_PHASES, callRefusal, faultPoint } from './agent-repository';
import type { AgentKeys } from './agent-keys';
import { AgentOps } from './agent-ops';
import { AgentPhases } from './agent-phases';
import type { PhaseChange } from './agent-phases';
import { AgentView } from './agent-view';
import { Deployer, DeployError } from './deployer';
import type { DeployerDeps } from './deployer';
import type { Harness } from '../harnesses/harness';
import type { HarnessRegistry } from '../harnesses/registry';
import { harnessRefusal } from '../harnesses/registry';
import { newAgentRow } from './agent-create';
import type { CreateContext } from './agent-create';
import type { InstructionsRepository } from './agent-instructions';
import { configureAgent, instructionsOfCreate } from './agent-configure';
import { oomMessage } from './oom';
import type { OomReport } from './oom';
import { RuntimeFollower } from './runtime-follower';
import { socketDir } from './container-spec';
import { removeTreeNoFollow } from './safe-fs';
import { changedFolders } from './shared-folders';

/** What the agent service needs beyond the deployer's deps. */
export interface AgentServiceDeps extends Omit<
  DeployerDeps,
  'phases' | 'progress' | 'runtime' | 'harnesses' | 'keys'
> {
  /** The core's runtimes, keyed by kind and engine. */
  runtimes: Runtimes;
  /** The named engines agents may be created on (without it: only `local`). */
  engines?: CreateContext['engines'];
  /** A named engine's name as shown (without it: its id). */
  engineName?: (engine: string) => string;
  /** The installed harnesses (main/services/harnesses), loaded once. */
  harnesses: HarnessRegistry;
  /** Provider ids that exist now (a model is `<provider-id>/<model-id>`). */
  providerIds: () => string[];
  /** Runtime for new agents when the input names none (the `container_runtime` setting). */
  defaultRuntime: () => RuntimeKind;
  /** Whether agents stop when the core shuts down (the `stop_agents_on_quit` setting). */
  stopOnShutdown: () => boolean;
  /**
   * The agents' virtual keys (over the gateway's key store): minted and revoked with the agents, and
   * suspended while an agent is outside the phases in which it may call, so the gateway refuses them
   * with the reason.
   */
  keys: AgentKeys;
  /** Egress policies (main/services/egress): the deployer's attach, plus what the service records and shows. */
  egress?: NonNullable<DeployerDeps['egress']> & {
    create(agentId: string, mode: EgressMode | undefined, allow: string[]): void;
    update(agentId: string, input: Omit<AgentPolicyInput, 'id'>): Promise<AgentEgress>;
    view(agentId: string): AgentEgress;
    release(agentId: string): Promise<void>;
  };
  /** Per-agent system prompt, temperature and tools on/off (without it every agent has the defaults). */
  instructions?: InstructionsRepository;
  onChange: (agents: Agent[]) => void;
  onProgress: (p: { id: string; phase: AgentPhase; fraction: number | null; message: string }) => void;
  /**
   * Called after each phase is written (`from` = `null` at creation; `at` = UTC ms), for the lifecycle
   * trace. Must not throw.
   */
  onTransition?: (t: PhaseChange) => void;
  log: Logger;
}

/**
 * The agents of this machine (phases: AgentPhase in contract/agents.ts). One operation at a time per agent
 * (a queue per id); every phase is written to the DB before it is acted on; a failed deploy rolls back
 * (container removed, key revoked) and leaves the record in `failed` with the reason and the last 50
 * log lines, so the user can read them and retry with `start`.
 */
export class AgentService {
  private readonly deployer: Deployer;
  /** The agents as the API shows them. */
  private readonly view: AgentView;
  /** The operations of each agent, one at a time. */
  private readonly ops = new AgentOps();
  /** Phase changes: written, traced, keys suspended or resumed, the UIs told. */
  private readonly phases: AgentPhases;
  private readonly follower: RuntimeFollower;
  /** OOM kills already reported per agent, for its container's run (`<container>@<running_since>`). */
  private readonly oomSeen = new Map<string, { key: string; kills: number }>();
  /** Cluster members of named engines' agents, by `<agent id>/<container>` (null: not a cluster). */
  private readonly members = new Map<string, string | null>();
  private readonly locating = new Set<string>();

  constructor(
    private readonly repo: AgentRepository,
    private readonly d: AgentServiceDeps,
  ) {
    this.view = new AgentView(repo, {
      keysOf: d.keys,
      egress: d.egress,
      instructions: d.instructions,
      placement: (row) => this.placement(row),
    });
    this.phases = new AgentPhases({
      repo,
      view: this.view,
      onChange: d.onChange,
      onTransition: d.onTransition,
      keys: d.keys,
    });
    this.deployer = new Deployer({
      ...d,
      harnesses: d.harnesses,
      runtime: (row) => runtimeIn(d.runtimes, row),
      phases: this.phases,
      progress: (id, phase, fraction, message) => d.onProgress({ id, phase, fraction, message }),
    });
    this.follower = new RuntimeFollower({
      repo,
      runtimes: d.runtimes,
      instanceId: d.instanceId,
      gateway: d.gateway,
      egressActive: async () => (d.egress ? ((await d.egress.active?.()) ?? true) : false),
      keys: d.keys,
      log: d.log,
      phases: this.phases,
      ops: this.ops,
      harnesses: d.harnesses,
      engineName: d.engineName,
    });
    // The follower runs no operation: it says which are needed, and they are queued here like any other.
    this.follower.onNeed((n) => {
      const run =
        n.op === 'archive'
          ? this.archive(n.id)
          : n.op === 'purge'
            ? this.purge(n.id)
            : n.op === 'rollBackRestore'
              ? this.rollBackRestore(n.id)
              : this.start(n.id);
      run.catch((err: Error) =>
        n.op === 'start'
          ? undefined // its failure is the agent's phase (`failed` with the reason)
          : this.d.log.error(
              { agent: n.id, err: err.message },
              'an interrupted operation could not be finished',
            ),
      );
    });
  }

  /** Undoes a restore a crash interrupted: the agent is archived again (queued like every operation). */
  rollBackRestore(id: string): Promise<unknown> {
    return this.ops.run(id, 'restore-rollback', () => rollBackRestore(this.archiverDeps(), this.row(id)));
  }

  /**
   * Checks, without waiting, whether each runtime's engine answers now; {@link init} reconciles by these
   * answers (see {@link RuntimeFollower.probe}). Call it when the core starts, before slower start steps.
   */
  probeEngines(): void {
    this.follower.probe();
  }

  /**
   * Per reachable runtime: listens on its bridge address again (for agents left running), reconciles the
   * DB with it, then follows its events (see {@link RuntimeFollower}). Never throws for an engine that is down.
   */
  async init(): Promise<void> {
    await this.follower.init();
    this.phases.changed();
  }

  /**
   * What a probe of an engine found (the named engines' health probes): while it does not answer, its
   * agents show `unreachable` (no phase changes); when it answers again they are reconciled.
   */
  engineReachable(key: string, up: boolean, error?: string): void {
    this.follower.reachable(key, up, error);
  }

  /**
   * Where an agent runs: its engine's name, its cluster member (an Incus cluster's `location`, looked up
   * in the background the first time and cached per container: null until known, or not a cluster) and
   * whether the engine answers.
   */
  private placement(row: AgentRow): AgentPlacement {
    const engine = row.engine ?? LOCAL_ENGINE;
    const rt = this.d.runtimes.forAgent(row);
    return {
      engine_name: engine === LOCAL_ENGINE ? 'This machine' : (this.d.engineName?.(engine) ?? engine),
      member: engine === LOCAL_ENGINE ? null : this.memberOf(row, rt),
      // A named engine without a runtime (this build cannot drive it) is as unreachable as one that is down.
      engine_state:
        this.follower.isDown(runtimeKey(row.runtime, engine)) || !rt ? 'unreachable' : 'reachable',
    };
  }

  /**
   * The cluster member of a named engine's agent as last looked up (see {@link placement}); a lookup is
   * started when unknown. Until it answers (or while the engine is down) the member recorded at create
   * is shown: where the agent was placed is better than nothing, and the lookup corrects it when Incus
   * moved it.
   */
  private memberOf(row: AgentRow, rt: ContainerRuntime | null | undefined): string | null {
    const stored = row.member ?? null;
    const locate = (rt as { location?: (name: string) => Promise<string | null> } | null | undefined)
      ?.location;
    if (!rt || typeof locate !== 'function' || row.phase === 'failed') return stored;
    const key = `${row.id}/${row.container}`;
    const known = this.members.get(key);
    if (known !== undefined) return known;
    if (
      !this.locating.has(key) &&
      !this.follower.isDown(runtimeKey(row.runtime, row.engine ?? LOCAL_ENGINE))
    ) {
      this.locating.add(key);
      void locate
        .call(rt, row.container)
        .then(
          (at) => {
            // A container that does not exist (yet) is asked again later; `none`: not a cluster.
            if (at === null) return;
            for (const k of this.members.keys()) if (k.startsWith(`${row.id}/`)) this.members.delete(k);
            this.members.set(key, at === 'none' || at === '' ? null : at);
            if (at !== 'none' && at !== '') this.phases.changed();
          },
          () => undefined,
        )
        .finally(() => this.locating.delete(key));
    }
    return stored;
  }

  /** Every agent, newest first. */
  list(): Agent[] {
    return this.view.list();
  }

  /** @throws AppError NOT_FOUND */
  get(id: string): Agent {
    return this.view.get(id);
  }

  /** Name, slug and phase of an agent without a database read (the gateway's budget messages), or `null`. */
  brief(id: string): AgentBrief | null {
    return this.repo.brief(id);
  }

  /** `null` when the key's owner may call the gateway; otherwise why not. Owners that are not agents are not judged. */
  refusal(owner: string): string | null {
    return callRefusal(this.repo.brief(owner));
  }

  /**
   * Checks an `agents.create` input's cluster member against the members its engine lists now (the rest
   * of the input is checked by {@link create}); no member, or an engine that is not a named one, passes.
   * @throws AppError INVALID_INPUT naming the members the engine lists; UNAVAILABLE when it does not answer.
   */
  async checkMember(raw: { engine?: string; member?: string }): Promise<void> {
    if (raw.member === undefined || !raw.engine || raw.engine === LOCAL_ENGINE) return;
    const kind = this.d.engines?.().find((e) => e.id === raw.engine)?.kind;
    if (kind !== 'incus') return; // create refuses a member there, saying why
    const rt = this.d.runtimes.get(kind, raw.engine);
    const list = (rt as { members?: () => Promise<{ name: string }[]> } | undefined)?.members;
    if (!rt || !list) return; // create refuses it with the reason
    let names: string[];
    try {
      names = (await list.call(rt)).map((m) => m.name);
    } catch (err) {
      throw new AppError(
        'UNAVAILABLE',
        `member: the engine "${raw.engine}" did not list its members: ${(err as Error).message}`,
      );
    }
    if (!names.includes(raw.member))
      throw new AppError(
        'INVALID_INPUT',
        names.length
          ? `member: "${raw.member}" is not a member of the engine "${raw.engine}"; valid: ${names.join(', ')}`
          : `member: the engine "${raw.engine}" is not a cluster; leave the member out`,
      );
  }

  /**
   * Validates and records a new agent (`creating`), then deploys it in the background.
   * @throws AppError INVALID_INPUT naming the field and the valid values; CONFLICT when the slug is taken.
   */
  create(raw: AgentCreateInput): Agent {
    const now = Date.now();
    const row = newAgentRow(
      raw,
      { ...this.d, findLiveBySlug: (slug) => this.repo.findLiveBySlug(slug) },
      now,
    );
    agentOperation.run('deploy', () => this.repo.insert(row));
    this.d.egress?.create(row.id, raw.egress, raw.allow ?? []);
    const instructions = instructionsOfCreate(raw);
    if (instructions) this.d.instructions?.set(row.id, instructions);
    this.phases.created(row.id, now);
    void this.ops.run(row.id, 'deploy', () => this.runDeploy(row.id));
    return this.view.of(row);
  }

  /** Starts a stopped agent, or deploys again a failed one whose container was rolled back. @throws AppError NOT_FOUND, CONFLICT */
  async start(id: string): Promise<Agent> {
    return this.ops.run(id, 'start', async () => {
      const row = this.row(id);
      if (row.phase === 'running') return this.view.of(row);
      if (row.phase !== 'stopped' && row.phase !== 'failed')
        throw new AppError('CONFLICT', `The agent is ${row.phase}; it can be started when stopped or failed`);
      const rt = this.runtime(row);
      const exists = await rt.inspect(row.container).catch(() => null);
      if (!exists || (row.phase === 'failed' && !row.key_id)) {
        this.phases.set(id, 'creating', null, { failed_log: '[]' });
        await this.runDeploy(id);
      } else {
        await this.startExisting(id);
      }
      return this.get(id);
    });
  }

  /**
   * `starting` → running for an agent whose container exists: its config folder and container are made
   * current first (an agent of an earlier version gets the config folder, a new key and a contained
   * container; changed shared folders recreate the container), then it is started and, with a new key,
   * verified. A failure leaves it `failed` with the reason.
   */
  private async startExisting(id: string): Promise<void> {
    this.phases.set(id, 'starting', null, { failed_log: '[]' });
    try {
      const fw = this.harness(this.row(id));
      const keyId = await this.deployer.refresh(this.row(id), fw);
      if (keyId) this.phases.set(id, 'starting', null, { key_id: keyId });
      const endpoint = await this.deployer.startContainer(this.row(id), fw);
      if (keyId) {
        this.phases.set(id, 'verifying', null);
        await this.deployer.verifyRunning(this.row(id), fw, endpoint);
      }
      this.phases.set(id, 'running', null, { running_since: Date.now() });
    } catch (err) {
      await this.fail(id, err, false);
    }
  }

  /**
   * Changes an agent's shared folders: `add` (new ones, or a new mode for one it has) and `remove` (host
   * paths, as given or as resolved). A running agent is stopped, its container created again with the
   * folders and started; a stopped or failed one gets them at its next start.
   * @throws AppError NOT_FOUND, CONFLICT (archived or busy phase), INVALID_INPUT (blocked folder, or a
   *   removed path the agent does not have, listing the ones it has).
   */
  async folders(id: string, add: FolderGrant[], remove: string[]): Promise<Agent> {
    return this.ops.run(id, 'folders', async () => {
      const row = this.row(id);
      if (!['running', 'stopped', 'failed'].includes(row.phase))
        throw new AppError(
          'CONFLICT',
          `The agent is ${row.phase}; its folders can be changed when running, stopped or failed`,
        );
      const next = changedFolders(JSON.parse(row.folders) as SharedFolder[], add, remove, {
        dataDir: this.d.dataDir,
      });
      this.repo.update(id, { folders: JSON.stringify(next) });
      this.phases.changed();
      if (row.phase === 'running') {
        this.d.onProgress({
          id,
          phase: 'stopping',
          fraction: 0.1,
          message: 'Stopping to change its folders',
        });
        try {
          await this.deployer.stop(this.row(id), 'Changing its shared folders');
        } catch (err) {
          await this.fail(id, err, false);
          return this.get(id);
        }
        await this.startExisting(id);
      }
      return this.get(id);
    });
  }

  /**
   * Changes the agent's egress policy (mode, entries added or removed); a running agent gets it at once.
   * @throws AppError NOT_FOUND; INVALID_INPUT (see EgressService.update); CONFLICT while it is purged.
   */
  async policy(id: string, input: Omit<AgentPolicyInput, 'id'>): Promise<Agent> {
    const row = this.row(id);
    if (row.phase === 'purging') throw new AppError('CONFLICT', 'The agent is being purged');
    if (!this.d.egress) throw new AppError('UNAVAILABLE', 'Egress policies are not available in this core');
    await this.d.egress.update(id, input);
    this.phases.changed();
    return this.get(id);
  }

  /**
   * Changes the agent's memory limit (MiB), CPUs or pids limit. A running agent is stopped, its container
   * created again with them and started; a stopped or failed one gets them at its next start.
   * @throws AppError NOT_FOUND, CONFLICT (archived or busy phase), INVALID_INPUT (memory below what its
   *   harness needs, naming it).
   */
  async limits(input: AgentLimitsInput): Promise<Agent> {
    return this.ops.run(input.id, 'limits', async () => {
      const row = this.row(input.id);
      if (!['running', 'stopped', 'failed'].includes(row.phase))
        throw new AppError(
          'CONFLICT',
          `The agent is ${row.phase}; its limits can be changed when running, stopped or failed`,
        );
      const next = {
        memory_mib: input.memory_mib ?? row.memory_mib,
        cpus: input.cpus ?? row.cpus,
        pids_limit: input.pids_limit ?? row.pids_limit,
      };
      const h = this.harness(row);
      const refusal = harnessRefusal(h, {
        engine: row.runtime,
        model: row.model,
        fallbacks: [],
        memoryMib: next.memory_mib,
      });
      if (refusal) throw new AppError('INVALID_INPUT', refusal);
      this.repo.update(row.id, next);
      this.phases.changed();
      if (row.phase === 'running') {
        this.d.onProgress({
          id: row.id,
          phase: 'stopping',
          fraction: 0.1,
          message: 'Stopping to change its limits',
        });
        try {
          await this.deployer.stop(this.row(row.id), 'Changing its limits');
        } catch (err) {
          await this.fail(row.id, err, false);
          return this.get(row.id);
        }
        await this.startExisting(row.id);
      }
      return this.get(row.id);
    });
  }

  /**
   * Whether the kernel killed a process of the agent's container for lack of memory since the last time
   * this was asked (or its container started): the report naming its harness, its limit and the fix,
   * else null. The chat relay asks after a turn that failed or broke.
   */
  async oomSince(id: string, when: string): Promise<OomReport | null> {
    const row = this.repo.get(id);
    const rt = row && this.d.runtimes.forAgent(row);
    const h = row && this.d.harnesses.get(row.harness);
    if (!row || !rt || !h) return null;
    let kills: number | null;
    try {
      kills = await rt.oomKills(row.container);
    } catch {
      return null;
    }
    const key = `${row.container}@${row.running_since ?? 0}`;
    const seen = this.oomSeen.get(id);
    const before = seen?.key === key ? seen.kills : 0;
    if (!kills || kills <= before) return null;
    this.oomSeen.set(id, { key, kills });
    return oomMessage({ oomKills: () => Promise.resolve(kills) }, row, h.manifest, when);
  }

  /** Stops a running (or failed, still present) agent. @throws AppError NOT_FOUND, CONFLICT, UNAVAILABLE */
  async stop(id: string): Promise<Agent> {
    return this.ops.run(id, 'stop', async () => {
      const row = this.row(id);
      if (row.phase === 'stopped') return this.view.of(row);
      if (row.phase !== 'running' && row.phase !== 'failed')
        throw new AppError('CONFLICT', `The agent is ${row.phase}; it can be stopped when running`);
      try {
        await this.deployer.stop(row);
      } catch (err) {
        await this.fail(id, err, false);
      }
      return this.get(id);
    });
  }

  /**
   * Archives a running, stopped or failed agent (see {@link archiveAgent}); finishes an archive a crash
   * left `archiving`.
   * @throws AppError NOT_FOUND, CONFLICT (wrong phase), UNAVAILABLE (engine down); a failed rename leaves it live.
   */
  async archive(id: string): Promise<Agent> {
    return this.ops.run(id, 'archive', async () => {
      const row = this.row(id);
      if (!['running', 'stopped', 'failed', 'archiving'].includes(row.phase))
        throw new AppError(
          'CONFLICT',
          `The agent is ${row.phase}; it can be archived when running, stopped or failed`,
        );
      try {
        await archiveAgent(this.archiverDeps(), row, this.harness(row));
      } catch (err) {
        throw toAppError(err);
      }
      return this.get(id);
    });
  }

  /**
   * Restores an archived agent under a free name with a new virtual key, and starts it (deploys it
   * anew when its container is gone).
   * @throws AppError NOT_FOUND, CONFLICT (not archived)
   */
  async restore(id: string): Promise<Agent> {
    return this.ops.run(id, 'restore', async () => {
      const row = this.row(id);
      if (row.phase !== 'archived') throw new AppError('CONFLICT', `The agent is ${row.phase}, not archived`);
      try {
        const present = await restoreAgent(this.archiverDeps(), row, this.harness(row));
        if (!present) {
          this.phases.set(id, 'creating', 'Its container was gone: deploying it again', { failed_log: '[]' });
          await this.runDeploy(id);
        }
      } catch (err) {
        await this.fail(id, err, false);
      }
      return this.get(id);
    });
  }

  private archiverDeps(): ArchiverDeps {
    return {
      dataDir: this.d.dataDir,
      repo: this.repo,
      deployer: this.deployer,
      runtime: (row) => runtimeIn(this.d.runtimes, row),
      keys: this.d.keys,
      phases: this.phases,
      log: this.d.log,
    };
  }

  /**
   * Sets the agent's system prompt, temperature and tools on/off (see agent-configure.ts); a running
   * agent is restarted so its runtime reads them. @throws AppError NOT_FOUND, INVALID_INPUT, CONFLICT
   */
  async configure(input: AgentConfigureInput): Promise<Agent> {
    const row = this.row(input.id);
    const running = await this.ops.run(row.id, 'configure', () =>
      Promise.resolve(configureAgent(this.d, this.row(row.id), input)),
    );
    return running ? this.restart(row.id) : this.get(row.id);
  }

  /** Stops then starts. */
  async restart(id: string): Promise<Agent> {
    const row = this.row(id);
    if (row.phase === 'running') await this.stop(id);
    return this.start(id);
  }

  /** The last `tail` lines of the agent's container. @throws AppError NOT_FOUND, UNAVAILABLE */
  async logs(id: string, tail: number): Promise<string[]> {
    const row = this.row(id);
    try {
      return await this.runtime(row).logs(row.container, { tail });
    } catch (err) {
      throw toAppError(err);
    }
  }

  /**
   * Removes an agent for good: container (if any), folder, key, record. Tolerates orphans (a record
   * whose container is gone, a folder already deleted). @throws AppError NOT_FOUND, UNAVAILABLE
   */
  async purge(
    id: string,
  ): Promise<{ id: string; container_removed: boolean; files_removed: boolean; key_revoked: boolean }> {
    return this.ops.run(id, 'purge', async () => {
      const row = this.row(id);
      // An archived record stays archived until deleted: its slug may belong to a live agent by now.
      if (row.phase !== 'archived') this.phases.set(id, 'purging', null);
      let containerRemoved = false;
      try {
        const rt = this.runtime(row);
        // By name, else by its agent label (a crash may have left it renamed half-way through an archive).
        const found = await findAgentContainer(rt, row);
        containerRemoved = found !== null;
        if (found) await rt.remove(found.name);
        // A remote engine keeps the agent's home in volumes of its own: they go with the agent.
        const left = (await rt.purgeAgentData?.(id)) ?? [];
        if (left.length) throw new Error(`the engine still uses the agent's volumes ${left.join(', ')}`);
      } catch (err) {
        if (row.phase !== 'archived')
          this.phases.set(id, 'failed', `Removing the container failed: ${(err as Error).message}`);
        throw toAppError(err);
      }
      faultPoint('removed');
      await this.d.egress?.release(id);
      const keyRevoked = this.d.keys.revokeOwner(id) > 0;
      faultPoint('revoked');
      // Never following a link the agent left, never crossing into another file system; the shared
      // folders are only mounted into the container (removed above), never under these folders.
      let filesRemoved = removeAgentFolder(agentFolder(this.d.dataDir, id));
      if (row.archive_dir && removeTreeNoFollow(row.archive_dir)) filesRemoved = true;
      fs.rmSync(path.join(socketDir(this.d.dataDir), `${id}.sock`), { force: true });
      faultPoint('files');
      this.repo.delete(id);
      this.phases.removed(id);
      this.d.instructions?.delete(id);
      this.phases.changed();
      return {
        id,
        container_removed: containerRemoved,
        files_removed: filesRemoved,
        key_revoked: keyRevoked,
      };
    });
  }

  /**
   * Stops every agent that may be calling the gateway (running, starting, verifying) and revokes its
   * key, leaving it `failed` with `reason`; its next start deploys it anew (fresh container, new key, the
   * gateway's current endpoint). Used when the gateway's port was found held by another process: that
   * process may have received the agents' requests and virtual keys while Agent Desk was not running.
   * Failures to stop are logged; the key is revoked anyway. @returns how many agents were cut off.
   */
  async cutOff(reason: string): Promise<number> {
    const rows = this.repo.list().filter((r) => CALLING_PHASES.has(r.phase));
    await Promise.allSettled(
      rows.map((r) =>
        this.ops.run(r.id, 'stop', async () => {
          try {
            await this.runtime(r).stop(r.container, { timeoutS: 5 });
          } catch (err) {
            this.d.log.error({ agent: r.id, err: (err as Error).message }, 'could not stop a cut-off agent');
          }
          this.d.keys.revokeOwner(r.id);
          this.phases.set(r.id, 'failed', reason, { key_id: null, runtime_port: null, running_since: null });
        }),
      ),
    );
    return rows.length;
  }

  /** Stops following runtimes; stops running agents unless the user keeps them running. Waits for operations in progress. */
  async shutdown(): Promise<void> {
    this.follower.close();
    await this.ops.settled();
    if (!this.d.stopOnShutdown()) return;
    const running = this.repo.list().filter((r) => r.phase === 'running');
    await Promise.allSettled(running.map((r) => this.deployer.stop(r, 'Stopped when Agent Desk quit')));
  }

  private async runDeploy(id: string): Promise<void> {
    const row = this.row(id);
    try {
      await this.deployer.deploy(row, this.harness(row));
    } catch (err) {
      await this.fail(id, err, true);
    }
  }

  /**
   * `failed` with the reason and the last 50 log lines. A deploy also rolls back first (container
   * removed, key revoked), so an agent shown as failed has nothing left running; a crash before the
   * phase is written is repaired by reconciliation (a deploy phase with no container → failed).
   */
  private async fail(id: string, err: unknown, rollback: boolean): Promise<void> {
    const row = this.repo.get(id);
    if (!row) return;
    const e = err as Error;
    const reason = e instanceof DeployError && e.hint ? `${e.message}. ${e.hint}` : e.message;
    this.d.log.warn({ agent: id, phase: row.phase, err: e.message }, 'agent operation failed');
    let lines: string[] = [];
    try {
      lines = await this.runtime(row).logs(row.container, { tail: 50 });
    } catch {
      /* no container, or the engine is down: no lines */
    }
    if (rollback) {
      try {
        await this.runtime(row).remove(row.container);
      } catch (rmErr) {
        this.d.log.error(
          { agent: id, err: (rmErr as Error).message },
          'rollback could not remove the container',
        );
      }
      this.d.keys.revokeOwner(id);
    }
    this.phases.set(id, 'failed', reason, {
      failed_log: JSON.stringify(lines.slice(-50)),
      runtime_port: null,
      runtime_endpoint: null,
      running_since: null,
      ...(rollback ? { key_id: null } : {}),
    });
  }

  private row(id: string): AgentRow {
    const row = this.repo.get(id);
    if (!row) throw new AppError('NOT_FOUND', `No agent with id ${id}; see \`agents.list\``);
    return row;
  }

  private harness(row: AgentRow): Harness {
    const h = this.d.harnesses.get(row.harness);
    if (!h)
      throw new DeployError(
        `The harness "${row.harness}" is not installed; installed: ${this.d.harnesses.ids().join(', ')}`,
      );
    return h;
  }

  private runtime(row: RuntimeOwner): ContainerRuntime {
    return runtimeIn(this.d.runtimes, row);
  }
}

/**
 * The runtime an agent runs on (its kind on its engine) among `runtimes`.
 * @throws DeployError when this app has none of that kind, or the agent's named engine has no runtime.
 */
export function runtimeIn(runtimes: Runtimes, row: RuntimeOwner): ContainerRuntime {
  const rt = runtimes.forAgent(row);
  if (rt) return rt;
  const engine = row.engine ?? LOCAL_ENGINE;
  if (engine === LOCAL_ENGINE)
    throw new DeployError(`The ${row.runtime} runtime is not available in this app`);
  throw new DeployError(
    `The engine "${engine}" cannot be used: ${runtimes.refusal(engine) ?? 'it is not configured (see `engines.list`)'}`,
  );
}

/** Engine errors as contract errors (UNAVAILABLE with the fix for an engine that is down). */
export function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  if (err instanceof RuntimeUnavailableError)
    return new AppError('UNAVAILABLE', `${err.message}. ${err.fix}`);
  return new AppError('INTERNAL', (err as Error).message);
}
