// E2E: the Providers page in Chromium against `agentdesk serve`, a scripted upstream and the real keychain.
import { AsyncEntry } from '@napi-rs/keyring';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { Provider, ProviderModels } from '../../contract/providers';
import { ScriptedUpstream } from '../../test/fixtures/scripted-upstream';
import { keychainAvailable } from '../../test/keychain';
import { foreignRequests } from '../fixtures/browser';
import { callCore } from '../fixtures/core-api';
import { assertPrerequisites, REQUIRE_REAL, shouldRunE2e } from '../fixtures/paths';
import { startServe } from '../fixtures/serve';
import type { ServedCore } from '../fixtures/serve';
import { waitUntil } from '../fixtures/wait';
import { openUi } from '../fixtures/ui';
import type { UiSession } from '../fixtures/ui';
import { ProvidersPage } from '../pages/providers-page';

/** A key the scripted upstream accepts; long enough (≥ 12) for the UI to show its last 4. */
const KEY = 'sk-e2e-scripted-7Q2wX9pL4mZk';
const PROVIDER_NAME = 'Scripted E2E';
const PROVIDER_ID = 'scripted-e2e';
const UPSTREAM_MODELS = ['e2e-alpha-mini', 'e2e-alpha-large', 'e2e-beta-chat'];
const LOCAL_MODELS = ['llama-e2e:8b', 'qwen-e2e:1b'];

/** The keychain entry the core uses for a provider's key. */
function keyEntry(id: string): AsyncEntry {
  return new AsyncEntry('agentdesk', `provider:${id}`, { linux: { store: 'secret-service' } });
}

/** Polls the core until it lists `count` providers (60 s at most). */
async function listWhen(core: ServedCore, count: number): Promise<Provider[]> {
  let list: Provider[] = [];
  await waitUntil(
    async () => (list = await callCore<Provider[]>(core, 'providers.list')).length === count,
    60_000,
    `the core to list ${count} provider(s)`,
  );
  return list;
}

