// The trace store proper (runs in the trace worker, synchronous): writes to hourly SQLite files with JSONL fallbacks, seals, retention, reads.
import fs from 'node:fs';
import path from 'node:path';
import type { AgentDayTotals, TraceEvent, TracePage, TraceQuery } from '../../../contract/traces';
import { HourDb } from './trace-db';
import type { HourFilter } from './trace-db';
import {
  appendDurablySync,
  HOUR_MS,
  hourKeyOf,
  hourPaths,
  hourStartOf,
  listHours,
  readJsonlEvents,
  syncDir,
} from './trace-files';
import type { HourFiles } from './trace-files';
import { matchesFilter, pageOf } from './trace-query';
import type { CursorPos, HourSource } from './trace-query';
import { decodeBatch, eventJsonOf } from './trace-wire';
import { isModelCall } from './trace-totals';

/** What became of a batch: indexes (into the batch) dropped or failed; every other item is committed. */
export interface WriteOutcome {
  /** Items whose agent folder is gone (purged): not stored, not an error. */
  dropped: number[];
  /** Items that could be stored nowhere, with the reason. */
  failed: { index: number; message: string }[];
  /** Things worth a log line (a SQLite failure that fell back to JSONL …). */
  warnings: string[];
}

/** An hour is sealed once it ended this long ago (ms): 2 h (docs/decisions/006-trace-store.md). */
export const SEAL_AFTER_MS = 2 * HOUR_MS;
/** Most SQLite files kept open at once (least recently used are closed). */
const OPEN_MAX = 64;
/** Events added to a text index per transaction by {@link TraceStore.indexSome} (a few ms of work). */
const INDEX_SLICE = 200;

/** Thrown when a write to a sealed hour is attempted through {@link TraceStore.openForWrite}. */
export class SealedHourError extends Error {
  constructor(file: string) {
    super(`The trace hour ${path.basename(file)} is sealed (read-only); late events go to its .late.jsonl`);
    this.name = 'SealedHourError';
  }
}

const errText = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/**
 * One agent-hour per SQLite file (`<trace>/YYYY-MM-DDTHH.db`, the UTC hour of `created_at`), written in
 * one transaction per file per batch (group commit, `synchronous=FULL`). When SQLite fails, the batch
 * is appended to the hour's `.jsonl` with an fdatasync instead, so nothing acknowledged is lost; events
 * of a sealed hour are appended to `.late.jsonl`. Hours that ended {@link SEAL_AFTER_MS} ago are sealed
 * (`.db` and `.jsonl` chmod 0444, a `.sealed` marker; sealed files are only ever opened read-only).
 * Reads merge the three files of each hour. Not thread-safe: one instance, in one worker.
 */
export class TraceStore {
  private readonly open = new Map<string, HourDb>();

  /**
   * Stores a batch (trace-wire.ts: rows naming their folder by index into `dirs`); record order is kept
   * within each file. @returns which rows (by position) were dropped or failed; never throws.
   */
  write(dirs: readonly string[], batch: string): WriteOutcome {
    const out: WriteOutcome = { dropped: [], failed: [], warnings: [] };
    let items;
    try {
      items = decodeBatch(batch);
    } catch (err) {
      out.warnings.push(`malformed batch: ${errText(err)}`);
      return out;
    }
    const groups = new Map<string, { dir: string; key: string; idx: number[] }>();
    const dirOk = new Map<string, true | 'gone' | Error>();
    items.forEach((it, i) => {
      const dir = dirs[it.dir]!;
      let ok = dirOk.get(dir);
      if (ok === undefined) dirOk.set(dir, (ok = ensureDir(dir)));
      if (ok === 'gone') return void out.dropped.push(i);
      if (ok !== true) return void out.failed.push({ index: i, message: `${dir}: ${ok.message}` });
      const key = hourKeyOf(it.row.created_at);
      const g = groups.get(`${dir}\n${key}`) ?? { dir, key, idx: [] };
      g.idx.push(i);
      groups.set(`${dir}\n${key}`, g);
    });
    for (const g of groups.values()) {
      const p = hourPaths(g.dir, g.key);
      const events = g.idx.map((i) => items[i]!.row);
      const fail = (err: unknown, file: string) => {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') out.dropped.push(...g.idx);
        else for (const index of g.idx) out.failed.push({ index, message: `${file}: ${errText(err)}` });
      };
      if (fs.existsSync(p.sealed)) {
        try {
          appendDurablySync(p.late, events.map((e) => eventJsonOf(e) + '\n').join(''));
        } catch (err) {
          fail(err, p.late);
        }
        continue;
      }
      try {
        this.openForWrite(g.dir, g.key).insert(events);
      } catch (err) {
        this.closeFile(p.db);
        out.warnings.push(
          `${p.db}: ${errText(err)}; ${events.length} events written to ${path.basename(p.jsonl)}`,
        );
        try {
          appendDurablySync(p.jsonl, events.map((e) => eventJsonOf(e) + '\n').join(''));
        } catch (err2) {
          fail(err2, p.jsonl);
        }
      }
    }
    return out;
  }

