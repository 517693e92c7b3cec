// E2E offline: serve and Chromium in a network namespace with only loopback; a scripted Ollama on 11434 inside it.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OLLAMA_PORT, withOllamaApi } from '../../test/fixtures/scripted-ollama';
import { ScriptedUpstream } from '../../test/fixtures/scripted-upstream';
import { foreignRequests } from '../fixtures/browser';
import { OfflineNs, netnsAvailable } from '../fixtures/netns';
import type { NsServe } from '../fixtures/netns';
import { assertPrerequisites, REQUIRE_REAL, shouldRunE2e } from '../fixtures/paths';
import { waitUntil } from '../fixtures/wait';
import { openUi } from '../fixtures/ui';
import type { UiSession } from '../fixtures/ui';
import type { AppShell } from '../pages/app-shell';
import { ProvidersPage } from '../pages/providers-page';

const MODELS = ['llama3.2:3b', 'nomic-embed-text:latest'];
/** Read by the core from its environment for this run: the cloud provider needs no keychain. */
const CLOUD_KEY = 'sk-e2e-offline-cloud-5Rk2Qw8Z';

const run = shouldRunE2e() && (netnsAvailable() || REQUIRE_REAL);

describe.skipIf(!run)('offline: discovery → keyless local provider → offline indicator, in Chromium', () => {
  let dir: string;
  let ns: OfflineNs;
  let ollama: ScriptedUpstream;
  let core: NsServe;
  let ui: UiSession | undefined;
  let page: Page;
  let shell: AppShell;
  let providers: ProvidersPage;
  let requests: string[] = [];

  beforeAll(async () => {
    assertPrerequisites();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-test-offline-e2e-'));
    ns = await OfflineNs.create(dir);
    // The scripted Ollama runs here; inside the namespace it answers on Ollama's usual port.
    ollama = await withOllamaApi(new ScriptedUpstream({ key: null, models: MODELS })).start();
    await ns.forward(OLLAMA_PORT, Number(new URL(ollama.url).port));
    fs.mkdirSync(path.join(dir, 'home'), { mode: 0o700 });
    core = await ns.serve(path.join(dir, 'home'), { AGENTDESK_KEY_OPENAI: CLOUD_KEY });
    ui = await openUi({ executablePath: ns.chromium() });
    ({ page, shell, requests } = ui);
    // A fresh data dir shows the first-run onboarding; this spec starts past it (as serve.ts does).
    // The core is only reachable from inside the namespace, so the call goes through the page.
    await page.goto(core.url);
    await page.evaluate(
      async (token) => {
        await fetch('/api/settings/update', {
          method: 'POST',
          headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
          body: JSON.stringify({ onboarding_done: true }),
        });
      },
      decodeURIComponent(core.url.split('#token=')[1]!),
    );
    await shell.open(core.url);
    providers = new ProvidersPage(shell);
  }, 180_000);

  afterAll(async () => {
    await ui?.close();
    await core?.stop();
    await ollama?.stop();
    await ns?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('shows "Offline — local models only" in the shell', async () => {
    const indicator = page.getByTestId('offline-indicator');
    await indicator.waitFor({ state: 'visible', timeout: 30_000 });
    expect(await indicator.innerText()).toContain('Offline — local models only');
    expect(await indicator.getAttribute('title')).toMatch(/no default route/);
  });

  it('discovers the Ollama on 11434 and adds it with no key asked', async () => {
    await providers.open();
    const card = providers.discovered('ollama');
    await card.waitFor({ state: 'visible', timeout: 30_000 });
    expect(await card.innerText()).toContain(`http://127.0.0.1:${OLLAMA_PORT}`);
    expect(await card.innerText()).toContain(`${MODELS.length} models`);
    await card.getByTestId('discovered-add').click();
    await providers.row('ollama').waitFor({ state: 'visible', timeout: 30_000 });
    await waitUntil(
      async () => (await providers.status('ollama')) === 'ok',
      30_000,
      'Ollama to be connected',
    );
    expect(await providers.keyLine('ollama').innerText()).toContain('no key needed');
    await waitUntil(
      async () => (await card.innerText()).includes('Added as ollama'),
      30_000,
      'the card to say it was added',
    );
    // Ollama's models were listed through its native /api/tags.
    expect(ollama.requestsTo('/api/tags').length).toBeGreaterThan(0);
  });

  it('asks no key for other local servers unless the user says one is set', async () => {
    await providers.catalogItem('lmstudio').click();
    const form = providers.form();
    await form.waitFor({ state: 'visible' });
    expect(await form.getByTestId('provider-key').count()).toBe(0);
    expect(await form.getByTestId('provider-no-key').innerText()).toContain('needs no key');
    await form.getByTestId('provider-wants-key').check();
    expect(await form.getByTestId('provider-key').count()).toBe(1);
    await form.getByTestId('provider-wants-key').uncheck();
  });

  it('shows a cloud provider as unreachable once, without probing it, and counts it in the indicator', async () => {
    await providers.fillAddForm('openai', {});
    await providers.save();
    await providers.row('openai').waitFor({ state: 'visible', timeout: 30_000 });
    expect(await providers.status('openai')).toBe('unreachable');
    expect(await page.getByTestId('provider-detail-openai').innerText()).toMatch(/offline/);
    await waitUntil(
      async () =>
        (await page.getByTestId('offline-indicator').innerText()).includes('1 provider unreachable'),
      30_000,
      'the indicator to count the unreachable provider',
    );
    // One status, not an error per call: no alert anywhere on the page.
    expect(await page.getByRole('alert').count()).toBe(0);
  });

  it('loaded nothing but the app’s own origin', () => {
    expect(requests.length).toBeGreaterThan(0);
    expect(foreignRequests(requests)).toEqual([]);
    expect(requests.filter((u) => !u.startsWith(core.origin) && !/^(data|blob|about):/.test(u))).toEqual([]);
  });
});
