// E2E: named engines in Chromium against `agentdesk serve`: add a TLS engine nothing answers for, see it unhealthy
// with its fix (its own row and its health component), the client key never in the page, then remove it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { EngineList } from '../../contract/engines';
import type { HealthReport } from '../../contract/health';
import { closedPort, testPems } from '../../test/engines';
import { foreignRequests } from '../fixtures/browser';
import { callCore } from '../fixtures/core-api';
import { assertPrerequisites, shouldRunE2e } from '../fixtures/paths';
import { startServe } from '../fixtures/serve';
import type { ServedCore } from '../fixtures/serve';
import { openUi } from '../fixtures/ui';
import type { UiSession } from '../fixtures/ui';
import { waitUntil } from '../fixtures/wait';
import type { AppShell } from '../pages/app-shell';
import { SystemPage } from '../pages/system-page';

describe.skipIf(!shouldRunE2e())('named engines in Chromium against agentdesk serve', () => {
  let core: ServedCore;
  let ui: UiSession | undefined;
  let page: Page;
  let shell: AppShell;
  let requests: string[] = [];
  let pageErrors: string[] = [];
  let port: number;

  beforeAll(async () => {
    assertPrerequisites();
    port = await closedPort();
    core = await startServe();
    ui = await openUi({ url: core.url });
    ({ page, requests, pageErrors, shell } = ui);
  }, 120_000);

  afterAll(async () => {
    await ui?.close();
    await core?.stop();
  });

  it('adds a TLS engine that does not answer and shows it unhealthy with its fix', async () => {
    const system = new SystemPage(shell);
    await system.open();
    await page.getByTestId('engines-empty').waitFor({ state: 'visible' });
    await page.getByTestId('engine-add').click();
    await page.getByTestId('engine-kind').selectOption('docker-tls');
    await page.getByTestId('engine-id').fill('lab');
    await page.getByTestId('engine-name').fill('Lab box');
    await page.getByTestId('engine-address').fill(`127.0.0.1:${port}`);
    const pems = testPems();
    await page.getByTestId('engine-ca').fill(pems.caPem);
    await page.getByTestId('engine-cert').fill(pems.certPem);
    await page.getByTestId('engine-key').fill(pems.keyPem);
    await page.getByTestId('engine-add-submit').click();

    const row = page.getByTestId('engine-lab');
    await row.waitFor({ state: 'visible', timeout: 15_000 });
    await waitUntil(
      async () => ['missing', 'error'].includes((await row.getAttribute('data-state')) ?? ''),
      10_000,
      'the engine to show unhealthy',
    );
    const { engines } = await callCore<EngineList>(core, 'engines.list');
    expect(engines.map((e) => e.id)).toEqual(['lab']);
    const fix = engines[0]!.health.fix;
    expect(fix).not.toBe('');
    expect(await page.getByTestId('engine-lab-fix').innerText()).toContain(fix);

    // The same engine is a health component, with the same fix.
    const component = page.getByTestId('component-engine:lab');
    await component.waitFor({ state: 'visible', timeout: 10_000 });
    expect(['missing', 'error']).toContain(await system.state('engine:lab'));
    const report = await callCore<HealthReport>(core, 'system.health');
    expect(report.components.find((c) => c.name === 'engine:lab')?.fix).toBe(fix);
    expect((await system.fix('engine:lab').innerText()).replace(/\s+/g, '')).toContain(
      fix.replace(/[`\s]/g, ''),
    );

    // The client key went in, and never comes back out: not in the page, not in what the core lists.
    const keyBody = pems.keyPem.split('\n')[1]!;
    await page.getByTestId('engine-add').waitFor({ state: 'visible' });
    expect(await page.content()).not.toContain(keyBody);
    expect(JSON.stringify(engines)).not.toMatch(/PRIVATE|BEGIN/);
  });

  it('removes the engine, and its health component goes with it', async () => {
    await page.getByTestId('engine-lab-remove').click();
    await page.getByTestId('engines-empty').waitFor({ state: 'visible', timeout: 10_000 });
    expect((await callCore<EngineList>(core, 'engines.list')).engines).toEqual([]);
    await waitUntil(
      async () => (await page.getByTestId('component-engine:lab').count()) === 0,
      10_000,
      'the engine component to go',
    );
    expect(foreignRequests(requests)).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