  /**
   * The writable SQLite file of an hour (opened once and kept).
   * @throws SealedHourError when the hour is sealed; SqliteError when it cannot be opened.
   */
  openForWrite(dir: string, key: string): HourDb {
    const p = hourPaths(dir, key);
    if (fs.existsSync(p.sealed)) throw new SealedHourError(p.db);
    return this.cached(p.db, 'write');
  }

  /** One page of `q` over `dirs` plus `pending` (events accepted but not yet sent here). Bad files are skipped with a warning. */
  query(
    q: TraceQuery,
    after: CursorPos | null,
    dirs: readonly string[],
    pending: readonly TraceEvent[],
  ): { page: TracePage; warnings: string[] } {
    const warnings: string[] = [];
    const hours: HourSource[] = [];
    for (const dir of dirs)
      for (const h of listHours(dir).values())
        hours.push({ key: h.key, read: (f) => this.readHour(dir, h, f, warnings) });
    return { page: pageOf(q, after, hours, pending), warnings };
  }

  /**
   * The `llm_call` totals of one UTC day (`YYYY-MM-DD`) per agent folder (`null` = no folder, zeros).
   * An event in both `.db` and a JSONL file counts once.
   */
  totals(day: string, agents: readonly { id: string; dir: string | null }[]): AgentDayTotals[] {
    return agents.map(({ id, dir }) => {
      const t: AgentDayTotals = {
        agent_id: id,
        tokens_in: 0,
        tokens_out: 0,
        cost_usd: null,
        calls: 0,
        errors: 0,
      };
      if (!dir) return t;
      for (const h of listHours(dir).values()) {
        if (!h.key.startsWith(`${day}T`)) continue;
        const p = hourPaths(dir, h.key);
        let db: HourDb | null = null;
        if (h.db) {
          try {
            db = this.reader(dir, h);
            const s = db.callSums();
            t.calls += s.calls;
            t.errors += s.errors;
            t.tokens_in += s.tokensIn;
            t.tokens_out += s.tokensOut;
            if (s.cost !== null) t.cost_usd = (t.cost_usd ?? 0) + s.cost;
          } catch {
            db = null; // unreadable: its events are in the JSONL fallback, if anywhere
          }
        }
        const seen = new Set<string>();
        for (const file of [h.jsonl && p.jsonl, h.late && p.late]) {
          if (!file) continue;
          for (const e of readJsonlEvents(file).events) {
            if (e.kind !== 'llm_call' || !isModelCall(e.payload) || seen.has(e.id) || db?.has(e.id)) continue;
            seen.add(e.id);
            t.calls += 1;
            if (e.error !== null && e.error !== undefined) t.errors += 1;
            t.tokens_in += count(e.tokens_in);
            t.tokens_out += count(e.tokens_out);
            if (typeof e.cost_usd === 'number') t.cost_usd = (t.cost_usd ?? 0) + e.cost_usd;
          }
        }
      }
      return t;
    });
  }

  /**
   * Seals the hours of `dirs` that ended {@link SEAL_AFTER_MS} before `now` (UTC ms) and removes those
   * that ended more than `retentionDays` days before it (`null` keeps everything).
   * @returns what was done, and warnings for files that could not be sealed or removed.
   */
  maintain(
    dirs: readonly string[],
    now: number,
    retentionDays: number | null,
  ): { sealed: number; removed: number; warnings: string[] } {
    const r = { sealed: 0, removed: 0, warnings: [] as string[] };
    for (const dir of dirs) {
      for (const h of listHours(dir).values()) {
        const end = hourStartOf(h.key) + HOUR_MS;
        const p = hourPaths(dir, h.key);
        try {
          if (retentionDays !== null && end + retentionDays * 24 * HOUR_MS <= now) {
            this.closeFile(p.db);
            for (const f of [
              p.db,
              `${p.db}-wal`,
              `${p.db}-shm`,
              `${p.db}-journal`,
              p.jsonl,
              p.late,
              p.sealed,
            ])
              fs.rmSync(f, { force: true });
            r.removed++;
          } else if (!h.sealed && end + SEAL_AFTER_MS <= now) {
            this.seal(dir, h.key);
            r.sealed++;
          }
        } catch (err) {
          r.warnings.push(`${dir}/${h.key}: ${errText(err)}`);
        }
      }
    }
    return r;
  }

