// Without a keychain (no D-Bus session): adding a key fails clearly, env keys work for the run, nothing is written.
// The D-Bus address is pointed nowhere before the keychain binding first connects (each test file runs in its own process).
process.env.DBUS_SESSION_BUS_ADDRESS = 'unix:path=/nonexistent/agentdesk-test-bus';

import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../../../contract/client';
import type { Client } from '../../../contract/client';
import type { AppError } from '../../../contract/errors';
import { ScriptedUpstream } from '../../../test/fixtures/scripted-upstream';
import { httpTransport } from '../../cli/http-client';
import { serve } from '../../cli/serve';
import type { Served } from '../../cli/serve';
import { resolveOptions } from '../../platform/paths';

/** The environment of the cores this file starts: this process's, plus what the tests set (never the global one). */
const coreEnv: NodeJS.ProcessEnv = { ...process.env };

const KEY = `sk-test-${crypto.randomBytes(20).toString('hex')}`;
let home: string;
let served: Served;
let client: Client;
let up: ScriptedUpstream;

async function failure(p: Promise<unknown>): Promise<AppError> {
  try {
    await p;
  } catch (err) {
    return err as AppError;
  }
  throw new Error('expected a failure');
}

describe.skipIf(process.platform !== 'linux')('providers without a keychain', () => {
  beforeAll(async () => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-nokeychain-'));
    up = await new ScriptedUpstream({ key: KEY }).start();
    coreEnv.AGENTDESK_KEY_FROM_ENV = KEY;
    coreEnv.AGENTDESK_KEY_ENV_OPENAI = KEY;
    served = await serve({ home, app: resolveOptions(coreEnv), port: 0, healthIntervalMs: 0 });
    client = createClient(httpTransport({ url: served.http.url, token: served.token }));
  });
  afterAll(async () => {
    delete coreEnv.AGENTDESK_KEY_FROM_ENV;
    delete coreEnv.AGENTDESK_KEY_ENV_OPENAI;
    await served.stop();
    await up.stop();
    fs.rmSync(home, { recursive: true, force: true });
  });

  it('reports the keychain as missing', async () => {
    const health = await client.system.health({ refresh: true });
    expect(health.components.find((c) => c.name === 'keychain')?.state).toBe('missing');
  });

  it('refuses to store a key with KEYCHAIN_UNAVAILABLE naming the missing piece and the fix', async () => {
    const e = await failure(
      client.providers.add({ type: 'openai-compatible', name: 'Stored', base_url: up.v1, key: KEY }),
    );
    expect(e.code).toBe('KEYCHAIN_UNAVAILABLE');
    expect(e.message).toMatch(
      /^Cannot store the key of provider:stored: no Secret Service on the D-Bus session \(.+\)\. Fix: /,
    );
    expect(e.message).toContain('gnome-keyring');
    expect(e.message).toContain('AGENTDESK_KEY_<PROVIDER_ID>');
    expect(e.message).not.toContain(KEY);
    expect(await client.providers.list({})).toEqual([]); // nothing saved
  });

  it('uses AGENTDESK_KEY_<ID> from the environment for this run', async () => {
    const p = await client.providers.add({ type: 'openai-compatible', name: 'From env', base_url: up.v1 });
    expect(p).toMatchObject({
      id: 'from-env',
      key: { state: 'env', last4: KEY.slice(-4), env_var: 'AGENTDESK_KEY_FROM_ENV' },
      status: 'ok',
      model_count: 2,
    });
    expect(up.requestsTo('/v1/models').at(-1)?.headers.authorization).toBe(`Bearer ${KEY}`);
    const cloud = await client.providers.add({ type: 'openai', name: 'Env OpenAI', base_url: up.v1 });
    expect(cloud.key.state).toBe('env');
    expect(cloud.status).toBe('ok');
  });

  it('shows a key required and absent as missing, naming the variable', async () => {
    delete coreEnv.AGENTDESK_KEY_ENV_OPENAI;
    const p = await client.providers.get({ id: 'env-openai' });
    expect(p.key).toEqual({ state: 'missing', last4: null, env_var: 'AGENTDESK_KEY_ENV_OPENAI' });
    const t = await client.providers.test({ id: 'env-openai' });
    expect(t.probe).toMatchObject({ ok: false, kind: 'no_key' });
    expect(t.probe.message).toContain('AGENTDESK_KEY_ENV_OPENAI');
    expect((await client.providers.remove({ id: 'env-openai' })).key_deleted).toBe(false);
  });

  it('wrote the key nowhere', () => {
    const hits: string[] = [];
    for (const entry of fs.readdirSync(home, { withFileTypes: true, recursive: true }))
      if (
        entry.isFile() &&
        fs.readFileSync(path.join(entry.parentPath, entry.name)).includes(Buffer.from(KEY))
      )
        hits.push(entry.name);
    expect(hits).toEqual([]);
  });
});
