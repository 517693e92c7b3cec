// Providers end to end through a real headless core: HTTP API, SQLite, the real keychain and a scripted upstream.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../../../contract/client';
import type { Client } from '../../../contract/client';
import type { AppError } from '../../../contract/errors';
import { ScriptedUpstream } from '../../../test/fixtures/scripted-upstream';
import { keychainAvailable } from '../../../test/keychain';
import { skipUnlessReal } from '../../../test/real';
import { httpTransport } from '../../cli/http-client';
import { serve } from '../../cli/serve';
import type { Served } from '../../cli/serve';
import { KEYCHAIN_SERVICE } from '../secrets/keychain-probe';
import { KeychainSecretStore } from '../secrets/keychain-secret-store';
import { PROVIDER_TYPES } from './catalog';
import { resolveOptions } from '../../platform/paths';

/** The environment of the cores this file starts: this process's, plus what the tests set (never the global one). */
const coreEnv: NodeJS.ProcessEnv = { ...process.env };

const available = await keychainAvailable();
const tag = crypto.randomBytes(3).toString('hex');
const KEY = `sk-test-${crypto.randomBytes(16).toString('hex')}`;
const keychain = new KeychainSecretStore();

let home: string;
let served: Served;
let client: Client;
let up: ScriptedUpstream;
let ollama: ScriptedUpstream;

async function start(): Promise<void> {
  served = await serve({ home, app: resolveOptions(coreEnv), port: 0, healthIntervalMs: 0 });
  client = createClient(httpTransport({ url: served.http.url, token: served.token }));
}

async function failure(p: Promise<unknown>): Promise<AppError> {
  try {
    await p;
  } catch (err) {
    return err as AppError;
  }
  throw new Error('expected a failure');
}

