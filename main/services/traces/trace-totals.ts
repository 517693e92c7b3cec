// Per-agent daily totals of model use (tokens, cost, calls, errors) from the llm_call events of the hour files, cached per file.
import fs from 'node:fs';
import type { AgentDayTotals, TraceTotals, TraceTotalsQuery } from '../../../contract/traces';
import { listHourFiles } from './trace-files';

/** What the totals need. */
export interface TraceDayTotalsDeps {
  /**
   * The trace folder of an agent (`<agent folder>/trace`, the archive's while archived), or `null` when
   * there is no such agent (its totals are zeros). Same meaning as `TraceRecorderDeps.traceDirOf`.
   */
  traceDirOf(agentId: string): string | null;
  /** The agents totalled when a query names none: the live (not archived) ones, in `agents.list` order. */
  liveAgentIds(): string[];
  /** The clock, UTC ms (default `Date.now`): chooses "today" and ages the cache. */
  now?: () => number;
}

/** What one `llm_call` adds to a day. */
interface CallSummary {
  tokensIn: number;
  tokensOut: number;
  /** USD, `null` when the call had no price. */
  cost: number | null;
  failed: boolean;
}

/** The `llm_call` events of one hour file, up to `consumed` bytes, and the stat they were read at. */
interface FileSummary {
  ino: number;
  size: number;
  mtimeMs: number;
  /** Bytes read so far, up to the end of the last complete line (a line being appended waits). */
  consumed: number;
  /** The file's model calls by event id (a duplicate id counts once). */
  calls: Map<string, CallSummary>;
  /** `now()` when last used: entries idle for {@link CACHE_IDLE_MS} are dropped. */
  usedAt: number;
}

/** Cache entries not used for this long (ms) are dropped: an old day's files, a purged agent's. */
export const CACHE_IDLE_MS = 15 * 60_000;

/** Cheap test before JSON.parse: only lines that may be an `llm_call` are parsed (tool outputs are big). */
const LLM_CALL_LINE = /"kind"\s*:\s*"llm_call"/;
const NEWLINE = 0x0a;

/** A whole, non-negative count, or 0 (an unknown count adds nothing). */
const count = (v: unknown): number =>
  typeof v === 'number' && Number.isFinite(v) && v > 0 ? Math.floor(v) : 0;

/** Reads the `llm_call` lines of `text` (complete lines only) into `calls`; other lines are ignored. */
function addCalls(text: string, calls: Map<string, CallSummary>): void {
  for (const line of text.split('\n')) {
    if (!LLM_CALL_LINE.test(line)) continue;
    let e: unknown;
    try {
      e = JSON.parse(line);
    } catch {
      continue; // a torn line (crash during an append) is skipped, as trace-files' readHourFile does
    }
    if (typeof e !== 'object' || e === null) continue;
    const ev = e as Record<string, unknown>;
    if (ev.kind !== 'llm_call' || typeof ev.id !== 'string' || calls.has(ev.id)) continue;
    const cost = typeof ev.cost_usd === 'number' && ev.cost_usd >= 0 ? ev.cost_usd : null;
    calls.set(ev.id, {
      tokensIn: count(ev.tokens_in),
      tokensOut: count(ev.tokens_out),
      cost,
      failed: ev.error !== null && ev.error !== undefined,
    });
  }
}

/** Reads bytes `[from, to)` of an open file. */
async function readRange(h: fs.promises.FileHandle, from: number, to: number): Promise<Buffer> {
  const buf = Buffer.alloc(to - from);
  let at = 0;
  while (at < buf.length) {
    const { bytesRead } = await h.read(buf, at, buf.length - at, from + at);
    if (bytesRead === 0) break; // shrank meanwhile: the next stat sees it and re-reads
    at += bytesRead;
  }
  return buf.subarray(0, at);
}

