// Keeps agents in step with their container engines: reconcile at start and when an engine returns, follow its events.
import type { AgentPhase } from '../../../contract/agents';
import type { Logger } from '../../platform/logging';
import type { ContainerRuntime, RuntimeEvent } from '../runtimes/container-runtime';
import { LOCAL_ENGINE } from '../runtimes/engine-target';
import type { RuntimeEntry, Runtimes } from '../runtimes/runtimes';
import type { AgentRepository, AgentRow } from './agent-repository';
import type { HarnessRegistry } from '../harnesses/registry';
import type { AgentOps } from './agent-ops';
import { oomMessage } from './oom';
import type { PhaseWriter } from './agent-phases';
import { reconcileAgents, RESUMED_PHASES } from './reconcile';
import type { ReconcileDeps } from './reconcile';

/**
 * An agent operation the follower found to be needed; whoever runs operations (the agent service,
 * queued per agent) listens with {@link RuntimeFollower.onNeed}. `archive`, `purge`: finish what a
 * crash interrupted (their steps can run again); `rollBackRestore`: undo a restore a crash interrupted
 * (the agent is archived again); `start`: an agent whose container was started outside Agent Desk, or
 * that was running when its named engine went away and found stopped when it returned.
 */
export interface FollowerNeed {
  op: 'archive' | 'purge' | 'rollBackRestore' | 'start';
  id: string;
}

/** What the follower needs. */
export interface RuntimeFollowerHost {
  repo: AgentRepository;
  /** The core's runtimes, keyed by kind and engine; named engines may come and go while it runs. */
  runtimes: Runtimes;
  instanceId: string;
  gateway: { addBind(address: string): Promise<{ ok: true } | { ok: false; error: string }> };
  /** Whether agents have egress attachments (Incus: the gateway then also listens on the bridge); absent = false. */
  egressActive?: () => Promise<boolean>;
  /** The agents' virtual keys: the live ones (reconciliation) and revoking an agent's. */
  keys: ReconcileDeps['keys'] & { revokeOwner(owner: string): number };
  log: Logger;
  /** Phase changes, and the change event for the UIs. */
  phases: PhaseWriter & { changed(): void };
  /** Which agents have an operation running (their runtime events are ours, not news) or waiting. */
  ops: Pick<AgentOps, 'isBusy' | 'isQueued'>;
  /** The installed harnesses: their memory needs name the fix when the kernel killed an agent for lack of memory. */
  harnesses: Pick<HarnessRegistry, 'get'>;
  /** The name of a named engine as shown (for reasons such as "Stopped while … was not reachable"). */
  engineName?: (engine: string) => string;
}

const LIVE_WITH_CONTAINER: ReadonlySet<AgentPhase> = new Set(['running', 'stopped']);

/**
 * Per runtime (a kind on an engine): reconciles the DB with what the engine reports (at start, and again
 * whenever the engine answers after being unreachable, since what happened meanwhile was not seen),
 * then follows its events (a container stopped, removed or started outside Agent Desk). Whether an
 * engine is reachable is learnt from its event stream and from {@link reachable} (the engines' health
 * probes); while it is not, its agents show `unreachable` and nothing is changed about them.
 */
export class RuntimeFollower {
  /** Per runtime key, the function that stops following it. */
  private readonly unsubscribe = new Map<string, () => void>();
  /** Runtime keys ({@link runtimeKey}) whose engine is unreachable now. */
  private readonly down = new Set<string>();
  /** Named engines that went away: the agents that were running then, started again when it returns. */
  private readonly runningAtOutage = new Map<string, string[]>();
  /** Reconciliations after an engine came back, one at a time. */
  private reconciling: Promise<void> = Promise.resolve();
  private closed = false;
  private started = false;
  /** Per runtime key, the answer of its engine to the check made when the core started: null = it answered. */
  private probed: Map<string, Promise<Error | null>> | null = null;
  private readonly needListeners = new Set<(need: FollowerNeed) => void>();
  private stopWatchingRuntimes: (() => void) | null = null;

  constructor(private readonly h: RuntimeFollowerHost) {}

  /**
   * Listens for the operations the follower finds needed (see {@link FollowerNeed}); the follower runs
   * none itself. Returns the function that stops listening.
   */
  onNeed(listener: (need: FollowerNeed) => void): () => void {
    this.needListeners.add(listener);
    return () => this.needListeners.delete(listener);
  }

  private need(n: FollowerNeed): void {
    for (const l of this.needListeners) {
      try {
        l(n);
      } catch (err) {
        this.h.log.error(
          { agent: n.id, op: n.op, err: (err as Error).message },
          'an operation could not be asked for',
        );
      }
    }
  }

  /** Whether the engine of runtime key `key` ({@link runtimeKey}) is known to be unreachable now. */
  isDown(key: string): boolean {
    return this.down.has(key);
  }

