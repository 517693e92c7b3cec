// Unit tests of the Providers store against a fake core: load, add (key never kept), errors, live updates.
import { describe, expect, it } from 'vitest';
import type { CatalogEntry, Discovery, Provider } from '../../../../contract/providers';
import { createFakeCore, FakeCoreError } from '../../test/fake-client';
import { createProvidersStore, filterModels, keyLine, offlineLine, statusBadge } from './index';

const KEY = 'sk-unit-secret-ABCDwxyz';

const ENTRY: CatalogEntry = {
  type: 'openai-compatible',
  label: 'OpenAI-compatible (any URL)',
  kind: 'custom',
  base_url: '',
  litellm_prefix: 'openai/',
  auth: 'bearer',
  key: 'optional',
  models: 'openai',
  env_vars: [],
  default_port: null,
  docs_url: 'https://example.invalid/docs',
};

function provider(over: Partial<Provider> = {}): Provider {
  return {
    id: 'custom',
    type: 'openai-compatible',
    type_label: ENTRY.label,
    kind: 'custom',
    name: 'Custom',
    base_url: 'http://127.0.0.1:9/v1',
    key: { state: 'set', last4: 'wxyz' },
    status: 'ok',
    status_detail: '2 models',
    checked_at: 1,
    model_count: 2,
    models_fetched_at: 1,
    created_at: 1,
    updated_at: 1,
    ...over,
  };
}

const DISCOVERY: Discovery = { servers: [], keys: [], probed: [], duration_ms: 3, scanned_at: 1 };

function setup(): {
  core: ReturnType<typeof createFakeCore>;
  store: ReturnType<typeof createProvidersStore>;
} {
  const core = createFakeCore();
  core.handle('providers.catalog', () => [ENTRY]);
  core.handle('providers.list', () => []);
  core.handle('providers.discover', () => DISCOVERY);
  return { core, store: createProvidersStore(() => core.client) };
}

