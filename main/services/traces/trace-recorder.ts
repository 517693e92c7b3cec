// The trace recorder (main thread): validates events, group-commits them through the trace worker, acknowledges after commit, then publishes them.
import { TraceEvent } from '../../../contract/traces';
import type { AgentDayTotals, TracePage, TraceQuery } from '../../../contract/traces';
import type { Logger } from '../../platform/logging';
import { cursorOf } from './trace-query';
import { encodeBatch, encodeEvent } from './trace-wire';
import type { EncodedEvent } from './trace-wire';
import { TraceWorkerClient, TraceWorkerGoneError } from './trace-worker-client';
import { traceWorkerFile } from './trace-worker-file';

/** What the recorder needs. */
export interface TraceRecorderDeps {
  /**
   * The trace folder of an agent (`<agent folder>/trace`, the archive's folder while archived), or
   * `null` when there is no such agent (its events are dropped). Asked at write time, so an agent that
   * was archived or purged meanwhile is honoured.
   */
  traceDirOf(agentId: string): string | null;
  /** The trace folders of every live agent (queries without `agent_id`, sealing and retention). */
  allTraceDirs(): string[];
  /** Called once per event after its batch is committed, in record order (the `traces.event` bus event). */
  onRecorded?: (event: TraceEvent) => void;
  log: Logger;
  /** Longest wait before a batch is committed, ms (default 50). */
  batchMs?: number;
  /** Queued events that start a commit at once, without waiting for `batchMs` (default 256). */
  batchMax?: number;
  /** Days an hour is kept (setting `trace_retention_days`); `null` or absent keeps everything. */
  retentionDays?: () => number | null;
  /** The clock, UTC ms (default `Date.now`): decides which hours are sealed and which expired. */
  now?: () => number;
  /** Interval of sealing and retention, ms (default 60 000; 0 = only when {@link TraceRecorder.maintain} is called). */
  maintenanceMs?: number;
  /** The worker script (default: found by trace-worker-file.ts). */
  workerFile?: string;
}

interface Pending {
  event: TraceEvent;
  /** JSON of the event, made when it is recorded (spreads the cost; the batch posts as one string). */
  encoded: EncodedEvent;
  done?: { resolve: () => void; reject: (err: unknown) => void };
}

/** Most events sent to the worker in one batch (when the worker falls behind, the rest follow at once). */
const POST_MAX = 4096;
/**
 * Batches sent to the worker and not yet answered, at most: the next batch waits in the worker's queue
 * while one commits, so the worker never idles for the round trip of an answer. The worker answers in
 * order, so acknowledgements (and `onRecorded`) stay in record order.
 */
const IN_FLIGHT_MAX = 2;

/** Thrown for an event that is not a valid envelope v1. */
export class InvalidTraceEventError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidTraceEventError';
  }
}

function validate(raw: unknown): TraceEvent {
  const r = TraceEvent.safeParse(raw);
  if (r.success) return r.data;
  const issues = r.error.issues
    .slice(0, 3)
    .map((i) => `${i.path.join('.') || '(event)'}: ${i.message}`)
    .join('; ');
  throw new InvalidTraceEventError(`Invalid trace event: ${issues}`);
}

/**
 * Records trace events of agents (docs/decisions/006-trace-store.md). Events are validated here, queued,
 * and sent to the trace worker (trace-store.ts: one SQLite file per agent per UTC hour of `created_at`,
 * JSONL fallbacks, sealing) in batches: a batch leaves when `batchMs` passed or `batchMax` events are
 * queued, and while one batch is being committed the next one gathers (group commit). The main thread
 * never touches SQLite. `append` resolves and `onRecorded` fires only after the commit.
 */
export class TraceRecorder {
  private queue: Pending[] = [];
  private timer: NodeJS.Timeout | null = null;
  /** Batches posted to the worker and not yet answered (at most {@link IN_FLIGHT_MAX}). */
  private readonly writing = new Set<Promise<void>>();
  private closed = false;
  private maintenance: NodeJS.Timeout | null = null;
  private readonly worker: TraceWorkerClient;

