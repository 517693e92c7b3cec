// The one supervisor for long-running children: start intent, readiness, restart with backoff, explicit stop.
import type { ChildProcess } from 'node:child_process';
import { LineSplitter, RingBuffer } from './output-lines';
import { killProcessGroup, spawnGroupLeader, SpawnError } from './spawn';

/**
 * `idle` never started; `starting` first start, not ready yet; `ready` the readiness check passed;
 * `restarting` crashed, waiting for its backoff or starting again; `failed` too many crashes (see
 * `crashLimit`), no more restarts until {@link SupervisedProcess.start}; `stopping`/`stopped` after
 * {@link SupervisedProcess.stop}.
 */
export type SupervisorState =
  'idle' | 'starting' | 'ready' | 'restarting' | 'failed' | 'stopping' | 'stopped';

/** What to run for one start. Built again before every (re)start, so a port or key can change each time. */
export interface SpawnPlan {
  command: string;
  args: string[];
  /** The complete environment of the child: nothing of the parent's is inherited. */
  env: NodeJS.ProcessEnv;
  cwd?: string;
}

/** A snapshot of the supervisor, safe to show (no environment, no arguments). */
export interface SupervisorStatus {
  state: SupervisorState;
  /** Pid (= process group id) of the current child, or `null`. */
  pid: number | null;
  /** UTC ms when the current state began. */
  since: number;
  /** UTC ms when the current child became ready, or `null`. */
  readyAt: number | null;
  /** Number of starts after the first one (crash restarts and deadline kills). */
  restarts: number;
  /** Crashes within the crash window (default 5 minutes). */
  recentCrashes: number;
  /** UTC ms of the next restart while `restarting` and waiting for the backoff, else `null`. */
  nextRestartAt: number | null;
  /** The last failure, one line (exit code or signal and the last stderr line), or `null`. */
  lastError: string | null;
}

/** Options of a {@link SupervisedProcess}. Times in ms. */
export interface SupervisedProcessOptions<P extends SpawnPlan> {
  /** Name for messages, e.g. `litellm`. */
  name: string;
  /** Builds the plan of the next start (may be async). A throw counts as a crash. */
  plan: () => Promise<P> | P;
  /** Readiness check, called every `readyIntervalMs` while starting; must settle on its own (use a timeout). */
  isReady: (plan: P, pid: number) => Promise<boolean>;
  readyIntervalMs?: number;
  /** A child not ready after this long is killed and counted as a crash (default 90 000). */
  startDeadlineMs?: number;
  /** Time between SIGTERM and SIGKILL on stop (default 5 000). */
  stopGraceMs?: number;
  /** Restart delays: `initial`, doubling per recent crash, capped at `max` (default 1 000 … 30 000). */
  backoff?: { initialMs: number; maxMs: number };
  /** `failed` after `count` crashes within `windowMs` (default 5 in 300 000). */
  crashLimit?: { count: number; windowMs: number };
  /** Lines of stderr kept for {@link SupervisedProcess.tail} (default 50). */
  tailLines?: number;
  /** Applied to every output line before it is kept or forwarded (secret redaction). */
  scrub?: (line: string) => string;
  /** Every output line (already scrubbed), e.g. to a rotating log file. */
  onOutput?: (line: string, stream: 'stdout' | 'stderr') => void;
  /** Called after every state change. */
  onChange?: (status: SupervisorStatus) => void;
  /** Called about once a second while starting or restarting, with the ms since the child was spawned. */
  onProgress?: (elapsedMs: number) => void;
}

interface Running<P> {
  gen: number;
  child: ChildProcess;
  pid: number;
  plan: P;
  spawnedAt: number;
  exited: Promise<void>;
  /** Why the supervisor killed it (missed start deadline), reported instead of the bare signal. */
  killReason?: string;
  /** This child's own last stderr lines, to explain its exit. */
  stderr: RingBuffer<string>;
}

