// Settings: defaults, persistence, validation naming the field, migration of damaged rows.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../storage/database';
import { DEFAULT_SETTINGS, SETTINGS_VERSION } from './schema';
import { migrateSettings, SettingsStore } from './settings-store';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
function dbFile(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-settings-'));
  dirs.push(d);
  return path.join(d, 'agentdesk.db');
}

describe('SettingsStore', () => {
  it('starts with defaults and keeps updates across reopen', () => {
    const file = dbFile();
    const changes: unknown[] = [];
    const db = openDatabase(file);
    const store = new SettingsStore(db, (s) => changes.push(s));
    store.load();
    expect(store.get()).toEqual(DEFAULT_SETTINGS);
    store.update({ theme: 'dark', trace_retention_days: 7 });
    expect(changes).toHaveLength(1);
    db.close();
    const again = new SettingsStore(openDatabase(file));
    again.load();
    expect(again.get()).toMatchObject({ theme: 'dark', trace_retention_days: 7, version: SETTINGS_VERSION });
  });

  it('refuses an invalid value and names the field', () => {
    const store = new SettingsStore(openDatabase(dbFile()));
    store.load();
    expect(() => store.update({ trace_retention_days: 0 })).toThrow(/trace_retention_days/);
    expect(store.get().trace_retention_days).toBe(DEFAULT_SETTINGS.trace_retention_days);
  });

  it('repairs a damaged row field by field', () => {
    const db = openDatabase(dbFile());
    db.prepare('INSERT INTO settings (id, version, json, updated_at) VALUES (1, 1, ?, 0)').run(
      JSON.stringify({ theme: 'purple', start_hidden: true }),
    );
    const store = new SettingsStore(db);
    expect(store.load()).toEqual(['theme']);
    expect(store.get()).toMatchObject({ theme: 'system', start_hidden: true });
  });

  it('migrates version 1 to 2: a data dir that was already set up does not show onboarding again', () => {
    const file = dbFile();
    const db = openDatabase(file);
    db.prepare('INSERT INTO settings (id, version, json, updated_at) VALUES (1, 1, ?, 0)').run(
      JSON.stringify({ version: 1, theme: 'dark' }),
    );
    const store = new SettingsStore(db);
    expect(store.load()).toEqual([]);
    expect(store.get()).toMatchObject({ version: SETTINGS_VERSION, theme: 'dark', onboarding_done: true });
    db.close();
    const row = openDatabase(file).prepare('SELECT version, json FROM settings').get() as { version: number };
    expect(row.version).toBe(SETTINGS_VERSION);
  });

  it('shows onboarding on a fresh data dir', () => {
    const store = new SettingsStore(openDatabase(dbFile()));
    store.load();
    expect(store.get().onboarding_done).toBe(false);
  });

  it('treats unparseable JSON as defaults', () => {
    expect(migrateSettings('nonsense').settings).toEqual(DEFAULT_SETTINGS);
    expect(migrateSettings(null).settings).toEqual(DEFAULT_SETTINGS);
  });
});