  constructor(private readonly d: TraceRecorderDeps) {
    const file = d.workerFile;
    this.worker = new TraceWorkerClient(
      () => (file ? Promise.resolve(file) : traceWorkerFile()),
      (err) => d.log.error({ err }, 'trace worker failed'),
    );
  }

  /**
   * Queues one event; it is committed within `batchMs` plus the write. Write failures are logged (the
   * caller does not wait). @throws InvalidTraceEventError naming the bad fields.
   */
  record(raw: unknown): void {
    const event = validate(raw);
    this.enqueue([{ event, encoded: encodeEvent(event) }]);
  }

  /**
   * Queues events and resolves once they are committed (SQLite, or the fsync'd JSONL fallback), or
   * dropped because their agent no longer exists. @throws InvalidTraceEventError (nothing queued);
   * rejects with the storage error when an event could be stored nowhere.
   */
  append(raws: readonly unknown[]): Promise<void> {
    const events = raws.map(validate);
    return Promise.all(
      events.map(
        (event) =>
          new Promise<void>((resolve, reject) =>
            this.enqueue([{ event, encoded: encodeEvent(event), done: { resolve, reject } }]),
          ),
      ),
    ).then(() => undefined);
  }

  /**
   * One page of events (see trace-query.ts `pageOf`); events queued but not yet committed are included.
   * @throws AppError INVALID_INPUT for a bad cursor; the worker's error when files cannot be listed.
   */
  async query(q: TraceQuery): Promise<TracePage> {
    const after = cursorOf(q);
    const dirs = q.agent_id
      ? [this.d.traceDirOf(q.agent_id)].filter((d): d is string => d !== null)
      : this.d.allTraceDirs();
    const pending = this.queue.map((p) => p.event);
    const r = await this.worker.call('query', { q, after, dirs, pending });
    for (const w of r.warnings) this.d.log.warn({ detail: w }, 'trace file partly unreadable');
    return r.page;
  }

  /** The `llm_call` totals of `day` (`YYYY-MM-DD`, UTC) of each agent, committed events only. */
  totals(day: string, agentIds: readonly string[]): Promise<AgentDayTotals[]> {
    const agents = agentIds.map((id) => ({ id, dir: this.d.traceDirOf(id) }));
    return this.worker.call('totals', { day, agents });
  }

  /** Seals hours that ended more than 2 h ago and removes expired ones, over every live agent's folder. */
  async maintain(): Promise<{ sealed: number; removed: number }> {
    const now = (this.d.now ?? Date.now)();
    const r = await this.worker.call('maintain', {
      dirs: this.d.allTraceDirs(),
      now,
      retentionDays: this.d.retentionDays?.() ?? null,
    });
    for (const w of r.warnings) this.d.log.warn({ detail: w }, 'trace hour could not be sealed or removed');
    if (r.sealed || r.removed)
      this.d.log.info({ sealed: r.sealed, removed: r.removed }, 'trace hours maintained');
    return { sealed: r.sealed, removed: r.removed };
  }

  /**
   * Adds committed events of the open hour files to their text index for about `budgetMs` now (the
   * worker otherwise does it while idle). @returns whether events are still to be indexed.
   */
  indexNow(budgetMs: number): Promise<boolean> {
    return this.worker.call('index', { budgetMs });
  }

  /** Commits everything queued so far; resolves when it is committed. */
  async flush(): Promise<void> {
    while (this.writing.size || this.queue.length) {
      if (this.queue.length && this.writing.size < IN_FLIGHT_MAX) this.startWrite();
      else await Promise.race(this.writing);
    }
  }