/**
 * The line of a dead child's stderr that best says why it died: the first `ERROR:`/`CRITICAL:`/`FATAL:`
 * line (uvicorn, Python logging), else the last `SomeError: …`/`SomeException: …` line that is not a
 * follow-on cancellation (a Python traceback ends with the last exception raised, often
 * `asyncio.exceptions.CancelledError`), else the last line.
 */
export function failureLine(lines: readonly string[]): string | undefined {
  const logged = lines.find((l) => /^(ERROR|CRITICAL|FATAL)\b/.test(l.trim()));
  if (logged) return logged.trim().replace(/^(ERROR|CRITICAL|FATAL):?\s*/, '');
  const raised = [...lines]
    .reverse()
    .find(
      (l) => /^[\w.]*(Error|Exception)\b.*:/.test(l.trim()) && !/CancelledError|KeyboardInterrupt/.test(l),
    );
  return (raised ?? lines.at(-1))?.trim();
}

/**
 * Keeps one child process running (modelled on Rancher Desktop's backgroundProcess):
 * - each child leads its own process group; signals go to the group (`kill(-pid)`), never SIGHUP;
 * - it only ever signals children it spawned itself — never a process found by port, name or pid file;
 * - ready when `isReady` answers true while the child is alive (within `startDeadlineMs`);
 * - an exit it did not ask for is a crash: restart after 1, 2, 4 … s, `failed` after `crashLimit`;
 * - exits of children it already replaced (stale generations) are ignored;
 * - stop = SIGTERM to the group, SIGKILL after `stopGraceMs`.
 */
export class SupervisedProcess<P extends SpawnPlan = SpawnPlan> {
  private wanted: 'running' | 'stopped' = 'stopped';
  private gen = 0;
  private current: Running<P> | null = null;
  private st: SupervisorStatus;
  private crashes: number[] = [];
  private restartTimer: NodeJS.Timeout | null = null;
  private progressTimer: NodeJS.Timeout | null = null;
  private stopping: Promise<void> | null = null;
  private readonly stderrTail: RingBuffer<string>;
  private waiters: { resolve: () => void; reject: (err: Error) => void }[] = [];

  constructor(private readonly opts: SupervisedProcessOptions<P>) {
    this.stderrTail = new RingBuffer(opts.tailLines ?? 50);
    this.st = {
      state: 'idle',
      pid: null,
      since: Date.now(),
      readyAt: null,
      restarts: 0,
      recentCrashes: 0,
      nextRestartAt: null,
      lastError: null,
    };
  }

  /** A copy of the current status. */
  status(): SupervisorStatus {
    return { ...this.st, recentCrashes: this.recentCrashes() };
  }

  /** The last stderr lines (scrubbed), oldest first. */
  tail(): string[] {
    return this.stderrTail.toArray();
  }

  /** The plan and pid of the child while it is `ready`, else `null`. */
  ready(): { plan: P; pid: number } | null {
    const c = this.current;
    return this.st.state === 'ready' && c ? { plan: c.plan, pid: c.pid } : null;
  }

  /**
   * Start intent: spawns the child unless it is already wanted running. From `failed` or `stopped`
   * it starts afresh (crash history cleared). Returns at once; see {@link whenReady}.
   */
  start(): void {
    if (this.wanted === 'running' && this.st.state !== 'failed') return;
    if (this.stopping)
      throw new Error(`${this.opts.name} is stopping; wait for stop() before starting again`);
    this.wanted = 'running';
    this.crashes = [];
    void this.spawnNext(this.st.state === 'idle' || this.st.state === 'stopped' ? 'starting' : 'restarting');
  }

