// The trace recorder: validates events, appends them in batches to the agent's hourly JSONL files (fsync'd), then publishes them.
import fs from 'node:fs';
import path from 'node:path';
import { TraceEvent } from '../../../contract/traces';
import type { TracePage, TraceQuery } from '../../../contract/traces';
import type { Logger } from '../../platform/logging';
import { hourFileOf } from './trace-files';
import { queryTraces } from './trace-query';

/** What the recorder needs. */
export interface TraceRecorderDeps {
  /**
   * The trace folder of an agent (`<agent folder>/trace`, the archive's folder while archived), or
   * `null` when there is no such agent (its events are dropped). Asked at write time, so an agent that
   * was archived or purged meanwhile is honoured.
   */
  traceDirOf(agentId: string): string | null;
  /** The trace folders of every live agent (queries without `agent_id`). */
  allTraceDirs(): string[];
  /** Called once per event after its batch is on disk, in record order (the `traces.event` bus event). */
  onRecorded?: (event: TraceEvent) => void;
  log: Logger;
  /** Longest wait before a batch is written, ms (default 50). */
  batchMs?: number;
}

interface Pending {
  event: TraceEvent;
  done?: { resolve: () => void; reject: (err: unknown) => void };
}

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
 * Records trace events of agents (ARCHITECTURE §5 "Trace store", the JSONL part). Events are queued and
 * written every ≤ `batchMs` (group commit: one append and one fdatasync per hour file per batch) to
 * `<trace>/YYYY-MM-DDTHH.jsonl`, the UTC hour of `created_at` (so an event made at 14:59:59.999 and
 * written at 15:00 lands in T14). Batches are written one after the other, so each file holds events in
 * record order. Files are 0600, folders 0700; a folder is only made inside an agent folder that exists,
 * so an event arriving after a purge never brings the folder back. Issue 7 adds SQLite `.db` files
 * beside these with the same hour keys and merges them on read.
 */
export class TraceRecorder {
  private queue: Pending[] = [];
  private inflight: Pending[] = [];
  private timer: NodeJS.Timeout | null = null;
  private writing: Promise<void> | null = null;
  private closed = false;

  constructor(private readonly d: TraceRecorderDeps) {}

  /**
   * Queues one event; it is on disk within `batchMs` plus the write. Write failures are logged (the
   * caller does not wait). @throws InvalidTraceEventError naming the bad fields.
   */
  record(raw: unknown): void {
    this.enqueue([{ event: validate(raw) }]);
  }

  /**
   * Queues events and resolves once they are on disk (fdatasync'd), or dropped because their agent no
   * longer exists. @throws InvalidTraceEventError (nothing queued); rejects with the file system error.
   */
  append(raws: readonly unknown[]): Promise<void> {
    const events = raws.map(validate);
    return Promise.all(
      events.map(
        (event) =>
          new Promise<void>((resolve, reject) => this.enqueue([{ event, done: { resolve, reject } }])),
      ),
    ).then(() => undefined);
  }

  /** One page of events (see {@link queryTraces}); events queued but not yet written are included. */
  query(q: TraceQuery): Promise<TracePage> {
    const dirs = q.agent_id
      ? [this.d.traceDirOf(q.agent_id)].filter((d): d is string => d !== null)
      : this.d.allTraceDirs();
    const pending = [...this.inflight, ...this.queue].map((p) => p.event);
    return queryTraces(q, { dirs, pending });
  }

  /** Writes everything queued so far; resolves when it is on disk. */
  async flush(): Promise<void> {
    while (this.writing || this.queue.length) {
      if (this.writing) await this.writing;
      else this.startWrite();
    }
  }

  /** Writes what is queued and refuses further events (they are dropped with a warning). */
  async close(): Promise<void> {
    await this.flush();
    this.closed = true;
  }

  private enqueue(items: Pending[]): void {
    if (this.closed) {
      this.d.log.warn({ events: items.length }, 'trace event after shutdown dropped');
      for (const p of items) p.done?.resolve();
      return;
    }
    this.queue.push(...items);
    if (!this.timer && !this.writing) this.timer = setTimeout(() => this.startWrite(), this.d.batchMs ?? 50);
  }

  private startWrite(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.writing || this.queue.length === 0) return;
    const batch = this.queue.splice(0);
    this.inflight = batch;
    this.writing = this.write(batch).finally(() => {
      this.inflight = [];
      this.writing = null;
      if (this.queue.length && !this.timer)
        this.timer = setTimeout(() => this.startWrite(), this.d.batchMs ?? 50);
    });
  }

  private async write(batch: Pending[]): Promise<void> {
    // Group by file, keeping record order inside each file; the folder is resolved now, not at record time.
    const files = new Map<string, Pending[]>();
    const dropped: Pending[] = [];
    const dirs = new Map<string, string | null>();
    const failed: string[] = [];
    for (const p of batch) {
      const agent = p.event.agent_id;
      if (!dirs.has(agent)) {
        try {
          dirs.set(agent, this.traceDir(agent));
        } catch (err) {
          this.d.log.error({ err, agent }, 'trace folder could not be made');
          dirs.set(agent, null);
          failed.push(agent);
        }
      }
      const dir = dirs.get(agent);
      if (!dir) {
        dropped.push(p);
        continue;
      }
      const file = hourFileOf(dir, p.event.created_at);
      const list = files.get(file) ?? [];
      list.push(p);
      files.set(file, list);
    }
    if (dropped.length)
      this.d.log.debug({ events: dropped.length }, 'trace events of agents that no longer exist dropped');
    for (const p of dropped)
      if (failed.includes(p.event.agent_id)) p.done?.reject(new Error('the trace folder could not be made'));
      else p.done?.resolve();
    for (const [file, items] of files) {
      try {
        await appendDurably(file, items.map((p) => JSON.stringify(p.event) + '\n').join(''));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
          // The agent folder was removed (purge) while the batch was being written: nothing to keep.
          this.d.log.debug({ file, events: items.length }, 'trace events of a removed agent dropped');
          for (const p of items) p.done?.resolve();
          continue;
        }
        this.d.log.error({ err, file, events: items.length }, 'trace events could not be written');
        for (const p of items) p.done?.reject(err);
        continue;
      }
      for (const p of items) {
        p.done?.resolve();
        try {
          this.d.onRecorded?.(p.event);
        } catch (err) {
          this.d.log.error({ err }, 'trace event listener failed');
        }
      }
    }
  }

  /** The agent's trace folder, made (0700) when its agent folder exists; `null` when it cannot be. */
  private traceDir(agentId: string): string | null {
    const dir = this.d.traceDirOf(agentId);
    if (!dir) return null;
    try {
      fs.mkdirSync(dir, { mode: 0o700 }); // not recursive: never re-creates a removed agent folder
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return null;
      if (code !== 'EEXIST') throw err;
    }
    return dir;
  }
}

/**
 * Appends `data` to `file` (0600) and fdatasyncs it; a new file's folder is fsync'd too, since a new
 * file is durable only once its directory entry is (fsync(2), NOTES).
 */
async function appendDurably(file: string, data: string): Promise<void> {
  const created = !fs.existsSync(file);
  const h = await fs.promises.open(file, 'a', 0o600);
  try {
    await h.appendFile(data);
    await h.datasync();
  } finally {
    await h.close();
  }
  if (created) {
    const d = await fs.promises.open(path.dirname(file), 'r');
    await d.sync().finally(() => d.close());
  }
}
