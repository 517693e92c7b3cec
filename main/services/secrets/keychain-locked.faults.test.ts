// Fault: the login keyring gets locked while the core runs (a private D-Bus session + real gnome-keyring): clear errors, the env-var path, no plaintext.
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../../../contract/client';
import type { Client } from '../../../contract/client';
import type { AppError } from '../../../contract/errors';
import { until } from '../../../test/agents';
import { ScriptedUpstream } from '../../../test/fixtures/scripted-upstream';
import { filesContaining } from '../../../test/llm-stack';
import { skipUnlessReal } from '../../../test/real';
import { httpTransport } from '../../cli/http-client';
import { serve } from '../../cli/serve';
import type { Served } from '../../cli/serve';
import { resolveOptions } from '../../platform/paths';

/** The environment of the cores this file starts: this process's, plus what the tests set (never the global one). */
const coreEnv: NodeJS.ProcessEnv = { ...process.env };

/** True when a private session bus and gnome-keyring can be started here. */
function tools(): boolean {
  try {
    execFileSync(
      'sh',
      ['-c', 'command -v dbus-daemon && command -v gnome-keyring-daemon && command -v dbus-send'],
      {
        stdio: 'ignore',
      },
    );
    return process.platform === 'linux';
  } catch {
    return false;
  }
}

const skip = skipUnlessReal(tools(), 'dbus-daemon and gnome-keyring-daemon (scripts/bootstrap-linux.sh)');
const KEY = `sk-test-locked-${crypto.randomBytes(20).toString('hex')}`;
const LOGIN = '/org/freedesktop/secrets/collection/login';

async function failure(p: Promise<unknown>): Promise<AppError> {
  try {
    await p;
  } catch (err) {
    return err as AppError;
  }
  throw new Error('expected a failure');
}

describe.skipIf(skip)('fault: the keyring locked while the core runs', () => {
  let tmp: string;
  let bus: ChildProcess;
  let keyring: ChildProcess;
  let home: string;
  let served: Served;
  let client: Client;
  let up: ScriptedUpstream;
  const secretService = (method: string, ...args: string[]) =>
    execFileSync(
      'dbus-send',
      [
        '--session',
        '--print-reply',
        '--dest=org.freedesktop.secrets',
        '/org/freedesktop/secrets',
        method,
        ...args,
      ],
      { encoding: 'utf8', env: process.env },
    );

  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-test-keyring-'));
    for (const d of ['data', 'run']) fs.mkdirSync(path.join(tmp, d), { mode: 0o700 });
    // Our own session bus (its address printed on stdout) and our own keyring daemon on it.
    bus = spawn('dbus-daemon', ['--session', '--nofork', '--print-address=1'], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    let address = '';
    bus.stdout!.setEncoding('utf8').on('data', (d: string) => (address += d));
    await until(
      () => address,
      (a) => a.includes('\n'),
      10_000,
      'the D-Bus address',
    );
    // Set before anything in this process talks to the keychain (each test file runs in its own process).
    process.env.DBUS_SESSION_BUS_ADDRESS = address.trim();
    keyring = spawn('gnome-keyring-daemon', ['--foreground', '--unlock', '--components=secrets'], {
      env: { ...process.env, XDG_DATA_HOME: path.join(tmp, 'data'), XDG_RUNTIME_DIR: path.join(tmp, 'run') },
      stdio: ['pipe', 'ignore', 'ignore'],
    });
    keyring.stdin!.end('agentdesk-test'); // the password of the new login keyring
    // NameHasOwner does not activate a service (a Properties call would start a second, locked daemon).
    const owned = () => {
      try {
        return execFileSync(
          'dbus-send',
          [
            '--session',
            '--print-reply',
            '--dest=org.freedesktop.DBus',
            '/org/freedesktop/DBus',
            'org.freedesktop.DBus.NameHasOwner',
            'string:org.freedesktop.secrets',
          ],
          { encoding: 'utf8', env: process.env },
        ).includes('boolean true');
      } catch {
        return false;
      }
    };
    await until(owned, (ok) => ok, 10_000, 'the keyring daemon on the bus');
    expect(
      secretService(
        'org.freedesktop.DBus.Properties.Get',
        'string:org.freedesktop.Secret.Service',
        'string:Collections',
      ),
    ).toContain(LOGIN);
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-test-locked-'));
    up = await new ScriptedUpstream({ key: KEY }).start();
    served = await serve({ home, app: resolveOptions(coreEnv), port: 0, healthIntervalMs: 0 });
    client = createClient(httpTransport({ url: served.http.url, token: served.token }));
  }, 60_000);

  afterAll(async () => {
    delete coreEnv.AGENTDESK_KEY_STORED;
    await served?.stop();
    await up?.stop();
    keyring?.kill('SIGKILL');
    bus?.kill('SIGKILL');
    if (home) fs.rmSync(home, { recursive: true, force: true });
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('while unlocked, a key is stored in the keychain', async () => {
    const p = await client.providers.add({
      type: 'openai-compatible',
      name: 'Stored',
      base_url: up.v1,
      key: KEY,
    });
    expect(p.key).toEqual({ state: 'set', last4: KEY.slice(-4) });
    expect(
      (await client.system.health({ refresh: true })).components.find((c) => c.name === 'keychain')?.state,
    ).toBe('ok');
  });

  it('locked: health says so and how to unlock it', async () => {
    secretService('org.freedesktop.Secret.Service.Lock', `array:objpath:${LOGIN}`);
    const kc = (await client.system.health({ refresh: true })).components.find((c) => c.name === 'keychain')!;
    expect(kc.state).toBe('error');
    expect(kc.detail).toMatch(/locked/);
    expect(kc.fix).toMatch(/[Uu]nlock/);
  });

  it('locked: storing a key fails with KEYCHAIN_UNAVAILABLE naming the lock and the env-var path; nothing saved', async () => {
    const before = await client.providers.list({});
    const e = await failure(
      client.providers.add({ type: 'openai-compatible', name: 'Second', base_url: up.v1, key: KEY }),
    );
    expect(e.code).toBe('KEYCHAIN_UNAVAILABLE');
    expect(e.message).toMatch(/keyring is locked/);
    expect(e.message).toContain('AGENTDESK_KEY_<PROVIDER_ID>');
    expect(e.message).not.toContain(KEY);
    expect((await client.providers.list({})).map((p) => p.id)).toEqual(before.map((p) => p.id));
  });

  it('locked: the stored key shows as unavailable with why and the variable to use; the variable works for this run', async () => {
    const p = await client.providers.get({ id: 'stored' });
    expect(p.key).toMatchObject({ state: 'unavailable', last4: null, env_var: 'AGENTDESK_KEY_STORED' });
    expect(JSON.stringify(p)).not.toContain(KEY);
    coreEnv.AGENTDESK_KEY_STORED = KEY;
    const again = await client.providers.get({ id: 'stored' });
    expect(again.key).toMatchObject({ state: 'env', last4: KEY.slice(-4), env_var: 'AGENTDESK_KEY_STORED' });
    const t = await client.providers.test({ id: 'stored' });
    expect(t.probe).toMatchObject({ ok: true });
    expect(up.requestsTo('/v1/models').at(-1)?.headers.authorization).toBe(`Bearer ${KEY}`);
  });

  it('wrote the key nowhere under the data dir (config, DB, logs)', () => {
    expect(filesContaining(home, KEY)).toEqual([]);
  });
});