describe('providers store', () => {
  it('loads catalog, list and discovery', async () => {
    const { core, store } = setup();
    await store.getState().load();
    expect(core.calls.map((c) => c.channel).sort()).toEqual([
      'providers.catalog',
      'providers.discover',
      'providers.list',
    ]);
    expect(store.getState().catalog).toEqual([ENTRY]);
    expect(store.getState().discovery).toEqual(DISCOVERY);
  });

  it('tests again on load only the providers checked longer ago than asked, and shows the new status', async () => {
    const { core, store } = setup();
    const now = Date.now();
    core.handle('providers.list', () => [
      provider({ id: 'old', name: 'Old', checked_at: now - 600_000 }),
      provider({ id: 'fresh', name: 'Fresh', checked_at: now }),
      provider({ id: 'never', name: 'Never', checked_at: null }),
    ]);
    core.handle('providers.test', (input) => {
      const id = (input as { id: string }).id;
      return {
        provider: provider({ id, name: id, status: 'unreachable', status_detail: 'Unreachable: refused' }),
        probe: { ok: false },
      };
    });
    await store.getState().load({ recheckAfterMs: 10_000 });
    await new Promise((r) => setTimeout(r, 0));
    const tested = core.calls.filter((c) => c.channel === 'providers.test').map((c) => c.input);
    expect(tested).toEqual([{ id: 'old' }, { id: 'never' }]);
    expect(store.getState().providers.find((p) => p.id === 'old')?.status).toBe('unreachable');
    expect(store.getState().providers.find((p) => p.id === 'fresh')?.status).toBe('ok');
  });

  it('sends the key in the add call only and never keeps it in state', async () => {
    const { core, store } = setup();
    core.handle('providers.add', () => provider());
    const r = await store
      .getState()
      .add({ type: 'openai-compatible', base_url: 'http://127.0.0.1:9/v1', key: KEY });
    expect(r.ok).toBe(true);
    expect(core.calls.find((c) => c.channel === 'providers.add')?.input).toMatchObject({ key: KEY });
    expect(store.getState().providers.map((p) => p.id)).toEqual(['custom']);
    expect(JSON.stringify(store.getState())).not.toContain(KEY);
  });

  it('keeps why an edit removed the key as a notice of the row, until dismissed or the next edit', async () => {
    const { core, store } = setup();
    const why =
      'The key was removed because the base URL moved from http://127.0.0.1:9 to http://127.0.0.1:10.';
    core.handle('providers.edit', () => ({
      ...provider({ base_url: 'http://127.0.0.1:10/v1', key: { state: 'missing', last4: null } }),
      key_removed: why,
    }));
    const r = await store.getState().edit({ id: 'custom', base_url: 'http://127.0.0.1:10/v1' });
    expect(r.ok).toBe(true);
    expect(store.getState().notices).toEqual({ custom: why });
    expect(store.getState().providers[0]).not.toHaveProperty('key_removed');
    store.getState().dismissNotice('custom');
    expect(store.getState().notices).toEqual({});
  });

  it('returns the core error of a failed add with its code', async () => {
    const { core, store } = setup();
    core.handle('providers.add', () => {
      throw new FakeCoreError({ code: 'CONFLICT', message: 'name taken', details: { field: 'name' } });
    });
    const r = await store.getState().add({ type: 'openai-compatible', key: KEY });
    expect(r).toMatchObject({ ok: false, error: { code: 'CONFLICT', message: 'name taken' } });
    expect(JSON.stringify(store.getState())).not.toContain(KEY);
  });

  it('keeps a models failure on the row and follows providers.changed', async () => {
    const { core, store } = setup();
    const off = store.getState().follow();
    core.emit('providers.changed', {
      providers: [provider({ id: 'b', name: 'B' }), provider({ id: 'a', name: 'A' })],
    });
    expect(store.getState().providers.map((p) => p.id)).toEqual(['a', 'b']);
    core.handle('providers.models', () => {
      throw new FakeCoreError({ code: 'UPSTREAM', message: '401 Unauthorized' });
    });
    await store.getState().loadModels('a', true);
    expect(core.calls.at(-1)).toEqual({ channel: 'providers.models', input: { id: 'a', refresh: true } });
    expect(store.getState().rowErrors.a).toMatchObject({ code: 'UPSTREAM' });
    expect(store.getState().busy.a).toBeUndefined();
    off();
    expect(core.listenerCount('providers.changed')).toBe(0);
  });

  it('describes keys, status and filters models', () => {
    expect(keyLine(provider())).toBe('key set · …wxyz');
    expect(keyLine(provider({ key: { state: 'not_needed', last4: null } }))).toBe('no key needed');
    expect(keyLine(provider({ key: { state: 'env', last4: null, env_var: 'OPENAI_API_KEY' } }))).toBe(
      'key from OPENAI_API_KEY',
    );
    const refused =
      'AGENTDESK_KEY_X was given for https://a.example and is not sent to this provider’s new host';
    expect(
      keyLine(
        provider({ key: { state: 'not_needed', last4: null, env_var: 'AGENTDESK_KEY_X', detail: refused } }),
      ),
    ).toBe(`no key: ${refused}`);
    expect(statusBadge({ status: 'error' })).toEqual({ tone: 'danger', label: 'Error' });
    const models = [
      { id: 'gpt-a', label: null, litellm_model: 'openai/gpt-a' },
      { id: 'llama', label: 'Llama Big', litellm_model: 'openai/llama' },
    ];
    expect(filterModels(models, 'BIG').map((m) => m.id)).toEqual(['llama']);
  });
});

describe('network state', () => {
  const OFFLINE = { online: false, detail: 'no default route', unreachable: ['openai'], checked_at: 1 };

  it('reads providers.network and keeps the last answer when the core does not answer', async () => {
    const { core, store } = setup();
    core.handle('providers.network', () => OFFLINE);
    await store.getState().checkNetwork();
    expect(store.getState().network).toEqual(OFFLINE);
    core.handle('providers.network', () => {
      throw new FakeCoreError({ code: 'INTERNAL', message: 'core gone' });
    });
    await store.getState().checkNetwork();
    expect(store.getState().network).toEqual(OFFLINE);
  });

  it('says offline with the count of unreachable providers, and nothing when online or unknown', () => {
    expect(offlineLine(OFFLINE)).toBe('Offline — local models only · 1 provider unreachable');
    expect(offlineLine({ ...OFFLINE, unreachable: ['a', 'b'] })).toBe(
      'Offline — local models only · 2 providers unreachable',
    );
    expect(offlineLine({ ...OFFLINE, unreachable: [] })).toBe('Offline — local models only');
    expect(offlineLine({ ...OFFLINE, online: true })).toBeNull();
    expect(offlineLine(null)).toBeNull();
  });

  it('badges an unreachable provider as such, not as an error', () => {
    expect(statusBadge(provider({ status: 'unreachable' }))).toEqual({ tone: 'warn', label: 'Unreachable' });
  });
});
