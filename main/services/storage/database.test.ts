// The app database: WAL, migrations applied once and in order, refusal of a newer schema.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { migrate, openDatabase, schemaVersion } from './database';
import { MIGRATIONS, parseMigrations } from './migrations';

const dirs: string[] = [];
function tmp(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-db-'));
  dirs.push(d);
  return d;
}
afterEach(() => dirs.splice(0).forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

describe('openDatabase', () => {
  it('creates a 0600 file in WAL mode with every migration applied', () => {
    const file = path.join(tmp(), 'agentdesk.db');
    const db = openDatabase(file);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(schemaVersion(db)).toBe(MIGRATIONS.at(-1)!.version);
    const rows = db.prepare('SELECT version, name FROM schema_migrations ORDER BY version').all();
    expect(rows).toHaveLength(MIGRATIONS.length);
    db.close();
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
  });

  it('applies only new migrations on a second open', () => {
    const file = path.join(tmp(), 'a.db');
    const first = parseMigrations({ './migrations/001_a.sql': 'CREATE TABLE a (x INTEGER);' });
    openDatabase(file, first).close();
    const both = parseMigrations({
      './migrations/001_a.sql': 'CREATE TABLE a (x INTEGER);',
      './migrations/002_b.sql': 'CREATE TABLE b (y INTEGER);',
    });
    const db = openDatabase(file, first);
    expect(migrate(db, both)).toEqual([2]);
    expect(migrate(db, both)).toEqual([]);
    db.close();
  });

  it('rolls back a failing migration and keeps the old version', () => {
    const file = path.join(tmp(), 'b.db');
    const good = parseMigrations({ './migrations/001_a.sql': 'CREATE TABLE a (x INTEGER);' });
    openDatabase(file, good).close();
    const bad = parseMigrations({
      './migrations/001_a.sql': 'CREATE TABLE a (x INTEGER);',
      './migrations/002_b.sql': 'CREATE TABLE b (y INTEGER); INSERT INTO nope VALUES (1);',
    });
    expect(() => openDatabase(file, bad)).toThrow(/nope/);
    const db = openDatabase(file, good);
    expect(schemaVersion(db)).toBe(1);
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'b'").get()).toBeUndefined();
    db.close();
  });

  it('runs a migration a placeholder stood in for, once, and records its real name', () => {
    const file = path.join(tmp(), 'p.db');
    const withPlaceholder = parseMigrations({
      './migrations/001_a.sql': 'CREATE TABLE a (x INTEGER);',
      './migrations/002_reserved_b.sql': 'SELECT 1;',
      './migrations/003_c.sql': 'CREATE TABLE c (z INTEGER);',
    });
    openDatabase(file, withPlaceholder).close();
    const real = parseMigrations({
      './migrations/001_a.sql': 'CREATE TABLE a (x INTEGER);',
      './migrations/002_b.sql': 'ALTER TABLE a ADD COLUMN y TEXT;',
      './migrations/003_c.sql': 'CREATE TABLE c (z INTEGER);',
    });
    const db = openDatabase(file, withPlaceholder);
    expect(migrate(db, real, { 2: 'reserved_b' })).toEqual([2]);
    expect(db.prepare('SELECT name FROM pragma_table_info(?)').all('a')).toEqual([
      { name: 'x' },
      { name: 'y' },
    ]);
    expect(db.prepare('SELECT name FROM schema_migrations WHERE version = 2').get()).toEqual({ name: 'b' });
    expect(schemaVersion(db)).toBe(3);
    expect(migrate(db, real, { 2: 'reserved_b' })).toEqual([]);
    db.close();
  });

  it('upgrades a data dir that recorded the containment placeholder 005', () => {
    const file = path.join(tmp(), 'q.db');
    const placeholder = { version: 5, name: 'reserved_contain_core', sql: 'SELECT 1;' };
    const old = MIGRATIONS.map((m) => (m.version === 5 ? placeholder : m));
    openDatabase(file, old).close();
    const db = openDatabase(file);
    const columns = (
      db.prepare('SELECT name FROM pragma_table_info(?)').all('agents') as { name: string }[]
    ).map((c) => c.name);
    expect(columns).toEqual(expect.arrayContaining(['runtime_endpoint', 'pids_limit', 'folders']));
    expect(db.prepare('SELECT name FROM schema_migrations WHERE version = 5').get()).toEqual({
      name: 'agent_containment',
    });
    db.close();
  });

  it('refuses a database from a newer app', () => {
    const file = path.join(tmp(), 'c.db');
    const db = openDatabase(file);
    db.pragma('user_version = 999');
    db.close();
    expect(() => openDatabase(file)).toThrow(/newer than this app knows/);
  });

  it('refuses badly numbered migration files', () => {
    expect(() => parseMigrations({ './migrations/001_a.sql': '', './migrations/003_c.sql': '' })).toThrow(
      /without gaps/,
    );
    expect(() => parseMigrations({ './migrations/one.sql': '' })).toThrow(/NNN_name/);
  });
});
