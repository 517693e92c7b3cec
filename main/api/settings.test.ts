// The settings handlers: litellm_command changes only over IPC (the desktop window) or in-process, and only to a safe program.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAppError } from '../../contract/errors';
import { openDatabase } from '../services/storage/database';
import type { Db } from '../services/storage/database';
import { SettingsStore } from '../services/settings/settings-store';
import { settingsHandlers } from './settings';

let dir: string;
let db: Db;
let program: string;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-test-settings-api-'));
  db = openDatabase(path.join(dir, 'agentdesk.db'));
  program = path.join(dir, 'litellm');
  fs.writeFileSync(program, '#!/bin/sh\nexit 0\n', { mode: 0o755 });
});
afterAll(() => {
  db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** The error code a handler call throws, or `ok`. */
async function outcome(run: () => unknown): Promise<string> {
  try {
    await run();
    return 'ok';
  } catch (err) {
    return isAppError(err) ? `${err.code}: ${err.message}` : String(err);
  }
}

describe('settings.update', () => {
  it('takes litellm_command from the desktop window (IPC) and in-process callers, never over HTTP', async () => {
    const store = new SettingsStore(db);
    store.load();
    const h = settingsHandlers(store);
    expect(await outcome(() => h.update({ litellm_command: program }, { transport: 'http' }))).toMatch(
      /^FORBIDDEN: litellm_command cannot be changed over the HTTP API/,
    );
    expect(store.get().litellm_command).toBeNull();
    expect(await outcome(() => h.update({ litellm_command: program }, { transport: 'ipc' }))).toBe('ok');
    expect(store.get().litellm_command).toBe(program);
    // Sending the unchanged value along with other fields is fine over HTTP; clearing it is a change.
    expect(
      await outcome(() => h.update({ litellm_command: program, theme: 'dark' }, { transport: 'http' })),
    ).toBe('ok');
    expect(await outcome(() => h.update({ litellm_command: null }, { transport: 'http' }))).toMatch(
      /^FORBIDDEN/,
    );
    expect(await outcome(() => h.update({ litellm_command: null }, { transport: 'internal' }))).toBe('ok');
  });

  it('refuses an unsafe program on every transport, naming the reason and the fix', async () => {
    const store = new SettingsStore(db);
    store.load();
    const h = settingsHandlers(store);
    const open = path.join(dir, 'open-litellm');
    fs.writeFileSync(open, '#!/bin/sh\nexit 0\n');
    fs.chmodSync(open, 0o777);
    const r = await outcome(() => h.update({ litellm_command: open }, { transport: 'ipc' }));
    expect(r).toMatch(
      /^INVALID_INPUT: Invalid setting litellm_command: Refusing to run .*writable by other users/,
    );
    expect(r).toContain(`chmod go-w ${open}`);
    expect(await outcome(() => h.update({ litellm_command: 'litellm' }, { transport: 'ipc' }))).toMatch(
      /not an absolute path/,
    );
    expect(store.get().litellm_command).toBeNull();
  });
});
