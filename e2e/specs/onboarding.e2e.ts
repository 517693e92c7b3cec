// E2E: first-run onboarding in Chromium against `agentdesk serve` laid out like a packaged install
// (no LiteLLM beside the app): the three checks, "Install LiteLLM" from an offline wheelhouse with a live
// progress bar, Continue into the app, persistence across reloads, and "Run setup again".
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { SetupStatus } from '../../contract/setup';
import { makeWheelhouse } from '../../test/fixtures/wheelhouse';
import { foreignRequests } from '../fixtures/browser';
import { callCore } from '../fixtures/core-api';
import { assertPrerequisites, REPO_ROOT, shouldRunE2e } from '../fixtures/paths';
import { startServe } from '../fixtures/serve';
import type { ServedCore } from '../fixtures/serve';
import { openUi } from '../fixtures/ui';
import type { UiSession } from '../fixtures/ui';
import { AppShell } from '../pages/app-shell';

/**
 * An app root and resources folder shaped like a packaged install: the built app (`out/`) and the
 * shipped resources, but no `.venv/litellm` — and a LiteLLM wheelhouse holding a small stand-in
 * `litellm` wheel (installing the real one is covered by main/services/llm/litellm/provision.pypi.test.ts).
 */
function packagedLayout(root: string): { appRoot: string; resources: string } {
  const appRoot = path.join(root, 'app');
  const resources = path.join(root, 'resources');
  fs.mkdirSync(appRoot, { recursive: true });
  fs.symlinkSync(path.join(REPO_ROOT, 'out'), path.join(appRoot, 'out'));
  fs.mkdirSync(path.join(resources, 'litellm'), { recursive: true });
  for (const entry of fs.readdirSync(path.join(REPO_ROOT, 'resources')))
    if (entry !== 'litellm')
      fs.symlinkSync(path.join(REPO_ROOT, 'resources', entry), path.join(resources, entry));
  makeWheelhouse(path.join(resources, 'litellm'), '0.0.1');
  return { appRoot, resources };
}

describe.skipIf(!shouldRunE2e())('First-run onboarding', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-e2e-packaged-'));
  let core: ServedCore;
  let ui: UiSession | undefined;
  let page: Page;
  let requests: string[] = [];

  beforeAll(async () => {
    assertPrerequisites();
    const layout = packagedLayout(root);
    core = await startServe({
      onboarding: true,
      env: {
        AGENTDESK_APP_ROOT: layout.appRoot,
        AGENTDESK_RESOURCES_DIR: layout.resources,
        AGENTDESK_LITELLM: '',
        PATH: '/usr/sbin:/usr/bin:/sbin:/bin',
      },
    });
    ui = await openUi();
    ({ page, requests } = ui);
  });

  afterAll(async () => {
    await ui?.close();
    await core?.stop();
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('opens on the onboarding with the engine, keychain and LiteLLM checks', async () => {
    await page.goto(core.url);
    await page.getByTestId('onboarding').waitFor();
    await expect.poll(() => page.getByTestId('setup-engine').getAttribute('data-state')).toBe('ok');
    expect(await page.getByTestId('setup-keychain').getAttribute('data-state')).toBe('ok');
    expect(await page.getByTestId('setup-litellm').getAttribute('data-state')).toBe('fail');
    expect(await page.getByTestId('setup-litellm-detail').textContent()).toMatch(/not installed/);
    expect(await page.getByTestId('setup-continue').textContent()).toBe('Continue anyway');
    // The sidebar is not there until onboarding is done.
    expect(await page.getByTestId('nav-agents').count()).toBe(0);
  });

  it('"Install LiteLLM" shows live progress, then the check turns ready', async () => {
    await page.getByTestId('setup-action-provision-litellm').click();
    await page.getByTestId('provision-bar').waitFor();
    expect(await page.getByTestId('setup-continue').isDisabled()).toBe(true);
    await expect
      .poll(() => page.getByTestId('setup-litellm').getAttribute('data-state'), { timeout: 90_000 })
      .toBe('ok');
    expect(await page.getByTestId('setup-litellm-detail').textContent()).toMatch(/LiteLLM 0\.0\.1 installed/);
    expect(await page.getByTestId('setup-continue').textContent()).toBe('Continue');

    const status = await callCore<SetupStatus>(core, 'setup.status', {});
    expect(status.provision).toMatchObject({ state: 'done', source: 'wheelhouse', percent: 100 });
    expect(fs.existsSync(path.join(core.home, 'litellm', 'venv', '.agentdesk-provisioned'))).toBe(true);
  });

  it('Continue opens the app, and it stays open after a reload', async () => {
    await page.getByTestId('setup-continue').click();
    const shell = new AppShell(page);
    await shell.navItem('agents').waitFor();
    expect((await callCore<{ onboarding_done: boolean }>(core, 'settings.get')).onboarding_done).toBe(true);
    await page.reload();
    await shell.navItem('agents').waitFor();
    expect(await page.getByTestId('onboarding').count()).toBe(0);
  });

  it('System → "Run setup again" brings the onboarding back, all ready', async () => {
    await new AppShell(page).goTo('system');
    await page.getByTestId('run-setup').click();
    await page.getByTestId('onboarding').waitFor();
    await expect.poll(() => page.getByTestId('setup-litellm').getAttribute('data-state')).toBe('ok');
    await page.getByTestId('setup-continue').click();
    await page.getByTestId('nav-agents').waitFor();
    expect(foreignRequests(requests)).toEqual([]);
  });
});
