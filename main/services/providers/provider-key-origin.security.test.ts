// Attacker's side: moving a provider's base URL to another host (a listener of the attacker) never carries its key there — real serve child, real keychain, real LiteLLM.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../../../test/agents';
import { buildChildCore, startChildCore } from '../../../test/faults/child-core';
import type { ChildCore } from '../../../test/faults/child-core';
import { withModelApis } from '../../../test/fixtures/scripted-llm';
import { ScriptedUpstream } from '../../../test/fixtures/scripted-upstream';
import { keychainAvailable } from '../../../test/keychain';
import { litellmInstalled } from '../../../test/llm-stack';
import { skipUnlessReal } from '../../../test/real';
import { KEYCHAIN_SERVICE } from '../secrets/keychain-probe';
import { KeychainSecretStore } from '../secrets/keychain-secret-store';

const skip = skipUnlessReal(
  litellmInstalled() && (await keychainAvailable()),
  'LiteLLM and the OS keychain (run under scripts/with-keyring.sh)',
);

/** Keys unique to this run, so nothing else can contain them. */
const KEY = `sk-proj-${crypto.randomBytes(30).toString('base64url')}`;
const ENV_KEY = `sk-envkey-${crypto.randomBytes(30).toString('base64url')}`;

type Envelope<T = unknown> = { ok: boolean; value?: T; error?: { code: string; message: string } };
interface ProviderOut {
  id: string;
  status: string;
  status_detail: string;
  base_url: string;
  key: { state: string };
  key_removed?: string | null;
}
interface StatusOut {
  litellm: { state: string; models: string[] };
}

