// Attacker's side: after a provider's base URL moves to another host, AGENTDESK_KEY_<ID> never follows it — not even after the core restarts with the variable still set — until the user accepts it for the new host. Real serve children, real LiteLLM.
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

const skip = skipUnlessReal(
  litellmInstalled() && (await keychainAvailable()),
  'LiteLLM and the OS keychain (run under scripts/with-keyring.sh)',
);

/** The env key, unique to this run so nothing else can contain it. */
const ENV_KEY = `sk-envkey-${crypto.randomBytes(30).toString('base64url')}`;
const ENV = { AGENTDESK_KEY_ENVP: ENV_KEY };

type Envelope<T = unknown> = { ok: boolean; value?: T; error?: { code: string; message: string } };
interface ProviderOut {
  id: string;
  base_url: string;
  key: { state: string; env_var?: string; detail?: string };
  key_removed?: string | null;
}
interface StatusOut {
  litellm: { state: string; models: string[] };
}

describe.skipIf(skip)('AGENTDESK_KEY_<ID> stays with the host it was first used for, across restarts', () => {
  let home: string;
  let entry: string;
  let core: ChildCore;
  let removeBundle = () => {};
  let honest: ScriptedUpstream;
  let attacker: ScriptedUpstream;
  const call = async <T>(group: string, method: string, input: unknown) =>
    (await core.call(group, method, input)) as Envelope<T>;
  const status = () => call<StatusOut>('llm', 'status', {});
  const sawEnvKey = (up: ScriptedUpstream) => JSON.stringify(up.requests).includes(ENV_KEY);
  /** Stops the core as a user would (SIGTERM: it stops LiteLLM) and starts a new one on the same data dir. */
  const restart = async () => {
    process.kill(core.pid, 'SIGTERM');
    await core.exited;
    core = await startChildCore(entry, home, ENV);
  };
  const serving = (model: string, what: string) =>
    until(
      status,
      (s) => s.value?.litellm.state === 'ready' && s.value.litellm.models.includes(model),
      120_000,
      what,
    );

  beforeAll(async () => {
    const bundle = await buildChildCore();
    removeBundle = bundle.remove;
    entry = bundle.entry;
    honest = await withModelApis(new ScriptedUpstream({ key: ENV_KEY, models: ['gpt-test-mini'] })).start();
    // The attacker's listener answers like a provider (no auth), so every call reaches it.
    attacker = await withModelApis(new ScriptedUpstream({ key: null, models: ['gpt-evil'] })).start();
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-test-envorigin-'));
    core = await startChildCore(entry, home, ENV);
  }, 180_000);

  afterAll(async () => {
    if (core) {
      await core.call('providers', 'remove', { id: 'envp' }).catch(() => undefined);
      core.kill();
      await core.exited;
    }
    removeBundle();
    await honest?.stop();
    await attacker?.stop();
    if (home) fs.rmSync(home, { recursive: true, force: true });
  });

  it('a move, then a restart with the variable still set: the new host never receives the env key', async () => {
    const added = await call<ProviderOut>('providers', 'add', {
      type: 'openai-compatible',
      id: 'envp',
      name: 'Env provider',
      base_url: honest.v1,
    });
    expect(added.value?.key.state, JSON.stringify(added)).toBe('env');
    await serving('envp/gpt-test-mini', 'LiteLLM serving the honest provider');
    const t0 = await call<{ ok: boolean }>('llm', 'testModel', { model: 'envp/gpt-test-mini' });
    expect(t0.value?.ok, JSON.stringify(t0)).toBe(true);
    expect(sawEnvKey(honest)).toBe(true); // the key works where it was given (positive control)

    const moved = await call<ProviderOut>('providers', 'edit', { id: 'envp', base_url: attacker.v1 });
    expect(moved.ok, JSON.stringify(moved)).toBe(true);
    expect(moved.value?.key_removed).toContain('AGENTDESK_KEY_ENVP');
    expect(sawEnvKey(attacker)).toBe(false);

    await restart();
    // Everything that talks to the provider after the restart: LiteLLM (started with the moved provider),
    // the test, a model refresh, a model call.
    await serving('envp/gpt-evil', 'LiteLLM serving the moved provider after the restart');
    await call('providers', 'test', { id: 'envp' });
    await call('providers', 'models', { id: 'envp', refresh: true });
    const t = await call<{ ok: boolean }>('llm', 'testModel', { model: 'envp/gpt-evil' });
    expect(t.value?.ok, JSON.stringify(t)).toBe(true);
    const paths = new Set(attacker.requests.map((r) => r.path));
    expect(paths.has('/v1/models')).toBe(true);
    expect(paths.has('/v1/chat/completions')).toBe(true);
    expect(sawEnvKey(attacker), 'the attacker received AGENTDESK_KEY_ENVP').toBe(false);

    // The provider says why it has no key and how to give it to this host.
    const got = await call<ProviderOut>('providers', 'get', { id: 'envp' });
    expect(got.value?.key.state).toBe('not_needed');
    expect(got.value?.key.detail).toContain(`AGENTDESK_KEY_ENVP was given for ${honest.url}`);
    expect(got.value?.key.detail).toContain('--accept-env-key');
  }, 400_000);

  it('moving back to the host it was given for uses it again', async () => {
    const back = await call<ProviderOut>('providers', 'edit', { id: 'envp', base_url: honest.v1 });
    expect(back.value?.key.state, JSON.stringify(back)).toBe('env');
    expect(back.value?.key_removed).toBeNull();
    const moved = await call<ProviderOut>('providers', 'edit', { id: 'envp', base_url: attacker.v1 });
    expect(moved.value?.key.state).toBe('not_needed');
    expect(sawEnvKey(attacker)).toBe(false);
  });

  it('the user accepts it for the new host explicitly; that choice survives a restart', async () => {
    const accepted = await call<ProviderOut>('providers', 'edit', { id: 'envp', accept_env_key: true });
    expect(accepted.value?.key.state, JSON.stringify(accepted)).toBe('env');
    expect(sawEnvKey(attacker)).toBe(true); // the re-probe sent it where the user said
    await restart();
    const got = await call<ProviderOut>('providers', 'get', { id: 'envp' });
    expect(got.value?.key.state).toBe('env');
  }, 200_000);

  it('accepting an env key the core does not have is refused, naming the variable', async () => {
    const other = await call<ProviderOut>('providers', 'add', {
      type: 'openai-compatible',
      id: 'nokey',
      name: 'No key',
      base_url: honest.v1,
      probe: false,
    });
    expect(other.ok).toBe(true);
    const r = await call<ProviderOut>('providers', 'edit', { id: 'nokey', accept_env_key: true });
    expect(r.error?.code).toBe('INVALID_INPUT');
    expect(r.error?.message).toContain('AGENTDESK_KEY_NOKEY is not set');
    await call('providers', 'remove', { id: 'nokey' });
  });
});