describe.skipIf(!shouldRunE2e())('Providers page in Chromium against agentdesk serve', () => {
  let core: ServedCore;
  let ui: UiSession | undefined;
  let page: Page;
  let providers: ProvidersPage;
  let local: ScriptedUpstream;
  let upstream: ScriptedUpstream;
  let keychain = false;
  let requests: string[] = [];
  let pageErrors: string[] = [];
  const consoleLines: string[] = [];

  beforeAll(async () => {
    assertPrerequisites();
    keychain = await keychainAvailable();
    if (!keychain && REQUIRE_REAL)
      throw new Error('No usable Secret Service: run the e2e suite inside scripts/with-keyring.sh');
    // A keyless "Ollama" on a free port; discovery is pointed at it through AGENTDESK_DISCOVERY_PORTS.
    local = await new ScriptedUpstream({ key: null, models: LOCAL_MODELS, ollama: true }).start();
    upstream = await new ScriptedUpstream({ key: KEY, models: UPSTREAM_MODELS }).start();
    const port = new URL(local.url).port;
    core = await startServe({ env: { AGENTDESK_DISCOVERY_PORTS: `ollama=${port}` } });
    ui = await openUi({ url: core.url, listen: (p) => p.on('console', (m) => consoleLines.push(m.text())) });
    ({ page, requests, pageErrors } = ui);
    const shell = ui.shell;
    providers = new ProvidersPage(shell);
  });

  afterAll(async () => {
    await ui?.close();
    await core?.stop();
    await local?.stop();
    await upstream?.stop();
    if (keychain)
      await keyEntry(PROVIDER_ID)
        .deletePassword()
        .catch(() => undefined);
  });

  it('shows the scripted local server as a detected card, and saves nothing', async () => {
    await providers.open();
    const card = providers.discovered('ollama');
    await card.waitFor({ state: 'visible', timeout: 15_000 });
    const text = await card.innerText();
    expect(text).toContain(local.url);
    expect(text).toContain(`${LOCAL_MODELS.length} models`);
    expect(await callCore<Provider[]>(core, 'providers.list')).toEqual([]);
  });

  it('offers a key field only for types that take a key', async () => {
    await providers.catalogItem('ollama').click();
    await providers.form().waitFor({ state: 'visible' });
    expect(await providers.form().getByTestId('provider-key').count()).toBe(0);
    await providers.catalogItem('openai').click();
    const key = providers.form().getByTestId('provider-key');
    expect(await key.getAttribute('type')).toBe('password');
    expect(await key.getAttribute('autocomplete')).toBe('off');
    expect(await providers.form().getByTestId('provider-base-url').inputValue()).toBe(
      'https://api.openai.com/v1',
    );
  });

  it('shows the core’s error under the base URL and saves nothing', async () => {
    await providers.fillAddForm('openai-compatible', { name: PROVIDER_NAME, baseUrl: 'ftp://127.0.0.1/v1' });
    await providers.save();
    const error = page.getByTestId('provider-base-url-error');
    await error.waitFor({ state: 'visible' });
    expect(await error.innerText()).toContain('INVALID_INPUT');
    expect(await providers.form().getByTestId('provider-base-url').getAttribute('aria-invalid')).toBe('true');
    expect(await callCore<Provider[]>(core, 'providers.list')).toEqual([]);
  });

  it('adds a provider pointing at the scripted upstream with a key; its models appear', async ({ skip }) => {
    skip(!keychain, 'no usable Secret Service (run inside scripts/with-keyring.sh)');
    await providers.fillAddForm('openai-compatible', {
      name: PROVIDER_NAME,
      baseUrl: upstream.v1,
      key: KEY,
    });
    await providers.save();
    await providers.row(PROVIDER_ID).waitFor({ state: 'visible', timeout: 15_000 });
    await expect.poll(() => providers.status(PROVIDER_ID), { timeout: 15_000 }).toBe('ok');
    expect(await providers.keyLine(PROVIDER_ID).innerText()).toContain(`key set · …${KEY.slice(-4)}`);
    await expect
      .poll(async () => (await providers.modelIds(PROVIDER_ID)).sort(), { timeout: 15_000 })
      .toEqual([...UPSTREAM_MODELS].sort());
    await providers.searchModels(PROVIDER_ID, 'beta');
    expect(await providers.modelIds(PROVIDER_ID)).toEqual(['e2e-beta-chat']);

    // The upstream got the key as a bearer token; the core and the page never hand it back.
    expect(upstream.requestsTo('/v1/models').some((r) => r.headers.authorization === `Bearer ${KEY}`)).toBe(
      true,
    );
    expect(await keyEntry(PROVIDER_ID).getPassword()).toBe(KEY);
    const listed = await callCore<Provider[]>(core, 'providers.list');
    expect(JSON.stringify(listed)).not.toContain(KEY);
    const models = await callCore<ProviderModels>(core, 'providers.models', { id: PROVIDER_ID });
    expect(models.models.map((m) => m.id).sort()).toEqual([...UPSTREAM_MODELS].sort());
    expect(await page.content()).not.toContain(KEY);
    expect(consoleLines.join('\n')).not.toContain(KEY);
  });

  it('moving it to another host warns first, then removes the key and says why; the new host never sees it', async ({
    skip,
  }) => {
    skip(!keychain, 'no usable Secret Service (run inside scripts/with-keyring.sh)');
    const form = await providers.edit(PROVIDER_ID);
    expect(await form.getByTestId('provider-key-moves').count()).toBe(0);
    await form.getByTestId('provider-base-url').fill(local.v1);
    await form.getByTestId('provider-key-moves').waitFor({ state: 'visible' });
    await form.getByTestId('provider-save').click();
    const notice = providers.notice(PROVIDER_ID);
    await notice.waitFor({ state: 'visible', timeout: 15_000 });
    expect(await notice.innerText()).toContain(`moved from ${upstream.url} to ${local.url}`);
    await expect
      .poll(async () => providers.keyLine(PROVIDER_ID).innerText(), { timeout: 15_000 })
      .not.toContain('key set');
    expect(await keyEntry(PROVIDER_ID).getPassword()).toBeFalsy();
    expect(local.requests.length).toBeGreaterThan(0); // the re-probe went to the new host…
    expect(JSON.stringify(local.requests)).not.toContain(KEY); // …without the key
  });

  it('removes it, and the key is gone from the keychain', async ({ skip }) => {
    skip(!keychain, 'no usable Secret Service (run inside scripts/with-keyring.sh)');
    await providers.remove(PROVIDER_ID);
    await providers.row(PROVIDER_ID).waitFor({ state: 'detached', timeout: 15_000 });
    expect(await callCore<Provider[]>(core, 'providers.list')).toEqual([]);
    expect(await keyEntry(PROVIDER_ID).getPassword()).toBeFalsy();
  });

  it('accepts the detected local server as a keyless provider', async () => {
    await providers.discovered('ollama').getByRole('button', { name: /^Add / }).click();
    const [added] = await listWhen(core, 1);
    expect(added).toMatchObject({ type: 'ollama', base_url: local.url, key: { state: 'not_needed' } });
    await providers.row(added!.id).waitFor({ state: 'visible' });
    expect(await providers.keyLine(added!.id).innerText()).toContain('no key needed');
    await expect
      .poll(async () => (await providers.modelIds(added!.id)).sort(), { timeout: 15_000 })
      .toEqual([...LOCAL_MODELS].sort());
    await expect.poll(() => providers.discovered('ollama').innerText()).toContain(`Added as ${added!.id}`);
    await providers.remove(added!.id);
    await providers.row(added!.id).waitFor({ state: 'detached', timeout: 15_000 });
  });

  it('never sent a request to a host other than 127.0.0.1, and threw no page errors', () => {
    expect(requests.length).toBeGreaterThan(0);
    expect(foreignRequests(requests)).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
