// One hour of one agent's trace as a SQLite file (`YYYY-MM-DDTHH.db`): schema, group-committed inserts, filtered reads, sums, text index.
import fs from 'node:fs';
import Database from 'better-sqlite3';
import type { TraceEvent, TraceKind } from '../../../contract/traces';
import type { StoredRow } from './trace-wire';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS events (
  id TEXT NOT NULL PRIMARY KEY,
  created_at INTEGER NOT NULL,
  kind TEXT NOT NULL,
  agent_id TEXT NOT NULL,
  trace_id TEXT,
  thread_id TEXT,
  tokens_in INTEGER,
  tokens_out INTEGER,
  cost_usd REAL,
  error TEXT,
  envelope TEXT NOT NULL,
  payload TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_time ON events (created_at, id);
CREATE INDEX IF NOT EXISTS events_kind_time ON events (kind, created_at, id);
CREATE INDEX IF NOT EXISTS events_turn ON events (trace_id) WHERE trace_id IS NOT NULL;
PRAGMA user_version = 1;
`;

/**
 * Version 2: a trigram full-text index of the payloads (SQLite FTS5, external content: the text stays in
 * `events`), filled after the inserts by {@link HourDb.indexPending} — indexing costs several times an
 * insert, so it never runs inside the write transaction. `fts_state.indexed_to` = the highest rowid
 * indexed; rows above it are searched by scanning. Rows are never deleted from an hour file, so rowids
 * only grow.
 */
const SCHEMA_V2 = `
CREATE VIRTUAL TABLE IF NOT EXISTS events_fts USING fts5(payload, content='events', content_rowid='rowid', tokenize='trigram');
CREATE TABLE IF NOT EXISTS fts_state (one INTEGER PRIMARY KEY CHECK (one = 1), indexed_to INTEGER NOT NULL);
INSERT OR IGNORE INTO fts_state (one, indexed_to) VALUES (1, 0);
PRAGMA user_version = 2;
`;

/**
 * The FTS5 query for `needle`: one string (double quotes doubled), so every character the user typed —
 * `"`, `*`, `-`, `:`, `NEAR`, `AND`, parentheses — is text to find, never query syntax. The trigram
 * tokenizer matches it as a substring, ignoring case; `null` for needles under 3 characters, which a
 * trigram index cannot answer (SQLite docs, "The Trigram Tokenizer").
 */
export function ftsQueryOf(needle: string): string | null {
  if ([...needle].length < 3) return null;
  return `"${needle.replaceAll('"', '""')}"`;
}

/** The filters of one read, in SQL terms (all optional; `after` = the cursor position, exclusive). */
export interface HourFilter {
  since?: number;
  until?: number;
  agentId?: string;
  kinds?: readonly TraceKind[];
  threadId?: string;
  traceId?: string;
  /** Lower-cased (ASCII) JSON text to find in the payload's JSON ({@link payloadNeedle}). */
  text?: string;
  after?: { t: number; id: string };
  order: 'asc' | 'desc';
  limit: number;
}

/** The `llm_call` sums of one hour: counts, tokens, USD (`null` when no call had a price). */
export interface HourCallSums {
  calls: number;
  errors: number;
  tokensIn: number;
  tokensOut: number;
  cost: number | null;
}

/** Lower-cases ASCII letters only, as SQLite's `lower()` does, so JS and SQL matching agree. */
export function asciiLower(s: string): string {
  return s.replace(/[A-Z]/g, (c) => c.toLowerCase());
}

/** The needle of a text search as it appears in a payload's JSON text (escaped, ASCII lower-cased). */
export function payloadNeedle(text: string): string {
  return asciiLower(JSON.stringify(text).slice(1, -1));
}

type Row = { envelope: string; payload: string };

/** Events from their stored envelope and payload JSON. */
function decodeRows(rows: Row[]): TraceEvent[] {
  return rows.map(
    (r) =>
      ({ ...(JSON.parse(r.envelope) as object), payload: JSON.parse(r.payload) as unknown }) as TraceEvent,
  );
}

/**
 * A SQLite hour file. `write` opens it read-write (created 0600; WAL journal, `synchronous=FULL`: a
 * commit is on disk when it returns — SQLite docs, "PRAGMA synchronous"); `read` opens it read-only,
 * which is how sealed hours are opened: every write through it throws `SQLITE_READONLY`.
 * @throws SqliteError when the file is not a database (`SQLITE_NOTADB`), cannot be opened or migrated.
 */
export class HourDb {
  private readonly db: Database.Database;
  private insertStmt: Database.Statement | null = null;
  private hasStmt: Database.Statement | null = null;
  /** Whether the file has the text index (version 2; a sealed version-1 file has none and is scanned). */
  private readonly hasFts: boolean;

  /**
   * @param noIndex read without the text index (every text search scans): the reference the indexed
   *   reads are tested against.
   */
  constructor(
    readonly file: string,
    readonly mode: 'write' | 'read',
    private readonly noIndex = false,
  ) {
    if (mode === 'write' && !fs.existsSync(file)) fs.closeSync(fs.openSync(file, 'a', 0o600));
    this.db = new Database(file, { readonly: mode === 'read', fileMustExist: true });
    try {
      if (mode === 'write') {
        this.db.pragma('journal_mode = WAL');
        this.db.pragma('synchronous = FULL');
        // Checkpoints every 4096 WAL pages (16 MiB at 4 KiB pages) instead of 1000: a burst of batches
        // copies each hot index page into the file once instead of at nearly every commit.
        this.db.pragma('wal_autocheckpoint = 4096');
        this.db.pragma('busy_timeout = 2000');
        const version = this.db.pragma('user_version', { simple: true }) as number;
        if (version < 1) this.db.exec(SCHEMA);
        if (version < 2) this.db.exec(SCHEMA_V2);
        this.hasFts = true;
      } else {
        this.db.pragma('busy_timeout = 2000');
        this.hasFts = (this.db.pragma('user_version', { simple: true }) as number) >= 2;
      }
    } catch (err) {
      this.db.close();
      throw err;
    }
  }

  /**
   * Inserts `rows` in one transaction (group commit); an id already stored is ignored.
   * @returns how many were new. @throws SqliteError (nothing of the batch is stored).
   */
  insert(rows: readonly StoredRow[]): number {
    const stmt = (this.insertStmt ??= this.db.prepare(
      `INSERT OR IGNORE INTO events (id, created_at, kind, agent_id, trace_id, thread_id, tokens_in,
         tokens_out, cost_usd, error, envelope, payload) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ));
    const run = this.db.transaction((list: readonly StoredRow[]) => {
      let added = 0;
      for (const r of list)
        added += stmt.run(
          r.id,
          r.created_at,
          r.kind,
          r.agent_id,
          r.trace_id,
          r.thread_id,
          r.tokens_in,
          r.tokens_out,
          r.cost_usd,
          r.error,
          r.envelope,
          r.payload,
        ).changes;
      return added;
    });
    return run(rows);
  }

  /** The highest rowid in the text index (0 when none is), and the highest rowid stored. */
  private indexState(): { indexedTo: number; maxRowid: number } {
    const r = this.db
      .prepare(
        `SELECT (SELECT indexed_to FROM fts_state WHERE one = 1) AS indexedTo,
           (SELECT coalesce(max(rowid), 0) FROM events) AS maxRowid`,
      )
      .get() as { indexedTo: number | null; maxRowid: number };
    return { indexedTo: r.indexedTo ?? 0, maxRowid: r.maxRowid };
  }

  /**
   * Adds up to `maxRows` not yet indexed events to the text index, in one transaction (a write file only).
   * @returns how many events are still not indexed after this call. @throws SqliteError.
   */
  indexPending(maxRows: number): number {
    if (!this.hasFts || this.mode !== 'write') return 0;
    const { indexedTo, maxRowid } = this.indexState();
    if (indexedTo >= maxRowid) return 0;
    const upTo = Math.min(maxRowid, indexedTo + maxRows);
    this.db.transaction(() => {
      this.db
        .prepare(
          'INSERT INTO events_fts (rowid, payload) SELECT rowid, payload FROM events WHERE rowid > ? AND rowid <= ?',
        )
        .run(indexedTo, upTo);
      this.db.prepare('UPDATE fts_state SET indexed_to = ? WHERE one = 1').run(upTo);
    })();
    return maxRowid - upTo;
  }

  /** Whether events are stored that the text index does not hold yet. */
  hasUnindexed(): boolean {
    if (!this.hasFts || this.mode !== 'write') return false;
    const { indexedTo, maxRowid } = this.indexState();
    return indexedTo < maxRowid;
  }

  /** Whether an event with this id is stored. */
  has(id: string): boolean {
    this.hasStmt ??= this.db.prepare('SELECT 1 FROM events WHERE id = ?');
    return this.hasStmt.get(id) !== undefined;
  }

  /** The events matching `f`, ordered by created_at then id (`f.order`), at most `f.limit`. */
  select(f: HourFilter): TraceEvent[] {
    const where: string[] = [];
    const args: (string | number)[] = [];
    const add = (sql: string, ...values: (string | number)[]) => {
      where.push(sql);
      args.push(...values);
    };
    if (f.since !== undefined) add('created_at >= ?', f.since);
    if (f.until !== undefined) add('created_at < ?', f.until);
    if (f.agentId !== undefined) add('agent_id = ?', f.agentId);
    if (f.kinds) add(`kind IN (${f.kinds.map(() => '?').join(', ')})`, ...f.kinds);
    if (f.threadId !== undefined) add('thread_id = ?', f.threadId);
    if (f.traceId !== undefined) add('trace_id = ?', f.traceId);
    // The text filter is always this exact test; the index, when it can, only narrows the rows tested.
    if (f.text !== undefined) add('instr(lower(payload), ?) > 0', f.text);
    if (f.after) {
      const op = f.order === 'asc' ? '>' : '<';
      where.push(`(created_at ${op} ? OR (created_at = ? AND id ${op} ?))`);
      args.push(f.after.t, f.after.t, f.after.id);
    }
    const dir = f.order === 'asc' ? 'ASC' : 'DESC';
    const order = `ORDER BY created_at ${dir}, id ${dir} LIMIT ?`;
    const fts = f.text !== undefined && this.hasFts && !this.noIndex ? ftsQueryOf(f.text) : null;
    const scan = () => {
      const sql = `SELECT envelope, payload FROM events ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ${order}`;
      return this.db.prepare(sql).all(...args, f.limit) as Row[];
    };
    if (fts === null) return decodeRows(scan());
    // The index pays off for rare needles; for common ones, the scan in time order fills the page sooner.
    // With c candidates among n rows, a page of `limit` scans about limit·n/c rows, the index visits c:
    // the index is used while c < √(limit·n). Both give the same rows (the exact test runs either way).
    const { indexedTo, maxRowid } = this.indexState();
    const enough = Math.ceil(Math.sqrt(f.limit * maxRowid)); // counting stops there
    const c = (
      this.db
        .prepare('SELECT count(*) AS c FROM (SELECT rowid FROM events_fts WHERE events_fts MATCH ? LIMIT ?)')
        .get(fts, enough) as { c: number }
    ).c;
    if (c >= enough) return decodeRows(scan());
    // Indexed rows through the index, the rest (inserted since the last indexPending) by scanning; both by
    // rowid (NOT INDEXED keeps the planner from walking the whole time index to have them in order).
    const cond = where.join(' AND ');
    const sql = `SELECT envelope, payload, created_at, id FROM events NOT INDEXED
        WHERE rowid IN (SELECT rowid FROM events_fts WHERE events_fts MATCH ?) AND rowid <= ? AND ${cond}
      UNION ALL
      SELECT envelope, payload, created_at, id FROM events NOT INDEXED WHERE rowid > ? AND ${cond}
      ${order}`;
    return decodeRows(
      this.db.prepare(sql).all(fts, indexedTo, ...args, indexedTo, ...args, f.limit) as Row[],
    );
  }

  /**
   * The sums of the hour's `llm_call` events that are model calls (an unknown token count adds 0):
   * model listings (`GET /v1/models`, `/v1/agentdesk/models/…`) and the deploy's verify calls are left
   * out (see `isModelCall` in trace-totals.ts).
   */
  callSums(): HourCallSums {
    const r = this.db
      .prepare(
        `SELECT count(*) AS calls, count(error) AS errors, total(tokens_in) AS tin, total(tokens_out) AS tout,
           sum(cost_usd) AS cost FROM events WHERE kind = 'llm_call'
           AND coalesce(json_extract(payload, '$.purpose'), '') <> 'verify'
           AND coalesce(json_extract(payload, '$.path'), '') <> '/v1/models'
           AND coalesce(json_extract(payload, '$.path'), '') NOT LIKE '/v1/agentdesk/models%'`,
      )
      .get() as { calls: number; errors: number; tin: number; tout: number; cost: number | null };
    return { calls: r.calls, errors: r.errors, tokensIn: r.tin, tokensOut: r.tout, cost: r.cost };
  }

  /**
   * Prepares the file to be sealed: completes the text index, checkpoints the WAL into the main file and
   * switches to a rollback journal, so the file alone holds every event and opens read-only without
   * `-wal`/`-shm` files.
   */
  checkpointForSeal(): void {
    while (this.indexPending(10_000) > 0); // a sealed file is read-only: its index must be complete
    this.db.pragma('wal_checkpoint(TRUNCATE)');
    this.db.pragma('journal_mode = DELETE');
  }

  /** Closes the file (a WAL file is checkpointed and removed by SQLite on the last close). */
  close(): void {
    if (this.db.open) this.db.close();
  }
}
