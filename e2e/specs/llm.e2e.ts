// E2E: the System view's LiteLLM/gateway panel and "Test model" in Chromium against `agentdesk serve`, the real LiteLLM and keychain.
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { AsyncEntry } from '@napi-rs/keyring';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { LlmStatus } from '../../contract/llm';
import type { Provider } from '../../contract/providers';
import { keychainAvailable } from '../../test/keychain';
import { litellmInstalled } from '../../test/llm-stack';
import { skipUnlessReal } from '../../test/real';
import { withModelApis } from '../../test/fixtures/scripted-llm';
import { ScriptedUpstream } from '../../test/fixtures/scripted-upstream';
import { foreignRequests } from '../fixtures/browser';
import { callCore } from '../fixtures/core-api';
import { assertPrerequisites, shouldRunE2e } from '../fixtures/paths';
import { startServe } from '../fixtures/serve';
import { waitUntil } from '../fixtures/wait';
import type { ServedCore } from '../fixtures/serve';
import { openUi } from '../fixtures/ui';
import type { UiSession } from '../fixtures/ui';
import { SystemPage } from '../pages/system-page';

/** The key the scripted upstream accepts: it must reach the upstream and never the page. */
const KEY = `sk-e2e-llm-${randomBytes(12).toString('hex')}`;
/** Unique per run, so the keychain entry `provider:<id>` never collides with another run. */
const PROVIDER_ID = `agentdesk-test-llm-${randomBytes(3).toString('hex')}`;
const UPSTREAM_MODELS = ['e2e-llm-mini', 'e2e-llm-large'];
const SERVED = UPSTREAM_MODELS.map((m) => `${PROVIDER_ID}/${m}`);

const keychain = await keychainAvailable();
const litellm = litellmInstalled();
const skip =
  !shouldRunE2e() ||
  skipUnlessReal(keychain, 'the OS keychain (run inside scripts/with-keyring.sh)') ||
  skipUnlessReal(litellm, 'LiteLLM (.venv/litellm, from scripts/bootstrap-linux.sh)');

