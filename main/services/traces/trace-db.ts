// One hour of one agent's trace as a SQLite file (`YYYY-MM-DDTHH.db`): schema, group-committed inserts, filtered reads, sums.
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

/** Paths of the gateway that list models rather than ask one (gateway.ts routes). */
const LISTING_PATHS = ['/v1/models', '/v1/agentdesk/models'] as const;
const LISTING_PATHS_SQL = `(${LISTING_PATHS.map((p) => `'${p}'`).join(', ')})`;

/**
 * True for an `llm_call` event that only listed the models (an agent's `GET /v1/models`, e.g. at its
 * start): it is traced, but the day's totals ("No model call today", calls, errors) leave it out.
 */
export function isModelListing(payload: unknown): boolean {
  const p = (payload as { path?: unknown } | null)?.path;
  if (typeof p !== 'string') return false;
  return (LISTING_PATHS as readonly string[]).includes(p) || p.startsWith('/v1/agentdesk/models/');
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

  constructor(
    readonly file: string,
    readonly mode: 'write' | 'read',
  ) {
    if (mode === 'write' && !fs.existsSync(file)) fs.closeSync(fs.openSync(file, 'a', 0o600));
    this.db = new Database(file, { readonly: mode === 'read', fileMustExist: true });
    try {
      if (mode === 'write') {
        this.db.pragma('journal_mode = WAL');
        this.db.pragma('synchronous = FULL');
        this.db.pragma('busy_timeout = 2000');
        if ((this.db.pragma('user_version', { simple: true }) as number) < 1) this.db.exec(SCHEMA);
      } else {
        this.db.pragma('busy_timeout = 2000');
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
    if (f.text !== undefined) add('instr(lower(payload), ?) > 0', f.text);
    if (f.after) {
      const op = f.order === 'asc' ? '>' : '<';
      where.push(`(created_at ${op} ? OR (created_at = ? AND id ${op} ?))`);
      args.push(f.after.t, f.after.t, f.after.id);
    }
    const dir = f.order === 'asc' ? 'ASC' : 'DESC';
    const sql = `SELECT envelope, payload FROM events ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY created_at ${dir}, id ${dir} LIMIT ?`;
    const rows = this.db.prepare(sql).all(...args, f.limit) as Row[];
    return rows.map(
      (r) =>
        ({ ...(JSON.parse(r.envelope) as object), payload: JSON.parse(r.payload) as unknown }) as TraceEvent,
    );
  }

  /**
   * The sums of the hour's `llm_call` events that asked a model something (an unknown token count adds 0).
   * Listing the models (`GET /v1/models`, `/v1/agentdesk/models/…`) is traced too, but is no model call:
   * see {@link isModelListing}.
   */
  callSums(): HourCallSums {
    const r = this.db
      .prepare(
        `SELECT count(*) AS calls, count(error) AS errors, total(tokens_in) AS tin, total(tokens_out) AS tout,
           sum(cost_usd) AS cost FROM events WHERE kind = 'llm_call'
           AND coalesce(json_extract(payload, '$.path'), '') NOT IN ${LISTING_PATHS_SQL}
           AND coalesce(json_extract(payload, '$.path'), '') NOT LIKE '/v1/agentdesk/models/%'`,
      )
      .get() as { calls: number; errors: number; tin: number; tout: number; cost: number | null };
    return { calls: r.calls, errors: r.errors, tokensIn: r.tin, tokensOut: r.tout, cost: r.cost };
  }

  /**
   * Prepares the file to be sealed: checkpoints the WAL into the main file and switches to a rollback
   * journal, so the file alone holds every event and opens read-only without `-wal`/`-shm` files.
   */
  checkpointForSeal(): void {
    this.db.pragma('wal_checkpoint(TRUNCATE)');
    this.db.pragma('journal_mode = DELETE');
  }

  /** Closes the file (a WAL file is checkpointed and removed by SQLite on the last close). */
  close(): void {
    if (this.db.open) this.db.close();
  }
}