  /**
   * Asks every runtime's engine whether it answers, now, without waiting for the answers. Called when the
   * core starts, before its slower start steps (egress rules), so that {@link init} judges each engine
   * by its state at that moment: an engine that was down when the core started is reconciled as one that
   * was unreachable, even when it answers again by the time the agents are reconciled. Idempotent.
   */
  probe(): void {
    if (this.probed) return;
    this.probed = new Map();
    for (const e of this.h.runtimes.all()) this.probed.set(e.key, pingOf(e.rt));
  }

  /**
   * Per available runtime: reconciles it when its engine answered {@link probe} (else marks it down, to
   * be reconciled, with the reason that it was unreachable, when it answers), then follows its events.
   * Probes first when {@link probe} was not called. Runtimes added later (named engines) are followed
   * the same way as they come. Never throws for an engine that is down.
   * @throws engine errors from reconciliation of a reachable engine.
   */
  async init(): Promise<void> {
    this.probe();
    this.started = true;
    this.stopWatchingRuntimes = this.h.runtimes.onChange((c) => {
      if (this.closed) return;
      if (c.op === 'remove') {
        this.unsubscribe.get(c.entry.key)?.();
        this.unsubscribe.delete(c.entry.key);
        this.down.delete(c.entry.key);
        return;
      }
      this.reconciling = this.reconciling
        .then(() => this.start(c.entry, pingOf(c.entry.rt)))
        .then(() => this.h.phases.changed())
        .catch((err: Error) =>
          this.h.log.error({ runtime: c.entry.key, err: err.message }, 'agents could not be reconciled'),
        );
    });
    for (const e of this.h.runtimes.all()) {
      await this.start(e, this.probed!.get(e.key) ?? pingOf(e.rt));
    }
  }

  /** Reconciles one runtime when its engine answered `ping` (else marks it down), then follows it. */
  private async start(e: RuntimeEntry, ping: Promise<Error | null>): Promise<void> {
    if (this.unsubscribe.has(e.key)) return;
    const err = await ping;
    if (this.closed) return;
    if (err) {
      this.h.log.warn(
        { runtime: e.key, err: err.message },
        'runtime not reachable; agents on it are reconciled when it answers',
      );
      this.down.add(e.key);
      this.follow(e);
      return;
    }
    await this.reconcile(e);
    this.follow(e);
  }

  /**
   * What a probe of the engine found (the named engines' health probes call it): unreachable marks its
   * agents `unreachable` (no phase changes); reachable again reconciles them. Runtimes not followed
   * (unknown key, before {@link init}) are ignored.
   */
  reachable(key: string, up: boolean, error?: string): void {
    const e = this.h.runtimes.all().find((x) => x.key === key);
    if (!e || !this.started || !this.unsubscribe.has(key)) return;
    this.onState(e, up, error);
  }

  /** Stops following every runtime (events after this are ignored). */
  close(): void {
    this.closed = true;
    this.stopWatchingRuntimes?.();
    for (const u of this.unsubscribe.values()) u();
    this.unsubscribe.clear();
  }

  private follow(e: RuntimeEntry): void {
    this.unsubscribe.set(
      e.key,
      e.rt.events(
        (ev) => this.onEvent(ev, e),
        (connected, error) => this.onState(e, connected, error),
      ),
    );
  }

  private onState(e: RuntimeEntry, connected: boolean, error?: string): void {
    if (this.closed) return;
    const { key } = e;
    if (!connected) {
      if (this.down.has(key)) return;
      this.h.log.warn({ runtime: key, ...(error ? { err: error } : {}) }, 'runtime unreachable');
      this.down.add(key);
      // A named engine's agents that were running are started again when it returns (its host rebooted,
      // its daemon restarted: their containers stopped with it). This machine's engines follow the user's
      // own start of the engine instead (the setting to stop agents on quit, the agents' own phases).
      if (e.engine !== LOCAL_ENGINE)
        this.runningAtOutage.set(
          key,
          this.h.repo
            .list()
            .filter((r) => onRuntime(r, e) && r.phase === 'running')
            .map((r) => r.id),
        );
      if (this.hasAgents(e)) this.h.phases.changed();
      return;
    }
    if (!this.down.delete(key)) return;
    this.h.log.info({ runtime: key }, 'runtime reachable again; reconciling its agents');
    const what =
      e.engine === LOCAL_ENGINE ? e.kind : `the engine "${this.h.engineName?.(e.engine) ?? e.engine}"`;
    const wasRunning = this.runningAtOutage.get(key) ?? [];
    this.runningAtOutage.delete(key);
    this.reconciling = this.reconciling
      .then(() => this.reconcile(e, `Stopped while ${what} was not reachable`))
      .then(() => {
        for (const id of wasRunning)
          if (this.h.repo.get(id)?.phase === 'stopped' && !this.h.ops.isQueued(id))
            this.need({ op: 'start', id });
      })
      .then(() => this.h.phases.changed())
      .catch((err: Error) =>
        this.h.log.error({ runtime: key, err: err.message }, 'agents could not be reconciled'),
      );
  }

