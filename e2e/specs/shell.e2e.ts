// E2E: the real UI in Chromium against a real `agentdesk serve`: shell, System view, Settings, token screen.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { CoreInfo, HealthReport } from '../../contract/health';
import type { Settings } from '../../contract/settings';
import { foreignRequests, newRecordingContext } from '../fixtures/browser';
import { callCore } from '../fixtures/core-api';
import { assertPrerequisites, shouldRunE2e } from '../fixtures/paths';
import { startServe } from '../fixtures/serve';
import type { ServedCore } from '../fixtures/serve';
import { openUi } from '../fixtures/ui';
import type { UiSession } from '../fixtures/ui';
import { AppShell, PAGE_IDS } from '../pages/app-shell';
import { SettingsPage } from '../pages/settings-page';
import { COMPONENTS, SystemPage } from '../pages/system-page';

const STATES = ['ok', 'starting', 'missing', 'error'];

/** Pages that are still empty-state placeholders, with the line each one shows (Providers has its own spec). */
const PLACEHOLDERS = { agents: 'No agents yet', traces: 'No traces yet' } as const;

describe.skipIf(!shouldRunE2e())('Agent Desk in Chromium against agentdesk serve', () => {
  let core: ServedCore;
  let ui: UiSession | undefined;
  let browser: Browser;
  let page: Page;
  let shell: AppShell;
  let requests: string[] = [];
  let pageErrors: string[] = [];

  beforeAll(async () => {
    assertPrerequisites();
    core = await startServe();
    // The first test opens the app itself (it checks what opening does).
    ui = await openUi();
    ({ browser, page, shell, requests, pageErrors } = ui);
  });

  afterAll(async () => {
    await ui?.close();
    await core?.stop();
  });

  it('opens with the title "Agent Desk" and takes the token out of the address bar', async () => {
    await shell.open(core.url);
    expect(await page.title()).toBe('Agent Desk');
    expect(page.url()).not.toContain('token=');
    expect(await page.evaluate('sessionStorage.getItem("agentdesk.token")')).toBe(core.token);
  });

  it('navigates to every page, marking the open one with aria-current', async () => {
    for (const id of PAGE_IDS) {
      const root = await shell.goTo(id);
      expect(await shell.currentNavId()).toBe(id);
      expect(page.url()).toContain(`#/${id}`);
      // The empty state shows once the page's first load has answered.
      if (id in PLACEHOLDERS)
        await expect
          .poll(() => root.innerText(), { timeout: 10_000 })
          .toContain(PLACEHOLDERS[id as keyof typeof PLACEHOLDERS]);
    }
  });

  it('fits the window on every page (one scrollbar, a still sidebar) and opens each page at its top', async () => {
    // A short window, so every page's content runs past the fold of its scroll box.
    await page.setViewportSize({ width: 1200, height: 400 });
    try {
      for (const id of PAGE_IDS) {
        await shell.goTo(id);
        // Nothing, not even a visually hidden label below the fold, makes the document taller or wider
        // than the window (a second scrollbar, and the sidebar sliding with it).
        await expect
          .poll(() =>
            page.evaluate<number>(
              'document.documentElement.scrollHeight - document.documentElement.clientHeight',
            ),
          )
          .toBe(0);
        expect(
          await page.evaluate<number>(
            'document.documentElement.scrollWidth - document.documentElement.clientWidth',
          ),
        ).toBe(0);
      }
      // A page scrolled down, then another page: it starts at its top.
      await shell.goTo('settings');
      const top = () => page.evaluate<number>(`document.querySelector('.main').scrollTop`);
      await page.evaluate(`document.querySelector('.main').scrollTo({ top: 10000 })`);
      await expect.poll(top).toBeGreaterThan(100);
      await shell.goTo('system');
      expect(await top()).toBe(0);
    } finally {
      await page.setViewportSize({ width: 1200, height: 800 });
    }
  });

  it('lists all five components with a real state, detail and, when not ok, a fix', async () => {
    const system = new SystemPage(shell);
    await system.open();
    for (const name of COMPONENTS) {
      const state = await system.state(name);
      expect(STATES, `state of ${name}`).toContain(state);
      expect((await system.badgeText(name)).trim().length).toBeGreaterThan(0);
    }
    const report = await callCore<HealthReport>(core, 'system.health');
    for (const c of report.components) {
      if (c.state !== 'ok' && c.fix !== '') {
        // The fix shown is the core's own line; the UI splits it into prose and commands (backticks
        // become code, layout may add whitespace), so compare without backticks and whitespace.
        const shown = (await system.fix(c.name).innerText()).replace(/\s+/g, '');
        expect(shown).toContain(c.fix.replace(/[`\s]/g, ''));
      }
    }
  });

  it('shows the same Docker state as the core reports over HTTP', async () => {
    const system = new SystemPage(shell);
    await system.open();
    // The UI follows health.changed; allow it to catch up with a report the core made a moment ago.
    await expect
      .poll(
        async () => {
          const report = await callCore<HealthReport>(core, 'system.health');
          const fromCore = report.components.find((c) => c.name === 'docker')?.state;
          return (await system.state('docker')) === fromCore
            ? 'agree'
            : `ui=${await system.state('docker')} core=${fromCore}`;
        },
        { timeout: 20_000, interval: 500 },
      )
      .toBe('agree');
  });

  it('"Check again" makes the core probe again', async () => {
    const system = new SystemPage(shell);
    await system.open();
    const before = (await callCore<HealthReport>(core, 'system.health')).checked_at;
    await new Promise((r) => setTimeout(r, 20));
    await system.checkAgain();
    const after = (await callCore<HealthReport>(core, 'system.health')).checked_at;
    expect(after).toBeGreaterThan(before);
    for (const name of COMPONENTS) expect(STATES).toContain(await system.state(name));
  });

  it('shows the core’s version, mode and data directory', async () => {
    const system = new SystemPage(shell);
    await system.open();
    const info = await callCore<CoreInfo>(core, 'system.info');
    await system.coreVersion().waitFor();
    expect(await system.coreVersion().innerText()).toBe(info.version);
    expect(await system.coreMode()).toBe('headless');
    expect(await system.coreDataDir().innerText()).toBe(info.data_dir);
  });

  it('keeps a settings change after a reload, and the core agrees', async () => {
    const settings = new SettingsPage(shell);
    await settings.open();
    const start = await callCore<Settings>(core, 'settings.get');
    const theme = start.theme === 'dark' ? 'light' : 'dark';
    const days = String(start.trace_retention_days === 45 ? 46 : 45);
    await settings.choose('theme', theme);
    await settings.fill('trace_retention_days', days);
    await settings.setSwitch('start_hidden', !start.start_hidden);
    await settings.save();
    expect(await settings.status()).toBe('Saved');

    await page.reload();
    await settings.open();
    expect(await settings.chosen('theme')).toBe(theme);
    expect(await settings.inputValue('trace_retention_days')).toBe(days);
    expect(await settings.field('start_hidden').isChecked()).toBe(!start.start_hidden);
    expect(await shell.themeAttribute()).toBe(theme);

    const after = await callCore<Settings>(core, 'settings.get');
    expect(after).toMatchObject({
      theme,
      trace_retention_days: Number(days),
      start_hidden: !start.start_hidden,
    });
  });

  it('shows the core’s error under the field it names and changes nothing', async () => {
    const settings = new SettingsPage(shell);
    await settings.open();
    const before = await callCore<Settings>(core, 'settings.get');
    await settings.fill('trace_retention_days', '0');
    await settings.save();
    await settings.fieldError('trace_retention_days').waitFor({ state: 'visible' });
    // The range, in words, beside the field and in the message — never the validator's own text.
    const said = await settings.fieldError('trace_retention_days').innerText();
    expect(said).toBe('Must be a whole number from 1 to 3,650 (days)');
    expect(await page.locator('#settings-trace_retention_days-hint').innerText()).toContain('1–3,650 days');
    expect(await page.locator('#settings-default_rpm-hint').innerText()).toContain('1–100,000');
    expect(await settings.field('trace_retention_days').getAttribute('aria-invalid')).toBe('true');
    expect(await callCore<Settings>(core, 'settings.get')).toEqual(before);
  });

  it('shows the LiteLLM command read-only in the browser, saying where it can be changed', async () => {
    const settings = new SettingsPage(shell);
    await settings.open();
    const field = settings.field('litellm_command');
    expect(await field.getAttribute('readonly')).not.toBeNull();
    const hint = await page.locator('#settings-litellm_command-hint').innerText();
    expect(hint).toContain('desktop app');
    expect(hint).toContain('agentdesk settings set litellm_command PATH');
    // Help text shows commands as code, never as literal backticks.
    const help = await page.getByTestId('settings-form').innerText();
    expect(help).not.toContain('`');
    expect(await page.locator('#settings-build_images_on_demand-hint code').innerText()).toBe(
      'agentdesk images import',
    );
    // The API refuses it too (the UI is not the only door).
    const r = await fetch(`${core.origin}/api/settings/update`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${core.token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ litellm_command: '/bin/true' }),
    });
    expect(r.status).toBe(403);
    expect((await callCore<Settings>(core, 'settings.get')).litellm_command).toBeNull();
  });

  it('without the token, says to open the URL printed by agentdesk serve', async () => {
    const fresh = await newRecordingContext(browser);
    try {
      const bare = new AppShell(await fresh.context.newPage());
      await bare.openWithoutToken(`${core.origin}/`);
      const text = (await bare.noTokenScreen().innerText()).replace(/\s+/g, ' ');
      expect(text).toContain('Open the URL printed by agentdesk serve');
      expect(await bare.navItem('agents').count()).toBe(0);
      requests.push(...fresh.requests);
    } finally {
      await fresh.context.close();
    }
  });

  it('shows the lost-connection banner when the core goes away', async () => {
    await shell.goTo('system');
    expect(await shell.connectionBanner().count()).toBe(0);
    await core.stop();
    await shell.connectionBanner().waitFor({ state: 'visible', timeout: 30_000 });
    expect(await shell.connectionBanner().innerText()).toContain('Lost connection to the Agent Desk core');
    // The page keeps what it showed instead of failing.
    expect(await page.getByTestId('component-docker').count()).toBe(1);
  });

  it('never sent a request to a host other than 127.0.0.1, and threw no page errors', () => {
    expect(requests.length).toBeGreaterThan(0);
    expect(foreignRequests(requests)).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