  /** Commits what is queued, refuses further events (dropped with a warning) and stops the worker. */
  async close(): Promise<void> {
    await this.flush();
    this.closed = true;
    if (this.maintenance) clearInterval(this.maintenance);
    this.maintenance = null;
    await this.worker.close();
  }

  private enqueue(items: Pending[]): void {
    if (this.closed) {
      this.d.log.warn({ events: items.length }, 'trace event after shutdown dropped');
      for (const p of items) p.done?.resolve();
      return;
    }
    this.startMaintenance();
    this.queue.push(...items);
    this.schedule();
  }

  /**
   * Starts a write when nothing is being written and `batchMax` events are queued (otherwise within
   * `batchMs`), or when one batch is being committed and a full one is queued behind it. A partial batch
   * gathers while a write is under way (group commit).
   */
  private schedule(): void {
    if (!this.queue.length) return;
    const full = this.queue.length >= (this.d.batchMax ?? 256);
    if (this.writing.size === 0) {
      if (full) this.startWrite();
      else this.timer ??= setTimeout(() => this.startWrite(), this.d.batchMs ?? 50);
    } else if (full && this.writing.size < IN_FLIGHT_MAX) this.startWrite();
  }

  private startMaintenance(): void {
    const every = this.d.maintenanceMs ?? 60_000;
    if (this.maintenance || every <= 0) return;
    const run = () =>
      void this.maintain().catch((err: unknown) => this.d.log.error({ err }, 'trace maintenance failed'));
    this.maintenance = setInterval(run, every);
    this.maintenance.unref();
    run();
  }

  private startWrite(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.writing.size >= IN_FLIGHT_MAX || this.queue.length === 0) return;
    const batch = this.queue.splice(0, POST_MAX); // bounded: posting and acknowledging stay short on the main thread
    const done: Promise<void> = this.write(batch).finally(() => {
      this.writing.delete(done);
      this.schedule();
    });
    this.writing.add(done);
  }

  private async write(batch: Pending[]): Promise<void> {
    const dirs: string[] = [];
    const dirIndex = new Map<string, number | null>();
    const rows: { dir: number; event: EncodedEvent }[] = [];
    const sent: Pending[] = [];
    for (const p of batch) {
      const agent = p.event.agent_id;
      let index = dirIndex.get(agent);
      if (index === undefined) {
        const dir = this.d.traceDirOf(agent);
        index = dir === null ? null : dirs.push(dir) - 1;
        dirIndex.set(agent, index);
      }
      if (index === null) {
        p.done?.resolve(); // the agent no longer exists: nothing to keep
        continue;
      }
      rows.push({ dir: index, event: p.encoded });
      sent.push(p);
    }
    if (!rows.length) return;
    const body = { dirs, batch: encodeBatch(rows) };
    let outcome;
    try {
      // A worker that died mid-batch may or may not have committed it: sent again (ids de-duplicate).
      outcome = await this.worker.call('write', body).catch((err: unknown) => {
        if (err instanceof TraceWorkerGoneError) return this.worker.call('write', body);
        throw err;
      });
    } catch (err) {
      this.d.log.error({ err, events: rows.length }, 'trace events could not be written');
      for (const p of sent) p.done?.reject(err);
      return;
    }
    for (const w of outcome.warnings) this.d.log.warn({ detail: w }, 'trace store fell back');
    const failed = new Map(outcome.failed.map((f) => [f.index, f.message]));
    const dropped = new Set(outcome.dropped);
    if (failed.size)
      this.d.log.error({ events: failed.size, detail: outcome.failed[0]!.message }, 'trace events lost');
    sent.forEach((p, i) => {
      const message = failed.get(i);
      if (message !== undefined) return p.done?.reject(new Error(`Trace event not stored: ${message}`));
      p.done?.resolve();
      if (dropped.has(i)) return;
      try {
        this.d.onRecorded?.(p.event);
      } catch (err) {
        this.d.log.error({ err }, 'trace event listener failed');
      }
    });
  }
}
