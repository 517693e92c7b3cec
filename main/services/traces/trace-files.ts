// Hour files of a trace folder: naming by the UTC hour of `created_at`, listing, and tolerant line parsing.
import fs from 'node:fs';
import path from 'node:path';
import type { TraceEvent } from '../../../contract/traces';

/** One hour in ms. */
export const HOUR_MS = 3_600_000;

/** `2024-05-01T14.jsonl` (also `.late.jsonl`, the issue-7 spill files, when present). */
const HOUR_FILE = /^(\d{4}-\d{2}-\d{2}T\d{2})(\.late)?\.jsonl$/;

/**
 * The hour key of `createdAt` (UTC ms): `YYYY-MM-DDTHH`, e.g. 14:59:59.999 → `…T14` whatever the
 * wall time of the write. Issue 7 puts `<key>.db` beside `<key>.jsonl`, so the key names every file of the hour.
 */
export function hourKeyOf(createdAt: number): string {
  return new Date(createdAt).toISOString().slice(0, 13);
}

/** The JSONL file of the hour of `createdAt` in `traceDir`. */
export function hourFileOf(traceDir: string, createdAt: number): string {
  return path.join(traceDir, `${hourKeyOf(createdAt)}.jsonl`);
}

/** UTC ms at the start of the hour named by `key` (`YYYY-MM-DDTHH`). */
export function hourStartOf(key: string): number {
  return Date.parse(`${key}:00:00.000Z`);
}

/** The JSONL files of one folder, by hour key (a missing folder has none). */
export function listHourFiles(traceDir: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
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
    const list = out.get(key) ?? [];
    list.push(path.join(traceDir, name));
    out.set(key, list);
  }
  return out;
}

/**
 * The events of one JSONL file, in file order. A line that is not a JSON event (a torn last line after a
 * crash, a hand edit) is skipped and counted, never fatal; a file that vanished reads as empty.
 */
export async function readHourFile(file: string): Promise<{ events: TraceEvent[]; skipped: number }> {
  let text: string;
  try {
    text = await fs.promises.readFile(file, 'utf8');
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
