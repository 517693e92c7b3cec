// Keeps agents in step with their container engines: reconcile at start and when an engine returns, follow its events.
import type { AgentPhase } from '../../../contract/agents';
import type { Logger } from '../../platform/logging';
import type { ContainerRuntime, RuntimeEvent, RuntimeKind } from '../runtimes/container-runtime';
import { RUNTIME_KINDS } from '../runtimes/container-runtime';
import type { AgentRepository } from './agent-repository';
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
 * (the agent is archived again); `start`: an agent whose container was started outside Agent Desk.
 */
export interface FollowerNeed {
  op: 'archive' | 'purge' | 'rollBackRestore' | 'start';
  id: string;
}

/** What the follower needs. */
export interface RuntimeFollowerHost {
  repo: AgentRepository;
  runtimes: Partial<Record<RuntimeKind, ContainerRuntime>>;
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
}

const LIVE_WITH_CONTAINER: ReadonlySet<AgentPhase> = new Set(['running', 'stopped']);

/**
 * Per runtime: reconciles the DB with what the engine reports (at start, and again whenever the engine
 * answers after being unreachable, since what happened meanwhile was not seen), then follows its
 * events (a container stopped, removed or started outside Agent Desk).
 */
export class RuntimeFollower {
  private readonly unsubscribe: (() => void)[] = [];
  /** Runtimes whose engine is unreachable now. */
  private readonly down = new Set<RuntimeKind>();
  /** Reconciliations after an engine came back, one at a time. */
  private reconciling: Promise<void> = Promise.resolve();
  private closed = false;
  /** Per runtime, the answer of its engine to the check made when the core started: null = it answered. */
  private probed: Map<RuntimeKind, Promise<Error | null>> | null = null;
  private readonly needListeners = new Set<(need: FollowerNeed) => void>();

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

  /**
   * Asks every runtime's engine whether it answers, now, without waiting for the answers. Called when the
   * core starts, before its slower start steps (egress rules), so that {@link init} judges each engine
   * by its state at that moment: an engine that was down when the core started is reconciled as one that
   * was unreachable, even when it answers again by the time the agents are reconciled. Idempotent.
   */
  probe(): void {
    if (this.probed) return;
    this.probed = new Map();
    for (const kind of RUNTIME_KINDS) {
      const rt = this.h.runtimes[kind];
      if (rt)
        this.probed.set(
          kind,
          rt.ping().then(
            () => null,
            (err: unknown) => (err instanceof Error ? err : new Error(String(err))),
          ),
        );
    }
  }

  /**
   * Per available runtime: reconciles it when its engine answered {@link probe} (else marks it down, to
   * be reconciled, with the reason that it was unreachable, when it answers), then follows its events.
   * Probes first when {@link probe} was not called. Never throws for an engine that is down.
   * @throws engine errors from reconciliation of a reachable engine.
   */
  async init(): Promise<void> {
    this.probe();
    for (const kind of RUNTIME_KINDS) {
      const rt = this.h.runtimes[kind];
      if (!rt) continue;
      const err = await this.probed!.get(kind);
      if (err) {
        this.h.log.warn(
          { runtime: kind, err: err.message },
          'runtime not reachable; agents on it are reconciled when it answers',
        );
        this.down.add(kind);
        this.follow(kind, rt);
        continue;
      }
      await this.reconcile(kind, rt);
      this.follow(kind, rt);
    }
  }

  /** Stops following every runtime (events after this are ignored). */
  close(): void {
    this.closed = true;
    for (const u of this.unsubscribe.splice(0)) u();
  }

  private follow(kind: RuntimeKind, rt: ContainerRuntime): void {
    this.unsubscribe.push(
      rt.events(
        (e) => this.onEvent(e),
        (connected) => {
          if (this.closed) return;
          if (!connected) {
            if (!this.down.has(kind)) this.h.log.warn({ runtime: kind }, 'runtime unreachable');
            this.down.add(kind);
            return;
          }
          if (!this.down.delete(kind)) return;
          this.h.log.info({ runtime: kind }, 'runtime reachable again; reconciling its agents');
          this.reconciling = this.reconciling
            .then(() => this.reconcile(kind, rt, `Stopped while ${kind} was not reachable`))
            .then(() => this.h.phases.changed())
            .catch((err: Error) =>
              this.h.log.error({ runtime: kind, err: err.message }, 'agents could not be reconciled'),
            );
        },
      ),
    );
  }

  /**
   * Listens on the runtime's bridge address again (for agents left running), reconciles the DB with the
   * runtime (agents with an operation in progress are left to it), then settles interrupted operations.
   */
  private async reconcile(kind: RuntimeKind, rt: ContainerRuntime, stoppedReason?: string): Promise<void> {
    const { repo, log } = this.h;
    if (repo.list().some((r) => r.runtime === kind && r.phase !== 'archived')) {
      try {
        const net = await rt.prepareNetwork({ egress: (await this.h.egressActive?.()) ?? false });
        if (net.gatewayBind) {
          const bound = await this.h.gateway.addBind(net.gatewayBind);
          if (!bound.ok)
            log.error({ runtime: kind, error: bound.error }, 'gateway cannot listen on the bridge');
        }
      } catch (err) {
        log.error({ runtime: kind, err: (err as Error).message }, 'network for agents could not be prepared');
      }
    }
    await reconcileAgents({
      kind,
      rt,
      instanceId: this.h.instanceId,
      repo,
      keys: this.h.keys,
      log,
      phases: this.h.phases,
      skip: (id) => this.h.ops.isBusy(id) || this.h.ops.isQueued(id),
      stoppedReason,
    });
    this.resumeInterrupted(kind);
  }

  /**
   * Settles, in the background, the operations a crash interrupted, so an agent never stays `archiving`,
   * `restoring` or `purging`: archives and purges are finished (their steps can run again); restores are
   * undone (the agent is archived again), as finishing one would need a ready LiteLLM to verify it.
   * Failures are logged; the agent then stays where the step left it.
   */
  private resumeInterrupted(kind: RuntimeKind): void {
    for (const row of this.h.repo.list()) {
      if (row.runtime !== kind || !RESUMED_PHASES.includes(row.phase) || this.h.ops.isQueued(row.id))
        continue;
      this.h.log.warn({ agent: row.id, phase: row.phase }, 'finishing an operation a crash interrupted');
      this.need({
        id: row.id,
        op: row.phase === 'archiving' ? 'archive' : row.phase === 'restoring' ? 'rollBackRestore' : 'purge',
      });
    }
  }

  /** A container of ours changed outside an operation: stopped → stopped/failed, removed → failed, started → start. */
  private onEvent(e: RuntimeEvent): void {
    const id = e.labels['agentdesk.agent_id'];
    if (!id || this.h.ops.isBusy(id) || this.closed) return;
    const row = this.h.repo.get(id);
    if (!row || row.container !== e.name) return;
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
      const rt = this.h.runtimes[row.runtime];
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