  /** Whether any agent that is not archived is recorded on this runtime. */
  private hasAgents(e: RuntimeEntry): boolean {
    return this.h.repo.list().some((r) => onRuntime(r, e) && r.phase !== 'archived');
  }

  /**
   * Listens on the runtime's bridge address again (for agents left running), reconciles the DB with the
   * runtime (agents with an operation in progress are left to it), then settles interrupted operations.
   */
  private async reconcile(e: RuntimeEntry, stoppedReason?: string): Promise<void> {
    const { repo, log } = this.h;
    const { kind, rt } = e;
    if (this.hasAgents(e)) {
      try {
        const net = await rt.prepareNetwork({ egress: (await this.h.egressActive?.()) ?? false });
        if (net.gatewayBind) {
          const bound = await this.h.gateway.addBind(net.gatewayBind);
          if (!bound.ok)
            log.error({ runtime: e.key, error: bound.error }, 'gateway cannot listen on the bridge');
        }
      } catch (err) {
        log.error(
          { runtime: e.key, err: (err as Error).message },
          'network for agents could not be prepared',
        );
      }
    }
    await reconcileAgents({
      kind,
      engine: e.engine,
      rt,
      instanceId: this.h.instanceId,
      repo,
      keys: this.h.keys,
      log,
      phases: this.h.phases,
      skip: (id) => this.h.ops.isBusy(id) || this.h.ops.isQueued(id),
      stoppedReason,
    });
    this.resumeInterrupted(e);
  }

  /**
   * Settles, in the background, the operations a crash interrupted, so an agent never stays `archiving`,
   * `restoring` or `purging`: archives and purges are finished (their steps can run again); restores are
   * undone (the agent is archived again), as finishing one would need a ready LiteLLM to verify it.
   * Failures are logged; the agent then stays where the step left it.
   */
  private resumeInterrupted(e: RuntimeEntry): void {
    for (const row of this.h.repo.list()) {
      if (!onRuntime(row, e) || !RESUMED_PHASES.includes(row.phase) || this.h.ops.isQueued(row.id)) continue;
      this.h.log.warn({ agent: row.id, phase: row.phase }, 'finishing an operation a crash interrupted');
      this.need({
        id: row.id,
        op: row.phase === 'archiving' ? 'archive' : row.phase === 'restoring' ? 'rollBackRestore' : 'purge',
      });
    }
  }

  /** A container of ours changed outside an operation: stopped → stopped/failed, removed → failed, started → start. */
  private onEvent(e: RuntimeEvent, from: RuntimeEntry): void {
    const id = e.labels['agentdesk.agent_id'];
    if (!id || this.h.ops.isBusy(id) || this.closed) return;
    const row = this.h.repo.get(id);
    if (!row || row.container !== e.name || !onRuntime(row, from)) return;
    if (e.action === 'stop' && row.phase === 'running') {
      const code = e.exitCode ?? null;
      const clean = code === 0 || code === 143;
      const stopped = (oom: { message: string; fix: string } | null) => {
        const now = this.h.repo.get(id);
        if (this.closed || this.h.ops.isBusy(id) || now?.phase !== 'running' || now.container !== e.name)
          return;
        this.h.phases.set(
          id,
          clean && !oom ? 'stopped' : 'failed',
          oom
            ? `${oom.message}. ${oom.fix}`
            : `The container stopped outside Agent Desk${code !== null ? ` (exit code ${code})` : ''}`,
          { runtime_port: null, runtime_endpoint: null, running_since: null },
        );
      };
      // A kill by the kernel for lack of memory is said as such, with the limit and the fix.
      const rt = from.rt;
      const harness = this.h.harnesses.get(row.harness);
      if (clean || !rt || !harness) stopped(null);
      else
        void oomMessage(rt, row, harness.manifest, 'and its container stopped')
          .catch(() => null)
          .then(stopped);
    } else if (e.action === 'remove' && LIVE_WITH_CONTAINER.has(row.phase)) {
      this.h.phases.set(
        id,
        'failed',
        'The container was removed outside Agent Desk; start the agent to deploy it again',
        { runtime_port: null, runtime_endpoint: null, running_since: null, key_id: null },
      );
      this.h.keys.revokeOwner(id);
    } else if (e.action === 'start' && row.phase === 'stopped') {
      this.need({ id, op: 'start' });
    }
  }
}

/** Whether an agent row is on the runtime `e` (its kind on its engine). */
function onRuntime(row: Pick<AgentRow, 'runtime' | 'engine'>, e: RuntimeEntry): boolean {
  return row.runtime === e.kind && (row.engine ?? LOCAL_ENGINE) === e.engine;
}

/** A ping as a promise that settles with null (it answered) or the error. */
function pingOf(rt: ContainerRuntime): Promise<Error | null> {
  return rt.ping().then(
    () => null,
    (err: unknown) => (err instanceof Error ? err : new Error(String(err))),
  );
}