  /**
   * Resolves when the child is (or next becomes) ready.
   * @throws Error when it reaches `failed`, or is stopped, first.
   */
  whenReady(): Promise<void> {
    if (this.st.state === 'ready') return Promise.resolve();
    if (this.st.state === 'failed' || this.wanted === 'stopped')
      return Promise.reject(new Error(`${this.opts.name} is ${this.st.state}: ${this.st.lastError ?? ''}`));
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  /**
   * Stop intent: no more restarts; SIGTERM to the child's process group, SIGKILL after `stopGraceMs`.
   * Resolves once the child has exited (at once when there is none). Safe to call twice.
   */
  stop(): Promise<void> {
    this.stopping ??= this.doStop().finally(() => (this.stopping = null));
    return this.stopping;
  }

  private async doStop(): Promise<void> {
    this.wanted = 'stopped';
    this.clearTimers();
    const c = this.current;
    if (c) {
      this.setState('stopping');
      killProcessGroup(c.pid, 'SIGTERM');
      const grace = new Promise<'timeout'>((r) =>
        setTimeout(() => r('timeout'), this.opts.stopGraceMs ?? 5000),
      );
      if ((await Promise.race([c.exited.then(() => 'exited' as const), grace])) === 'timeout') {
        killProcessGroup(c.pid, 'SIGKILL');
        await c.exited;
      }
    }
    this.gen++;
    this.current = null;
    this.setState('stopped', { pid: null, readyAt: null, nextRestartAt: null });
    this.settleWaiters(new Error(`${this.opts.name} was stopped`));
  }

  private async spawnNext(state: 'starting' | 'restarting'): Promise<void> {
    const gen = ++this.gen;
    this.setState(state, { pid: null, readyAt: null, nextRestartAt: null });
    let plan: P;
    let child: ChildProcess;
    try {
      plan = await this.opts.plan();
      if (gen !== this.gen || this.wanted !== 'running') return;
      child = await spawnGroupLeader(plan.command, plan.args, { env: plan.env, cwd: plan.cwd });
    } catch (err) {
      if (gen !== this.gen || this.wanted !== 'running') return;
      const msg =
        err instanceof SpawnError ? err.message : `could not prepare the start: ${(err as Error).message}`;
      this.crashed(this.scrub(msg));
      return;
    }
    const pid = child.pid!;
    if (gen !== this.gen || this.wanted !== 'running') {
      // Stopped while spawning: this child never becomes current; end it like stop() would.
      killProcessGroup(pid, 'SIGTERM');
      const t = setTimeout(
        () => alive(child) && killProcessGroup(pid, 'SIGKILL'),
        this.opts.stopGraceMs ?? 5000,
      );
      child.once('exit', () => clearTimeout(t));
      return;
    }
    const exited = new Promise<void>((resolve) =>
      child.once('exit', (code, signal) => {
        this.reapStragglers(pid);
        // Let the last output lines arrive (they say why it died); 'close' waits for the pipes.
        let done = false;
        const settle = () => {
          if (done) return;
          done = true;
          clearTimeout(timer);
          this.onExit(gen, code, signal);
          resolve();
        };
        const timer = setTimeout(settle, 500);
        child.once('close', settle);
      }),
    );
    const own = new RingBuffer<string>(200);
    this.hookOutput(child, own);
    this.current = { gen, child, pid, plan, spawnedAt: Date.now(), exited, stderr: own };
    this.setState(state, { pid });
    this.startProgress(gen);
    void this.waitReady(gen);
  }

  private async waitReady(gen: number): Promise<void> {
    const interval = this.opts.readyIntervalMs ?? 250;
    const deadline = this.opts.startDeadlineMs ?? 90_000;
    for (;;) {
      const c = this.current;
      if (!c || c.gen !== gen || this.wanted !== 'running' || !alive(c.child)) return;
      if (Date.now() - c.spawnedAt > deadline) {
        c.killReason = `${this.opts.name} was not ready after ${Math.round(deadline / 1000)} s and was killed`;
        killProcessGroup(c.pid, 'SIGKILL'); // the exit handler counts the crash and restarts
        return;
      }
      let ok = false;
      try {
        ok = await this.opts.isReady(c.plan, c.pid);
      } catch {
        ok = false;
      }
      if (ok && this.current?.gen === gen && this.wanted === 'running' && alive(c.child)) {
        this.stopProgress();
        this.setState('ready', { readyAt: Date.now() });
        this.settleWaiters(null);
        return;
      }
      await new Promise((r) => setTimeout(r, interval));
    }
  }

  private onExit(gen: number, code: number | null, signal: NodeJS.Signals | null): void {
    if (gen !== this.gen || this.current?.gen !== gen) return; // a child already replaced or stopped: ignore
    const killReason = this.current.killReason;
    if (this.wanted !== 'running') {
      this.current = null;
      return; // doStop() finishes the transition
    }
    const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
    const why = failureLine(this.current.stderr.toArray());
    this.current = null;
    this.crashed(killReason ?? `${this.opts.name} ${how}${why ? `: ${why.slice(0, 300)}` : ''}`);
  }

  private crashed(reason: string): void {
    this.stopProgress();
    const now = Date.now();
    this.crashes.push(now);
    const recent = this.recentCrashes();
    const limit = this.opts.crashLimit?.count ?? 5;
    if (recent >= limit) {
      this.setState('failed', { pid: null, readyAt: null, nextRestartAt: null, lastError: reason });
      this.settleWaiters(new Error(`${this.opts.name} failed: ${reason}`));
      return;
    }
    const { initialMs, maxMs } = this.opts.backoff ?? { initialMs: 1000, maxMs: 30_000 };
    const delay = Math.min(initialMs * 2 ** Math.max(0, recent - 1), maxMs);
    this.setState('restarting', {
      pid: null,
      readyAt: null,
      nextRestartAt: now + delay,
      lastError: reason,
      restarts: this.st.restarts + 1,
    });
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      if (this.wanted === 'running') void this.spawnNext('restarting');
    }, delay);
  }

  /** Kills what is left of an exited child's own group (its children); the group id cannot be reused while they live. */
  private reapStragglers(pid: number): void {
    try {
      if (killProcessGroup(pid, 0)) killProcessGroup(pid, 'SIGKILL');
    } catch {
      /* EPERM: not ours to signal */
    }
  }

  private hookOutput(child: ChildProcess, own: RingBuffer<string>): void {
    for (const stream of ['stdout', 'stderr'] as const) {
      // Lines are scrubbed by the splitter, before any cut (a secret straddling a cut would leak a prefix).
      const splitter = new LineSplitter(
        (line) => {
          if (stream === 'stderr') {
            this.stderrTail.push(line);
            own.push(line);
          }
          this.opts.onOutput?.(line, stream);
        },
        8192,
        this.opts.scrub,
      );
      const s = child[stream]!;
      s.setEncoding('utf8');
      s.on('data', (c: string) => splitter.push(c));
      s.on('end', () => splitter.end());
    }
  }

  private recentCrashes(): number {
    const windowMs = this.opts.crashLimit?.windowMs ?? 300_000;
    const from = Date.now() - windowMs;
    this.crashes = this.crashes.filter((t) => t >= from);
    return this.crashes.length;
  }

  private scrub(line: string): string {
    return this.opts.scrub ? this.opts.scrub(line) : line;
  }

  private setState(state: SupervisorState, patch: Partial<SupervisorStatus> = {}): void {
    const changedState = state !== this.st.state;
    this.st = { ...this.st, ...patch, state, since: changedState ? Date.now() : this.st.since };
    this.opts.onChange?.(this.status());
  }

  private settleWaiters(err: Error | null): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) {
      if (err) w.reject(err);
      else w.resolve();
    }
  }

  private startProgress(gen: number): void {
    this.stopProgress();
    if (!this.opts.onProgress) return;
    this.progressTimer = setInterval(() => {
      const c = this.current;
      if (c?.gen === gen) this.opts.onProgress?.(Date.now() - c.spawnedAt);
    }, 1000);
    this.progressTimer.unref();
  }

  private stopProgress(): void {
    if (this.progressTimer) clearInterval(this.progressTimer);
    this.progressTimer = null;
  }

  private clearTimers(): void {
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = null;
    this.stopProgress();
  }
}

function alive(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}