describe.skipIf(skipUnlessReal(available, 'OS keychain'))('providers through a real core', () => {
  beforeAll(async () => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-providers-'));
    up = await new ScriptedUpstream({ key: KEY, models: ['gpt-test-mini', 'gpt-test-large'] }).start();
    ollama = await new ScriptedUpstream({ models: ['llama3.2:3b'], ollama: true }).start();
    await start();
  });
  afterAll(async () => {
    for (const p of await client.providers.list({}).catch(() => []))
      await client.providers.remove({ id: p.id }).catch(() => undefined);
    await served.stop();
    await up.stop();
    await ollama.stop();
    fs.rmSync(home, { recursive: true, force: true });
  });

  const id = `up-${tag}`;

  it('adds a provider: the key goes to the keychain, the models are probed', async () => {
    const p = await client.providers.add({
      type: 'openai-compatible',
      name: `Up ${tag}`,
      base_url: up.v1,
      key: `  ${KEY}\n`,
    });
    expect(p).toMatchObject({
      id,
      type: 'openai-compatible',
      key: { state: 'set', last4: KEY.slice(-4) },
      status: 'ok',
      status_detail: '2 models',
      model_count: 2,
    });
    expect(await keychain.getPassword(KEYCHAIN_SERVICE, `provider:${id}`)).toBe(KEY);
    expect(up.requestsTo('/v1/models').at(-1)?.headers.authorization).toBe(`Bearer ${KEY}`);
    const models = await client.providers.models({ id });
    expect(models.models).toEqual([
      { id: 'gpt-test-mini', label: null, litellm_model: 'openai/gpt-test-mini' },
      { id: 'gpt-test-large', label: null, litellm_model: 'openai/gpt-test-large' },
    ]);
    expect(models.fetched_at).toBeGreaterThan(0);
  });

  it('refuses a taken name (any case) or id with CONFLICT', async () => {
    const byName = await failure(
      client.providers.add({
        type: 'openai-compatible',
        name: `UP ${tag}`,
        id: `other-${tag}`,
        base_url: up.v1,
        probe: false,
      }),
    );
    expect(byName.code).toBe('CONFLICT');
    expect(byName.message).toContain(`A provider named "Up ${tag}" already exists (id ${id})`);
    const byId = await failure(
      client.providers.add({ type: 'openai-compatible', name: 'Other', id, base_url: up.v1, probe: false }),
    );
    expect(byId.code).toBe('CONFLICT');
  });

  it('refuses an unknown type listing every valid type, and a bad URL with the reason', async () => {
    const e = await failure(client.providers.add({ type: 'opneai' }));
    expect(e.code).toBe('INVALID_INPUT');
    expect(e.message).toBe(`Unknown provider type "opneai". Valid types: ${PROVIDER_TYPES.join(', ')}`);
    const url = await failure(
      client.providers.add({ type: 'openai-compatible', name: 'x', base_url: 'localhost:9/v1' }),
    );
    expect(url.message).toBe(
      'Bad base URL "localhost:9/v1": it has no scheme; write http://localhost:9/v1 or https://localhost:9/v1',
    );
    const missing = await failure(client.providers.add({ type: 'openai-compatible', name: 'y' }));
    expect(missing.message).toMatch(/needs a base URL/);
  });

  it('asks for a key where one is required, and refuses one where none is used', async () => {
    const e = await failure(client.providers.add({ type: 'openai', name: `Cloud ${tag}` }));
    expect(e.code).toBe('INVALID_INPUT');
    expect(e.message).toContain(`set AGENTDESK_KEY_CLOUD_${tag.toUpperCase()}`);
    const k = await failure(
      client.providers.add({ type: 'ollama', base_url: ollama.url, key: 'sk-not-for-ollama-000' }),
    );
    expect(k.message).toBe('Ollama does not use a key; add it without one.');
  });

  it('adds a keyless local server without a key', async () => {
    const p = await client.providers.add({ type: 'ollama', name: `Ollama ${tag}`, base_url: ollama.url });
    expect(p).toMatchObject({ key: { state: 'not_needed', last4: null }, status: 'ok', model_count: 1 });
    const m = await client.providers.models({ id: p.id });
    expect(m.models[0]).toEqual({ id: 'llama3.2:3b', label: null, litellm_model: 'ollama_chat/llama3.2:3b' });
    await client.providers.remove({ id: p.id });
  });

  it('records a refused key as an error status, and recovers with the right one', async () => {
    const wrong = await client.providers.edit({ id, key: 'sk-test-wrong-0000000000000' });
    expect(wrong.status).toBe('error');
    expect(wrong.status_detail).toMatch(/^401 Unauthorized: OpenAI-compatible \(any URL\) refused the key/);
    expect(wrong.key.last4).toBe('0000');
    expect(wrong.model_count).toBe(0);
    const t = await client.providers.test({ id });
    expect(t.probe).toMatchObject({ ok: false, kind: 'unauthorized', http_status: 401 });
    const refresh = await failure(client.providers.models({ id, refresh: true }));
    expect(refresh.code).toBe('UPSTREAM');
    const right = await client.providers.edit({ id, key: KEY });
    expect(right).toMatchObject({
      status: 'ok',
      model_count: 2,
      key: { state: 'set', last4: KEY.slice(-4) },
    });
  });

  it('keeps the cache when a refresh fails, and says TIMEOUT for a slow provider', async () => {
    up.on('GET', '/v1/models', () => new Promise<void>(() => {}));
    // Test seam: shorten the 10 s probe deadline of this core (a private field, set for this test only).
    const slowCore = served.core.providers as unknown as { deps: { probeTimeoutMs?: number } };
    slowCore.deps.probeTimeoutMs = 300;
    try {
      const e = await failure(client.providers.models({ id, refresh: true }));
      expect(e.code).toBe('TIMEOUT');
      expect((await client.providers.models({ id })).models).toHaveLength(2);
      expect((await client.providers.get({ id })).status).toBe('unreachable'); // a timeout: not reached, not a wrong answer
    } finally {
      slowCore.deps.probeTimeoutMs = undefined;
      up.on('GET', '/v1/models', (_q, res) => up.json(res, 200, { data: up.models.map((m) => ({ id: m })) }));
    }
  });

  it('reads the key back from the keychain after a restart of the core', async () => {
    await served.stop();
    await start();
    const p = await client.providers.get({ id });
    expect(p.key).toEqual({ state: 'set', last4: KEY.slice(-4) });
    expect(p.model_count).toBe(2);
    const t = await client.providers.test({ id });
    expect(t.probe.ok).toBe(true);
    expect(up.requestsTo('/v1/models').at(-1)?.headers.authorization).toBe(`Bearer ${KEY}`);
  });

  it('removes a provider and deletes its key from the keychain', async () => {
    const r = await client.providers.remove({ id });
    expect(r).toEqual({ id, key_deleted: true });
    expect(await keychain.getPassword(KEYCHAIN_SERVICE, `provider:${id}`)).toBeNull();
    const e = await failure(client.providers.get({ id }));
    expect(e.code).toBe('NOT_FOUND');
    expect((await client.providers.list({})).map((p) => p.id)).not.toContain(id);
  });

  it('edits a name, keeps the id, and deletes an optional key with key:null', async () => {
    const p = await client.providers.add({
      type: 'vllm',
      name: `vLLM ${tag}`,
      base_url: up.v1,
      key: KEY,
      probe: false,
    });
    expect(p.key.state).toBe('set');
    const renamed = await client.providers.edit({ id: p.id, name: `GPU box ${tag}` });
    expect(renamed).toMatchObject({ id: p.id, name: `GPU box ${tag}` });
    const keyless = await client.providers.edit({ id: p.id, key: null, probe: false });
    expect(keyless.key).toEqual({ state: 'not_needed', last4: null }); // vLLM's key is optional
    expect(await keychain.getPassword(KEYCHAIN_SERVICE, `provider:${p.id}`)).toBeNull();
    await client.providers.remove({ id: p.id });
  });
});