/** Today's UTC day, `YYYY-MM-DD`. */
export function utcDayOf(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/**
 * Per-agent totals of one UTC day over the agents' `llm_call` trace events (issue 6's Agents list column,
 * in the shape issue 7's SQLite store keeps). Reads only that day's hour files (`<trace>/<day>THH.jsonl`
 * and `.late.jsonl`; the hour is that of `created_at`, trace-files.ts) and keeps a summary per file keyed
 * by inode, size and mtime: an unchanged hour is not read again, and a grown one (the current hour; files
 * are append-only, trace-recorder.ts) is read from where the last read stopped. Events still queued in
 * the recorder (≤ its batch time) are not counted yet; `traces.event` fires once they are on disk.
 */
export class TraceDayTotals {
  private readonly files = new Map<string, FileSummary>();
  private readonly reading = new Map<string, Promise<FileSummary | null>>();

  constructor(private readonly d: TraceDayTotalsDeps) {}

  /**
   * Answers `traces.totals`: one entry per agent of `q.agent_ids` (duplicates once, in the order given),
   * or per live agent; an agent without a trace folder or without calls gets zeros.
   * @throws the file system error when an hour file exists but cannot be read (e.g. EACCES).
   */
  async totals(q: TraceTotalsQuery): Promise<TraceTotals> {
    const now = this.now();
    const day = q.day ?? utcDayOf(now);
    const ids = [...new Set(q.agent_ids ?? this.d.liveAgentIds())];
    const totals: AgentDayTotals[] = [];
    // One agent at a time (its files in parallel): at most ~48 files open at once, whatever the agent count.
    for (const id of ids) totals.push(await this.agentDay(id, day, now));
    this.prune(now);
    return { day, totals };
  }

  /** The totals of one agent over `day` (`YYYY-MM-DD`, UTC). */
  private async agentDay(agentId: string, day: string, now: number): Promise<AgentDayTotals> {
    const out: AgentDayTotals = {
      agent_id: agentId,
      tokens_in: 0,
      tokens_out: 0,
      cost_usd: null,
      calls: 0,
      errors: 0,
    };
    const dir = this.d.traceDirOf(agentId);
    if (!dir) return out;
    const files: string[] = [];
    for (const [key, list] of listHourFiles(dir)) if (key.startsWith(`${day}T`)) files.push(...list);
    const summaries = await Promise.all(files.sort().map((f) => this.summary(f, now)));
    const seen = new Set<string>();
    for (const s of summaries) {
      if (!s) continue;
      for (const [id, c] of s.calls) {
        if (seen.has(id)) continue; // the same event in `.jsonl` and `.late.jsonl`
        seen.add(id);
        out.calls += 1;
        out.tokens_in += c.tokensIn;
        out.tokens_out += c.tokensOut;
        if (c.failed) out.errors += 1;
        if (c.cost !== null) out.cost_usd = (out.cost_usd ?? 0) + c.cost;
      }
    }
    return out;
  }

  /** The summary of one hour file, read once per change; `null` when it vanished (purge, retention). */
  private summary(file: string, now: number): Promise<FileSummary | null> {
    const running = this.reading.get(file);
    if (running) return running;
    const p = this.refresh(file, now).finally(() => this.reading.delete(file));
    this.reading.set(file, p);
    return p;
  }

  private async refresh(file: string, now: number): Promise<FileSummary | null> {
    const unchanged = (s: FileSummary, st: fs.Stats): boolean =>
      s.ino === st.ino && s.size === st.size && s.mtimeMs === st.mtimeMs;
    let h: fs.promises.FileHandle;
    try {
      // An unchanged file (every past hour) costs one stat, not an open.
      const cached = this.files.get(file);
      if (cached && unchanged(cached, await fs.promises.stat(file))) {
        cached.usedAt = now;
        return cached;
      }
      h = await fs.promises.open(file, 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      this.files.delete(file);
      return null;
    }
    try {
      const st = await h.stat(); // of the file opened, which may have changed since the stat above
      let s = this.files.get(file);
      if (s && unchanged(s, st)) {
        s.usedAt = now;
        return s;
      }
      // Append-only: a grown file whose last read line still ends where it did is read on from there.
      const appended =
        s !== undefined &&
        s.ino === st.ino &&
        st.size > s.size &&
        (s.consumed === 0 || (await readRange(h, s.consumed - 1, s.consumed))[0] === NEWLINE);
      if (!s || !appended)
        s = { ino: st.ino, size: 0, mtimeMs: 0, consumed: 0, calls: new Map(), usedAt: now };
      const tail = await readRange(h, s.consumed, st.size);
      const end = tail.lastIndexOf(NEWLINE) + 1;
      addCalls(tail.subarray(0, end).toString('utf8'), s.calls);
      s.consumed += end;
      s.size = s.consumed + (tail.length - end); // = st.size unless it shrank while being read
      s.mtimeMs = st.mtimeMs;
      s.usedAt = now;
      this.files.set(file, s);
      return s;
    } finally {
      await h.close();
    }
  }

  /** Drops summaries idle for {@link CACHE_IDLE_MS}. */
  private prune(now: number): void {
    for (const [file, s] of this.files) if (now - s.usedAt > CACHE_IDLE_MS) this.files.delete(file);
  }

  private now(): number {
    return (this.d.now ?? Date.now)();
  }
}