describe.skipIf(skip)('System view: LiteLLM & gateway panel and Test model, against the real LiteLLM', () => {
  let core: ServedCore;
  let upstream: ScriptedUpstream;
  let ui: UiSession | undefined;
  let page: Page;
  let system: SystemPage;
  let requests: string[] = [];
  let pageErrors: string[] = [];
  const consoleLines: string[] = [];

  beforeAll(async () => {
    assertPrerequisites();
    if (!keychain)
      throw new Error('No usable Secret Service: run the e2e suite inside scripts/with-keyring.sh');
    if (!litellm) throw new Error('LiteLLM is not installed: run scripts/bootstrap-linux.sh');
    upstream = await withModelApis(new ScriptedUpstream({ key: KEY, models: UPSTREAM_MODELS })).start();
    core = await startServe();
    ui = await openUi({ url: core.url, listen: (p) => p.on('console', (m) => consoleLines.push(m.text())) });
    ({ page, requests, pageErrors } = ui);
    const shell = ui.shell;
    system = new SystemPage(shell);
    await system.open();
  });

  afterAll(async () => {
    await ui?.close();
    await core?.stop(20_000);
    await upstream?.stop();
    if (keychain)
      await new AsyncEntry('agentdesk', `provider:${PROVIDER_ID}`, { linux: { store: 'secret-service' } })
        .deletePassword()
        .catch(() => undefined);
  });

  it('shows LiteLLM idle with no provider, the gateway listening, and Test model disabled with the reason', async () => {
    await system.llmPanel().waitFor({ state: 'visible' });
    await system.waitForLitellm('idle', 30_000);
    expect(await system.llmFact('litellm-detail').innerText()).toContain('no provider has models');
    expect(await system.modelCount()).toBe(0);
    expect(await system.gatewayState()).toBe('listening');
    const status = await callCore<LlmStatus>(core, 'llm.status');
    expect(await system.llmFact('gateway-url').innerText()).toBe(status.gateway.url);
    expect(await system.testModelSelect().isDisabled()).toBe(true);
    expect(await system.testModelButton().isDisabled()).toBe(true);
    expect(await system.testModelReason().innerText()).toContain('Providers page');
  });

  it('follows LiteLLM from starting to ready live, without reloading the page, once a provider is added', async () => {
    // A mark on this document: it is gone if the page reloads or navigates away.
    await page.evaluate('window.__sameDocument = true');
    await system.recordLitellmStates();
    const added = await callCore<Provider>(core, 'providers.add', {
      type: 'openai-compatible',
      id: PROVIDER_ID,
      name: 'LLM E2E',
      base_url: upstream.v1,
      key: KEY,
    });
    expect(added.key).toMatchObject({ state: 'set' });

    await system.waitForLitellm('ready', 150_000);
    const seen = await system.seenLitellmStates();
    expect(seen).toContain('starting');
    expect(seen.indexOf('starting')).toBeLessThan(seen.lastIndexOf('ready'));
    expect(await page.evaluate<boolean>('window.__sameDocument === true')).toBe(true);

    const status = await callCore<LlmStatus>(core, 'llm.status');
    expect(status.litellm.port).not.toBeNull();
    expect(await system.llmFact('litellm-port').innerText()).toBe(`127.0.0.1:${status.litellm.port}`);
    expect(await system.llmFact('litellm-pid').innerText()).toBe(String(status.litellm.pid));
    expect(await system.modelCount()).toBe(SERVED.length);
    expect((await system.servedModels()).sort()).toEqual([...SERVED].sort());
    expect(await system.llmFact('litellm-config-file').innerText()).toBe(status.litellm.config_file);
    expect(await system.llmFact('litellm-log-file').innerText()).toBe(status.litellm.log_file);
  });

  it('ticks the uptime while ready', async () => {
    const first = await system.llmFact('litellm-uptime').innerText();
    expect(first).toMatch(/^\d+ (s|min)/);
    await expect
      .poll(() => system.llmFact('litellm-uptime').innerText(), { timeout: 10_000 })
      .not.toBe(first);
  });

  it('tests a model through LiteLLM and shows the scripted reply, the latency and the tokens', async () => {
    expect(await system.testModelButton().isEnabled()).toBe(true);
    const outcome = await system.testModel(SERVED[0]!, 'Say hello to the desk');
    expect(outcome).toBe('passed');
    expect(await page.getByTestId('test-model-reply').innerText()).toContain(
      `Hello from ${UPSTREAM_MODELS[0]}`,
    );
    const latency = page.getByTestId('test-model-latency');
    expect(await latency.innerText()).toMatch(/^\d+ ms$/);
    expect(Number(await latency.getAttribute('data-ms'))).toBeGreaterThanOrEqual(0);
    expect(await page.getByTestId('test-model-tokens').innerText()).toMatch(/tokens \d+ in · \d+ out/);
    // The call went through LiteLLM to the upstream with the provider key; the page never saw the key.
    const chat = upstream.requestsTo('/v1/chat/completions');
    expect(
      chat.some((r) => r.headers.authorization === `Bearer ${KEY}` && r.body.includes('Say hello')),
    ).toBe(true);
    expect(await page.content()).not.toContain(KEY);
  });

  it('shows an upstream error as a failed test with its HTTP status', async () => {
    const outcome = await system.testModel(SERVED[1]!, 'fail please #status=400');
    expect(outcome).toBe('failed');
    expect(await page.getByTestId('test-model-http-status').getAttribute('data-status')).toMatch(
      /^[45]\d\d$/,
    );
    expect((await page.getByTestId('test-model-error').innerText()).length).toBeGreaterThan(0);
  });

  it('shows the lines LiteLLM wrote to stderr', async () => {
    await expect
      .poll(async () => Number(await system.stderr().getAttribute('data-lines')))
      .toBeGreaterThan(0);
    const lines = (await system.stderrText()).split('\n').filter((l) => l.trim() !== '');
    expect(lines.length).toBeGreaterThan(0);
    // They are LiteLLM's own lines: each one is also in its log file (written as `<time> [<port>] stderr: <line>`).
    const status = await callCore<LlmStatus>(core, 'llm.status');
    const log = await readFile(status.litellm.log_file, 'utf8');
    for (const line of lines) expect(log).toContain(`stderr: ${line}`);
    expect(lines.join('\n')).not.toContain(KEY);
  });

  it('clears a Test model result when LiteLLM restarts: it tested a process that is gone', async () => {
    expect(await system.testModel(SERVED[0]!, 'Say hello again')).toBe('passed');
    const before = await callCore<LlmStatus>(core, 'llm.status');
    process.kill(before.litellm.pid!, 'SIGKILL');
    await waitUntil(async () => (await system.testOutcome()) === 'none', 30_000, 'the result to be cleared');
    // It comes back on its own, with a new process; the result stays cleared until the next test.
    await waitUntil(
      async () => {
        const now = await callCore<LlmStatus>(core, 'llm.status');
        return now.litellm.state === 'ready' && now.litellm.pid !== before.litellm.pid;
      },
      120_000,
      'LiteLLM to be restarted',
    );
    await system.waitForLitellm('ready');
    expect(await system.testOutcome()).toBe('none');
    expect(await system.testModel(SERVED[0]!, 'Say hello after the restart')).toBe('passed');
  });

  it('never sent a request to a host other than 127.0.0.1, and threw no page errors', () => {
    expect(requests.length).toBeGreaterThan(0);
    expect(foreignRequests(requests)).toEqual([]);
    expect(pageErrors).toEqual([]);
    expect(consoleLines.join('\n')).not.toContain(KEY);
  });
});
