// Hour files of a trace folder: naming by the UTC hour of `created_at`, listing, durable JSONL appends, tolerant line parsing.
import fs from 'node:fs';
import path from 'node:path';
import type { TraceEvent } from '../../../contract/traces';

/** One hour in ms. */
export const HOUR_MS = 3_600_000;

/**
 * `2024-05-01T14.db`, `.jsonl` (SQLite fallback, and the files of the JSONL-only store before SQLite),
 * `.late.jsonl`, `.sealed` (marker).
 */
const HOUR_FILE = /^(\d{4}-\d{2}-\d{2}T\d{2})\.(db|jsonl|late\.jsonl|sealed)$/;

/**
 * The hour key of `createdAt` (UTC ms): `YYYY-MM-DDTHH`, e.g. 14:59:59.999 → `…T14` whatever the
 * wall time of the write. The key names every file of the hour.
 */
export function hourKeyOf(createdAt: number): string {
  return new Date(createdAt).toISOString().slice(0, 13);
}

/** UTC ms at the start of the hour named by `key` (`YYYY-MM-DDTHH`). */
export function hourStartOf(key: string): number {
  return Date.parse(`${key}:00:00.000Z`);
}

/** The files of one hour in `traceDir` (whether or not they exist). */
export function hourPaths(traceDir: string, key: string) {
  const base = path.join(traceDir, key);
  return {
    /** The SQLite store of the hour. */
    db: `${base}.db`,
    /** Events SQLite could not take (and every event of the JSONL-only store before SQLite). */
    jsonl: `${base}.jsonl`,
    /** Events that arrived after the hour was sealed. */
    late: `${base}.late.jsonl`,
    /** Present once the hour is sealed (read-only). */
    sealed: `${base}.sealed`,
  };
}

/** The JSONL file of the hour of `createdAt` in `traceDir`. */
export function hourFileOf(traceDir: string, createdAt: number): string {
  return hourPaths(traceDir, hourKeyOf(createdAt)).jsonl;
}

/** Which files one hour has. */
export interface HourFiles {
  key: string;
  db: boolean;
  jsonl: boolean;
  late: boolean;
  sealed: boolean;
}

/** The hours of one folder, by key (a missing folder has none). */
export function listHours(traceDir: string): Map<string, HourFiles> {
  const out = new Map<string, HourFiles>();
  let names: string[];
  try {
    names = fs.readdirSync(traceDir);
  } catch {
    return out;
  }
  for (const name of names) {
    const m = HOUR_FILE.exec(name);
    if (!m) continue;
    const key = m[1]!;
    let h = out.get(key);
    if (!h) out.set(key, (h = { key, db: false, jsonl: false, late: false, sealed: false }));
    if (m[2] === 'db') h.db = true;
    else if (m[2] === 'jsonl') h.jsonl = true;
    else if (m[2] === 'late.jsonl') h.late = true;
    else h.sealed = true;
  }
  return out;
}

/**
 * Appends `data` to `file` (created 0600) and fdatasyncs it; a new file's folder is fsync'd too, since
 * a new file is durable only once its directory entry is (fsync(2), NOTES). Synchronous: runs in the
 * trace worker. @throws the file system error (ENOENT when the folder is gone).
 */
export function appendDurablySync(file: string, data: string): void {
  const created = !fs.existsSync(file);
  const fd = fs.openSync(file, 'a', 0o600);
  try {
    fs.writeSync(fd, data);
    fs.fdatasyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  if (created) syncDir(path.dirname(file));
}

/** fsyncs a folder (its entries are durable afterwards). */
export function syncDir(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * The events of one JSONL file, in file order. A line that is not a JSON event (a torn last line after a
 * crash, a hand edit) is skipped and counted, never fatal; a file that vanished reads as empty.
 * @throws the file system error other than ENOENT.
 */
export function readJsonlEvents(file: string): { events: TraceEvent[]; skipped: number } {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { events: [], skipped: 0 };
    throw err;
  }
  const events: TraceEvent[] = [];
  let skipped = 0;
  for (const line of text.split('\n')) {
    if (!line) continue;
    try {
      const e = JSON.parse(line) as Partial<TraceEvent> | null;
      if (e && typeof e.id === 'string' && typeof e.created_at === 'number' && typeof e.kind === 'string')
        events.push(e as TraceEvent);
      else skipped++;
    } catch {
      skipped++;
    }
  }
  return { events, skipped };
}
