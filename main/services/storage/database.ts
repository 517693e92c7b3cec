// The app database (better-sqlite3): pragmas, and numbered migrations applied in one transaction each.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { MIGRATIONS, PLACEHOLDERS } from './migrations';
import type { Migration } from './migrations';

export type Db = Database.Database;

/**
 * Opens (creating if needed) the SQLite database at `file` with WAL journaling, foreign keys on,
 * `synchronous=NORMAL` (safe with WAL: a crash may lose the last commits but never corrupts —
 * SQLite docs, "WAL mode"), a 5 s busy timeout, then applies pending migrations.
 * The file is created with mode 0600 (it will hold key hashes).
 * @throws Error when the file is not a database, or a migration fails (that migration is rolled back),
 *   or the database was written by a newer version of the app (its schema version is higher).
 */
export function openDatabase(file: string, migrations: Migration[] = MIGRATIONS): Db {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  if (!fs.existsSync(file)) fs.closeSync(fs.openSync(file, 'a', 0o600));
  const db = new Database(file);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    migrate(db, migrations);
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}

/** The schema version of `db`: the number of the last migration applied (`PRAGMA user_version`). */
export function schemaVersion(db: Db): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/**
 * Applies every migration newer than the database's schema version, each in its own transaction
 * together with the version bump, and records it in `schema_migrations`. A migration recorded under
 * the name of a placeholder (`placeholders`: number → name; see {@link PLACEHOLDERS}) is run then too,
 * in its own transaction, and recorded under its real name.
 * @returns the versions applied (empty when up to date).
 */
export function migrate(
  db: Db,
  migrations: Migration[] = MIGRATIONS,
  placeholders: Readonly<Record<number, string>> = PLACEHOLDERS,
): number[] {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`);
  const current = schemaVersion(db);
  const latest = migrations.at(-1)?.version ?? 0;
  if (current > latest) {
    throw new Error(
      `The database schema is version ${current}, newer than this app knows (${latest}). Update Agent Desk, or use another data dir.`,
    );
  }
  const applied: number[] = [];
  const recorded = db.prepare('SELECT name FROM schema_migrations WHERE version = ?');
  for (const mig of migrations) {
    if (mig.version > current) continue;
    const placeholder = placeholders[mig.version];
    if (!placeholder || mig.name === placeholder) continue;
    const row = recorded.get(mig.version) as { name: string } | undefined;
    if (row?.name !== placeholder) continue;
    db.transaction(() => {
      db.exec(mig.sql);
      db.prepare('UPDATE schema_migrations SET name = ?, applied_at = ? WHERE version = ?').run(
        mig.name,
        Date.now(),
        mig.version,
      );
    })();
    applied.push(mig.version);
  }
  for (const mig of migrations) {
    if (mig.version <= current) continue;
    db.transaction(() => {
      db.exec(mig.sql);
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(
        mig.version,
        mig.name,
        Date.now(),
      );
      db.pragma(`user_version = ${mig.version}`);
    })();
    applied.push(mig.version);
  }
  return applied;
}
