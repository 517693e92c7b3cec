// The UI never waits for LiteLLM: the app shell in Chromium is usable while a real LiteLLM is held in `starting`.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LlmStatus } from '../../../contract/llm';
import { until } from '../../../test/agents';
import { ScriptedUpstream } from '../../../test/fixtures/scripted-upstream';
import { litellmInstalled } from '../../../test/llm-stack';
import { skipUnlessReal } from '../../../test/real';
import { appRoot, rendererDir } from '../../platform/paths';
import { resolveLitellmCommand } from '../../services/llm/litellm/command';
import { call } from '../dispatch';
import { serve } from '../../cli/serve';
import type { Served } from '../../cli/serve';
import { testOptions } from '../../../test/app-options';

const CHROMIUM = process.env.AGENTDESK_CHROMIUM ?? '/usr/bin/chromium';
const built = fs.existsSync(path.join(rendererDir(testOptions().paths), 'index.html'));
const skip = skipUnlessReal(
  fs.existsSync(CHROMIUM) && litellmInstalled() && built,
  'Chromium, LiteLLM and the built renderer (npm run build)',
);

describe.skipIf(skip)('the UI does not wait for LiteLLM', () => {
  let home: string;
  let served: Served;
  let upstream: ScriptedUpstream;
  let browser: Browser;
  let gate: string;
  const status = () => call(served.core.dispatcher, 'llm', 'status', {});

  beforeAll(async () => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-test-ui-llm-'));
    gate = path.join(home, 'litellm-may-start');
    // The real LiteLLM, started only once the gate file exists: "still starting" for as long as the test wants.
    const real = resolveLitellmCommand({
      setting: null,
      appRoot: appRoot(),
      dataDir: home,
      env: process.env,
    })!.command;
    const held = path.join(home, 'held-litellm.sh');
    fs.writeFileSync(held, `#!/bin/sh\nwhile [ ! -e '${gate}' ]; do sleep 0.1; done\nexec '${real}' "$@"\n`, {
      mode: 0o755,
    });
    upstream = await new ScriptedUpstream({ models: ['gpt-test-mini'] }).start();
    served = await serve({ home, app: testOptions(), port: 0, healthIntervalMs: 0 });
    await call(served.core.dispatcher, 'settings', 'update', {
      onboarding_done: true,
      litellm_command: held,
    });
    await call(served.core.dispatcher, 'providers', 'add', {
      type: 'openai-compatible',
      name: 'Scripted',
      base_url: upstream.v1,
    });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--no-first-run',
      ],
    });
  });
  afterAll(async () => {
    fs.writeFileSync(gate, '');
    await browser?.close();
    await served?.stop();
    await upstream?.stop();
    if (home) fs.rmSync(home, { recursive: true, force: true });
  });

  it('shows the shell, pages and the provider while LiteLLM is starting, then LiteLLM ready without a reload', async () => {
    // Adding the provider probes its models, then starts LiteLLM (held at the gate from then on).
    await until(status, (s: LlmStatus) => s.litellm.state === 'starting', 60_000, 'LiteLLM starting');
    const page = await browser.newPage();
    await page.goto(served.openUrl);
    await page.getByTestId('sidebar-core').waitFor({ state: 'visible' });
    await page.getByTestId('nav-providers').click();
    await page.getByTestId('page-providers').getByText('Scripted').first().waitFor({ state: 'visible' });
    await page.getByTestId('nav-system').click();
    const state = page.getByTestId('litellm');
    await state.waitFor({ state: 'visible' });
    expect(await state.getAttribute('data-state')).toBe('starting');
    await page.getByTestId('nav-agents').click();
    await page.getByTestId('page-agents').waitFor({ state: 'visible' });
    // Everything above happened while LiteLLM was still starting.
    expect((await status()).litellm.state).toBe('starting');

    fs.writeFileSync(gate, '');
    await until(status, (s: LlmStatus) => s.litellm.state === 'ready', 120_000, 'LiteLLM ready');
    await page.getByTestId('nav-system').click();
    await page
      .locator('[data-testid="litellm"][data-state="ready"]')
      .waitFor({ state: 'visible', timeout: 30_000 });
    await page.close();
  });
});