describe.skipIf(skip)('a provider whose base URL moves to another host loses its key', () => {
  let home: string;
  let core: ChildCore;
  let removeBundle = () => {};
  let honest: ScriptedUpstream;
  let attacker: ScriptedUpstream;
  const call = async <T>(group: string, method: string, input: unknown) =>
    (await core.call(group, method, input)) as Envelope<T>;
  const status = () => call<StatusOut>('llm', 'status', {});
  /** Every byte the attacker's server received: methods, paths, headers and bodies. */
  const attackerSaw = () => JSON.stringify(attacker.requests);

  beforeAll(async () => {
    const bundle = await buildChildCore();
    removeBundle = bundle.remove;
    honest = await withModelApis(new ScriptedUpstream({ key: KEY, models: ['gpt-test-mini'] })).start();
    // The attacker's listener on another port answers like a provider (no auth), so every call reaches it.
    attacker = await withModelApis(new ScriptedUpstream({ key: null, models: ['gpt-evil'] })).start();
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-test-keyorigin-'));
    core = await startChildCore(bundle.entry, home, { AGENTDESK_KEY_ENVVICTIM: ENV_KEY });
  }, 180_000);

  afterAll(async () => {
    if (core) {
      for (const id of ['victim', 'envvictim', 'samehost', 'cloud'])
        await core.call('providers', 'remove', { id }).catch(() => undefined);
      core.kill();
      await core.exited;
    }
    removeBundle();
    await honest?.stop();
    await attacker?.stop();
    if (home) fs.rmSync(home, { recursive: true, force: true });
  });

  it('the stored key and an AGENTDESK_KEY_<ID> never reach the new host: re-probe, test, refresh and LiteLLM calls', async () => {
    const added = await call<ProviderOut>('providers', 'add', {
      type: 'openai-compatible',
      id: 'victim',
      name: 'Victim',
      base_url: honest.v1,
      key: KEY,
    });
    expect(added.value?.status, JSON.stringify(added)).toBe('ok');
    expect(added.value?.key.state).toBe('set');
    const envAdded = await call<ProviderOut>('providers', 'add', {
      type: 'openai-compatible',
      id: 'envvictim',
      name: 'Env victim',
      base_url: honest.v1,
      probe: false,
    });
    expect(envAdded.value?.key.state).toBe('env');
    await until(
      status,
      (s) => s.value?.litellm.state === 'ready' && s.value.litellm.models.includes('victim/gpt-test-mini'),
      120_000,
      'LiteLLM serving the honest provider',
    );
    // The harness sees the key where it belongs (positive control).
    expect(honest.requests.some((r) => r.headers.authorization === `Bearer ${KEY}`)).toBe(true);

    // The move: another port on the same machine is another origin.
    const moved = await call<ProviderOut>('providers', 'edit', { id: 'victim', base_url: attacker.v1 });
    expect(moved.ok, JSON.stringify(moved)).toBe(true);
    const envMoved = await call<ProviderOut>('providers', 'edit', { id: 'envvictim', base_url: attacker.v1 });
    expect(envMoved.ok, JSON.stringify(envMoved)).toBe(true);
    // Everything that talks to the provider afterwards: test, refresh, LiteLLM (reloaded with the new host).
    await call('providers', 'test', { id: 'victim' });
    await call('providers', 'test', { id: 'envvictim' });
    await call('providers', 'models', { id: 'victim', refresh: true });
    await until(
      status,
      (s) => s.value?.litellm.state === 'ready' && s.value.litellm.models.includes('victim/gpt-evil'),
      120_000,
      'LiteLLM reloaded with the moved provider',
    );
    const t = await call<{ ok: boolean }>('llm', 'testModel', { model: 'victim/gpt-evil' });
    expect(t.value?.ok, JSON.stringify(t)).toBe(true);
    const t2 = await call<{ ok: boolean }>('llm', 'testModel', { model: 'envvictim/gpt-evil' });
    expect(t2.value?.ok, JSON.stringify(t2)).toBe(true);

    // The attacker was reached by every kind of request, and never saw either key.
    const paths = new Set(attacker.requests.map((r) => r.path));
    expect(paths.has('/v1/models')).toBe(true);
    expect(paths.has('/v1/chat/completions')).toBe(true);
    expect(attackerSaw()).not.toContain(KEY);
    expect(attackerSaw()).not.toContain(ENV_KEY);
    expect(attackerSaw()).not.toContain(KEY.slice(8, 30));

    // The answer says what happened and why; the keychain no longer holds the key.
    expect(moved.value?.key.state).toBe('not_needed'); // the key is optional for this type: none now
    expect(moved.value?.key_removed).toContain(`from ${honest.url} to ${attacker.url}`);
    expect(moved.value?.key_removed).toContain('Give the key again');
    expect(envMoved.value?.key.state).toBe('not_needed');
    expect(envMoved.value?.key_removed).toContain(
      `AGENTDESK_KEY_ENVVICTIM was given for ${honest.url} and is not sent`,
    );
    expect(await new KeychainSecretStore().getPassword(KEYCHAIN_SERVICE, 'provider:victim')).toBeNull();
  }, 400_000);

  it('a move on the same origin keeps the key; a new key given with the move is the one sent', async () => {
    const added = await call<ProviderOut>('providers', 'add', {
      type: 'openai-compatible',
      id: 'samehost',
      name: 'Same host',
      base_url: honest.url,
      key: KEY,
      probe: false,
    });
    expect(added.value?.key.state).toBe('set');
    const samePath = await call<ProviderOut>('providers', 'edit', { id: 'samehost', base_url: honest.v1 });
    expect(samePath.value?.key_removed).toBeNull();
    expect(samePath.value?.key.state).toBe('set');
    expect(samePath.value?.status).toBe('ok');
    const NEW = `sk-new-${crypto.randomBytes(20).toString('base64url')}`;
    const withKey = await call<ProviderOut>('providers', 'edit', {
      id: 'samehost',
      base_url: attacker.v1,
      key: NEW,
    });
    expect(withKey.value?.key_removed).toBeNull();
    expect(withKey.value?.key.state).toBe('set');
    expect(attacker.requests.some((r) => r.headers.authorization === `Bearer ${NEW}`)).toBe(true);
    expect(attackerSaw()).not.toContain(KEY);
  });

  it('plain http:// to a non-loopback host is refused for a cloud type; a LAN address is fine for a local server type', async () => {
    const cloud = await call<ProviderOut>('providers', 'add', {
      type: 'openai',
      id: 'cloud',
      name: 'Cloud',
      key: KEY,
      base_url: 'http://api.openai.com/v1',
      probe: false,
    });
    expect(cloud.error?.code).toBe('INVALID_INPUT');
    expect(cloud.error?.message).toContain('its key may only travel over https://');
    const ok = await call<ProviderOut>('providers', 'add', {
      type: 'openai',
      id: 'cloud',
      name: 'Cloud',
      key: KEY,
      probe: false,
    });
    expect(ok.ok).toBe(true);
    const downgrade = await call<ProviderOut>('providers', 'edit', {
      id: 'cloud',
      base_url: 'http://10.9.8.7/v1',
      probe: false,
    });
    expect(downgrade.error?.code).toBe('INVALID_INPUT');
    const still = await call<ProviderOut>('providers', 'get', { id: 'cloud' });
    expect(still.value?.base_url).toBe('https://api.openai.com/v1');
    expect(still.value?.key.state).toBe('set');
    const lan = await call<ProviderOut>('providers', 'edit', {
      id: 'envvictim',
      base_url: 'http://192.168.77.1:8000/v1',
      probe: false,
    });
    expect(lan.ok, JSON.stringify(lan)).toBe(true);
  });
});