  /** Seals one hour: WAL folded into the `.db`, `.db`/`.jsonl` chmod 0444, marker written (0444) and synced. */
  seal(dir: string, key: string): void {
    const p = hourPaths(dir, key);
    if (fs.existsSync(p.db)) {
      try {
        this.cached(p.db, 'write').checkpointForSeal();
      } finally {
        this.closeFile(p.db);
      }
      fs.chmodSync(p.db, 0o444);
    }
    if (fs.existsSync(p.jsonl)) fs.chmodSync(p.jsonl, 0o444);
    fs.writeFileSync(p.sealed, JSON.stringify({ sealed_at: new Date().toISOString() }) + '\n', {
      mode: 0o444,
    });
    syncDir(dir);
  }

  /**
   * Adds events of the open write files to their text index (trace-db.ts), a few hundred at a time,
   * for about `budgetMs`. Files closed meanwhile are completed when they are sealed; until then their
   * unindexed events are found by scanning.
   * @returns whether open files still have events to index. Never throws (a file that fails is skipped).
   */
  indexSome(budgetMs: number): boolean {
    const until = performance.now() + budgetMs;
    let more = false;
    for (const db of [...this.open.values()]) {
      if (db.mode !== 'write') continue;
      try {
        let left = 1;
        while (left > 0 && performance.now() < until) left = db.indexPending(INDEX_SLICE);
        if (left > 0) more = true;
      } catch {
        // the file is unwritable now (disk full …): its events stay findable by scanning
      }
      if (performance.now() >= until) return more || this.anyPending();
    }
    return more;
  }

  private anyPending(): boolean {
    return [...this.open.values()].some((db) => db.mode === 'write' && db.hasUnindexed());
  }

  /** Closes every open file. */
  close(): void {
    for (const db of this.open.values()) db.close();
    this.open.clear();
  }

  private readHour(dir: string, h: HourFiles, f: HourFilter, warnings: string[]): TraceEvent[] {
    const p = hourPaths(dir, h.key);
    const out: TraceEvent[] = [];
    if (h.db) {
      try {
        out.push(...this.reader(dir, h).select(f));
      } catch (err) {
        this.closeFile(p.db);
        warnings.push(`${p.db} could not be read: ${errText(err)}`);
      }
    }
    for (const file of [h.jsonl && p.jsonl, h.late && p.late]) {
      if (!file) continue;
      const { events, skipped } = readJsonlEvents(file);
      if (skipped) warnings.push(`${file}: ${skipped} unreadable lines skipped`);
      for (const e of events) if (matchesFilter(e, f)) out.push(e);
    }
    return out;
  }

  /** The hour's `.db` for reading: read-only once sealed, the writer's connection before. */
  private reader(dir: string, h: HourFiles): HourDb {
    const p = hourPaths(dir, h.key);
    return this.cached(p.db, h.sealed || fs.existsSync(p.sealed) ? 'read' : 'write');
  }

  private cached(file: string, mode: 'write' | 'read'): HourDb {
    let db = this.open.get(file);
    // A file moved or removed behind our back (archive renames the agent folder, purge deletes it): reopen.
    if (db && (db.mode !== mode || !fs.existsSync(file))) {
      db.close();
      this.open.delete(file);
      db = undefined;
    }
    if (db) {
      this.open.delete(file); // re-inserted below: the Map's order is the LRU order
    } else {
      db = new HourDb(file, mode);
      if (this.open.size >= OPEN_MAX) {
        const [oldest, odb] = this.open.entries().next().value as [string, HourDb];
        odb.close();
        this.open.delete(oldest);
      }
    }
    this.open.set(file, db);
    return db;
  }

  private closeFile(file: string): void {
    this.open.get(file)?.close();
    this.open.delete(file);
  }
}

/** A whole, non-negative count, or 0 (an unknown count adds nothing). */
const count = (v: unknown): number =>
  typeof v === 'number' && Number.isFinite(v) && v > 0 ? Math.floor(v) : 0;

/** Makes a trace folder (0700) inside an agent folder that exists; `gone` when that folder is not there. */
function ensureDir(dir: string): true | 'gone' | Error {
  try {
    fs.mkdirSync(dir, { mode: 0o700 }); // not recursive: never re-creates a removed agent folder
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return true;
    if (code === 'ENOENT') return 'gone';
    return err instanceof Error ? err : new Error(String(err));
  }
}
