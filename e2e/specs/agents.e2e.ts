// E2E: the Agents page in Chromium against `agentdesk serve`, real Docker, the real LiteLLM and keychain, a scripted upstream.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { AsyncEntry } from '@napi-rs/keyring';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { Agent } from '../../contract/agents';
import type { AgentLimits } from '../../contract/usage';
import type { LlmStatus } from '../../contract/llm';
import type { Provider } from '../../contract/providers';
import { ensureRuntimeBundle, runtimeReachable } from '../../test/agents';
import { ensureBaseImage } from '../../test/base-image';
import { withModelApis } from '../../test/fixtures/scripted-llm';
import { ScriptedUpstream } from '../../test/fixtures/scripted-upstream';
import { keychainAvailable } from '../../test/keychain';
import { litellmInstalled } from '../../test/llm-stack';
import { skipUnlessReal } from '../../test/real';
import { foreignRequests } from '../fixtures/browser';
import { coloredShare, loadedFontFamilies } from '../fixtures/glyphs';
import { callCore } from '../fixtures/core-api';
import { assertPrerequisites, shouldRunE2e } from '../fixtures/paths';
import { startServe } from '../fixtures/serve';
import type { ServedCore } from '../fixtures/serve';
import { waitUntil } from '../fixtures/wait';
import { openUi } from '../fixtures/ui';
import type { UiSession } from '../fixtures/ui';
import { AgentsPage } from '../pages/agents-page';
import { AppShell } from '../pages/app-shell';
import { ProvidersPage } from '../pages/providers-page';

const RUN = randomBytes(3).toString('hex');
/** The key the scripted upstream accepts: it must reach the upstream and never the page. */
const KEY = `sk-e2e-agents-${randomBytes(12).toString('hex')}`;
const PROVIDER_NAME = `Agents E2E ${RUN}`;
const UPSTREAM_MODELS = ['e2e-agent-mini', 'e2e-agent-large'];
/** Agent names whose slugs give containers `agentdesk-test-…-<run>`. */
const FOX = { name: `Test Fox ${RUN}`, slug: `test-fox-${RUN}`, emoji: '🦊' };
const UNICORN = { name: `Test Unicorn ${RUN}`, slug: `test-unicorn-${RUN}`, emoji: '🦄', unified: '1f984' };
const DEPLOY_ORDER = ['creating', 'provisioning', 'starting', 'verifying', 'running'];

const keychain = await keychainAvailable();
const litellm = litellmInstalled();
const docker = runtimeReachable('docker');
const skip =
  !shouldRunE2e() ||
  skipUnlessReal(keychain, 'the OS keychain (run inside scripts/with-keyring.sh)') ||
  skipUnlessReal(litellm, 'LiteLLM (.venv/litellm, from scripts/bootstrap-linux.sh)') ||
  skipUnlessReal(docker, 'Docker');

/** Removes every container this run may have left: live and archived names of both agents. */
function removeContainers(): void {
  const names = execFileSync('docker', ['ps', '-a', '--format', '{{.Names}}'], { encoding: 'utf8' })
    .split('\n')
    .filter((n) => n.includes(`-${RUN}`) && n.startsWith('agentdesk-'));
  if (names.length > 0) execFileSync('docker', ['rm', '-f', ...names], { stdio: 'ignore' });
}

function containerExists(name: string): boolean {
  try {
    execFileSync('docker', ['inspect', name], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe.skipIf(skip)(
  'Agents page: create with an emoji, deploy live, stop/start, archive, restore, purge',
  () => {
    let core: ServedCore;
    let upstream: ScriptedUpstream;
    let ui: UiSession | undefined;
    let page: Page;
    let agents: AgentsPage;
    let providerId = '';
    let model = '';
    let requests: string[] = [];
    let pageErrors: string[] = [];
    const consoleLines: string[] = [];

    const agentBySlug = async (slug: string): Promise<Agent | undefined> =>
      (await callCore<{ agents: Agent[] }>(core, 'agents.list')).agents.find((a) => a.slug === slug);

    beforeAll(async () => {
      assertPrerequisites();
      if (!keychain)
        throw new Error('No usable Secret Service: run the e2e suite inside scripts/with-keyring.sh');
      if (!litellm) throw new Error('LiteLLM is not installed: run scripts/bootstrap-linux.sh');
      if (!docker) throw new Error('Docker is not reachable: run scripts/bootstrap-linux.sh');
      await ensureBaseImage(['docker']);
      ensureRuntimeBundle();
      upstream = await withModelApis(new ScriptedUpstream({ key: KEY, models: UPSTREAM_MODELS })).start();
      core = await startServe();
      await callCore(core, 'settings.update', { container_runtime: 'docker' });
      ui = await openUi({
        url: core.url,
        listen: (p) => p.on('console', (m) => consoleLines.push(`${m.type()}: ${m.text()}`)),
      });
      ({ page, requests, pageErrors } = ui);
      const shell = ui.shell;
      agents = new AgentsPage(shell);
    }, 1_800_000);

    // A failed step may leave a modal dialog open, which makes the rest of the page inert: close it.
    afterEach(async () => {
      for (let i = 0; i < 3 && (await page.locator('dialog[open]').count()) > 0; i++)
        await page.keyboard.press('Escape');
    });

    afterAll(async () => {
      if (core) {
        const left = await callCore<{ agents: Agent[] }>(core, 'agents.list').catch(() => ({ agents: [] }));
        for (const a of left.agents)
          await callCore(core, 'agents.purge', { id: a.id }).catch(() => undefined);
      }
      await ui?.close();
      await core?.stop(20_000);
      await upstream?.stop();
      if (docker) removeContainers();
      if (keychain && providerId)
        await new AsyncEntry('agentdesk', `provider:${providerId}`, { linux: { store: 'secret-service' } })
          .deletePassword()
          .catch(() => undefined);
    });

    it('says why no model can be picked before any provider, with a link to Providers', async () => {
      await agents.open();
      expect(await page.getByTestId('agent-list').innerText()).toContain('No agents yet');
      await page.getByTestId('new-agent').click();
      await agents.createDialog().waitFor({ state: 'visible' });
      const notice = agents.createDialog().getByTestId('agent-no-models');
      await notice.waitFor({ state: 'visible' });
      // "Reading the models LiteLLM serves…" until `llm.status` answers, then the reason.
      await expect.poll(() => notice.innerText(), { timeout: 30_000 }).toContain('no provider has models');
      expect(await agents.createDialog().getByTestId('create-agent-submit').isDisabled()).toBe(true);
      await notice.getByTestId('agent-no-models-link').click();
      await page.getByTestId('page-providers').waitFor({ state: 'visible' });
    });

    it('adds a provider on the Providers page, and LiteLLM serves its models', async () => {
      const providers = new ProvidersPage(new AppShell(page));
      await providers.open();
      await providers.fillAddForm('openai-compatible', {
        name: PROVIDER_NAME,
        baseUrl: upstream.v1,
        key: KEY,
      });
      await providers.save();
      await waitUntil(
        async () =>
          (await callCore<Provider[]>(core, 'providers.list')).some((p) => p.name === PROVIDER_NAME),
        30_000,
        'the provider to be added',
      );
      providerId = (await callCore<Provider[]>(core, 'providers.list')).find(
        (p) => p.name === PROVIDER_NAME,
      )!.id;
      model = `${providerId}/${UPSTREAM_MODELS[0]}`;
      await waitUntil(
        async () => {
          const s = await callCore<LlmStatus>(core, 'llm.status');
          return s.litellm.state === 'ready' && s.litellm.models.includes(model);
        },
        150_000,
        'LiteLLM to serve the provider’s models',
        500,
      );
    });

    it('creates an agent with a keyboard quick-picked emoji and follows the phases to running live', async () => {
      // Settings name Incus for new agents; this one is put in Docker from the dialog.
      await callCore(core, 'settings.update', { container_runtime: 'incus' });
      await agents.open();
      await agents.openCreate();
      const runtime = (kind: string) => agents.createDialog().getByTestId(`agent-runtime-${kind}`);
      await waitUntil(() => runtime('incus').isChecked(), 30_000, 'Incus, the Settings default, checked');
      expect(await page.locator('#agent-runtime-hint').innerText()).toMatch(/Incus, the default in Settings/);
      await runtime('docker').check();
      // A name must hold a letter or a digit (in any script): refused as it is typed.
      await agents.fillName('!!!');
      const nameError = agents.createDialog().getByTestId('agent-name-error');
      await nameError.waitFor();
      expect(await nameError.innerText()).toBe('The name needs at least one letter or digit');
      await agents.fillName(FOX.name);
      await nameError.waitFor({ state: 'detached' });
      expect(await agents.slugLine().innerText()).toBe(`agentdesk-${FOX.slug}`);
      expect(await agents.chosenEmoji()).toBe('🤖'); // the harness's default
      // Every harness is offered with its emoji; picking one brings its emoji and memory default.
      expect(await agents.harnessChoices()).toEqual([
        '🤖 Agent Desk runtime',
        '✳️ Claude Code',
        '⌨️ Codex',
        '🦞 OpenClaw',
      ]);
      await agents.selectHarness('claude-code');
      expect(await agents.chosenEmoji()).toBe('✳️');
      expect(await agents.memoryValue()).toBe('2048');
      await agents.selectHarness('builtin');
      expect(await agents.chosenEmoji()).toBe('🤖');
      expect(await agents.memoryValue()).toBe('1024');
      // The caption under the emoji says "default of …" once.
      const caption = await agents.createDialog().getByTestId('agent-emoji-note').innerText();
      expect(caption.match(/default of/g)).toHaveLength(1);
      await agents.quickPickByKeyboard(FOX.emoji);
      expect(await agents.chosenEmoji()).toBe(FOX.emoji);
      // Drawn in color by the bundled emoji font, on a machine that has no emoji font of its own.
      const preview = agents.createDialog().getByTestId('agent-emoji-value');
      await waitUntil(
        async () => (await loadedFontFamilies(page)).includes('Twemoji'),
        30_000,
        'the bundled emoji font loaded',
      );
      expect(await coloredShare(page, preview, 'emoji-preview-fox')).toBeGreaterThan(0.05);
      await agents.selectModel(model);
      await page.evaluate('window.__sameDocument = true');
      await agents.recordDeployPhases(FOX.slug);
      await agents.submitCreate();
      const outcome = await agents.waitForDeployEnd(FOX.slug);
      const record = await agentBySlug(FOX.slug);
      expect(outcome, `${record?.phase_reason ?? ''}\n${record?.failed_log.join('\n') ?? ''}`).toBe(
        'running',
      );

      // The first phase shown is `creating`, or a later one when its push beat the `agents.create`
      // answer; then at least one more step before `running`, only ever forward in the deploy order.
      const seen = await agents.seenDeployPhases();
      expect(seen.at(-1)).toBe('running');
      expect(seen.length).toBeGreaterThanOrEqual(3);
      const positions = seen.map((p) => DEPLOY_ORDER.indexOf(p));
      expect(positions.every((p, i) => p >= 0 && (i === 0 || p > positions[i - 1]!))).toBe(true);
      expect(await page.evaluate<boolean>('window.__sameDocument === true')).toBe(true);

      expect(record).toMatchObject({
        emoji: FOX.emoji,
        model,
        runtime: 'docker',
        phase: 'running',
        container: `agentdesk-${FOX.slug}`,
      });
      expect(containerExists(`agentdesk-${FOX.slug}`)).toBe(true);
      await agents.closeDeployDialog();
      expect(await agents.phase(FOX.slug)).toBe('running');
      expect(await page.getByTestId(`agent-emoji-${FOX.slug}`).innerText()).toBe(FOX.emoji);
      expect(await page.getByTestId(`agent-usage-${FOX.slug}`).getAttribute('title')).toMatch(
        /No model call today/,
      );
      // The row's emoji, in color too (after the usage check, which must see the first moments).
      expect(
        await coloredShare(page, page.getByTestId(`agent-emoji-${FOX.slug}`), 'emoji-agent-row'),
      ).toBeGreaterThan(0.05);
      // Settings' runtime back to Docker, for the agents that follow.
      await callCore(core, 'settings.update', { container_runtime: 'docker' });
    });

    it('creates a second agent with an emoji found through the full picker’s search', async () => {
      await agents.openCreate();
      await agents.fillName(UNICORN.name);
      // Escape closes the picker only, and gives focus back to "More…".
      await agents.openFullPicker();
      await page.keyboard.press('Escape');
      await agents.createDialog().getByTestId('emoji-picker').waitFor({ state: 'detached' });
      expect(await agents.createDialog().isVisible()).toBe(true);
      await expect
        .poll(() => page.evaluate<string | null>(`document.activeElement?.getAttribute('data-testid')`))
        .toBe('emoji-more');
      await agents.openFullPicker();
      // Its stylesheet applies under the app's CSP (no inline styles allowed).
      expect(await agents.fullPickerDisplay()).toBe('flex');
      const picker = agents.createDialog().getByTestId('emoji-picker');
      await picker.getByLabel('Type to search for an emoji').fill('unicorn');
      const pickerEmoji = picker.locator(`button[data-unified="${UNICORN.unified}"]`).first();
      await pickerEmoji.waitFor();
      expect(await coloredShare(page, pickerEmoji, 'emoji-picker-unicorn')).toBeGreaterThan(0.05);
      await agents.searchAndPick('unicorn', UNICORN.unified);
      expect(await agents.chosenEmoji()).toBe(UNICORN.emoji);
      // Its own spend limits, set in the dialog: a daily budget and a rate; the monthly one stays the default.
      await agents.createDialog().getByTestId('create-limits').locator('summary').click();
      await agents.createDialog().locator('#agent-budget-day').fill('3');
      await agents.createDialog().locator('#agent-rpm').fill('20');
      await agents.submitCreate();
      const outcome = await agents.waitForDeployEnd(UNICORN.slug);
      expect(outcome).toBe('running');
      const unicorn = await agentBySlug(UNICORN.slug);
      expect(unicorn?.emoji).toBe(UNICORN.emoji);
      const { limits } = await callCore<{ limits: AgentLimits[] }>(core, 'usage.limits', {
        agent_id: unicorn!.id,
      });
      expect(limits[0]).toMatchObject({
        usd_day: 3,
        rpm: 20,
        defaults: { usd_day: false, usd_month: true, rpm: false },
      });
      await agents.closeDeployDialog();
      await agents.waitForPhase(UNICORN.slug, 'running');
    });

    it('lays the table over the whole width, one line of actions a row, model ids never broken', async () => {
      await page.setViewportSize({ width: 1440, height: 900 });
      try {
        await agents.waitForPhase(FOX.slug, 'running');
        const main = await page.getByTestId('page-agents').boundingBox();
        const table = await page.locator('.agents-table').boundingBox();
        expect(main && table && table.width / main.width).toBeGreaterThan(0.85);
        for (const slug of [FOX.slug, UNICORN.slug]) {
          const row = await page.getByTestId(`agent-row-${slug}`).boundingBox();
          expect(row?.height).toBeLessThan(80);
          const tops = await page.evaluate<number[]>(
            `[...document.querySelector('[data-testid="agent-row-${slug}"] .row-actions').children].map((c) => c.getBoundingClientRect().top)`,
          );
          expect(new Set(tops.map(Math.round)).size).toBe(1);
          // An inline element broken over lines has one client rect per line.
          const lines = await page.evaluate<number>(
            `document.querySelector('[data-testid="agent-model-${slug}"]').getClientRects().length`,
          );
          expect(lines).toBe(1);
        }
        await page.screenshot({ path: 'test-results/agents-table-1440.png' });
        // The rarer actions: in the "More" menu, which Escape closes.
        await agents.action('more', FOX.slug).click();
        await agents.action('logs', FOX.slug).waitFor({ state: 'visible' });
        await page.keyboard.press('Escape');
        await agents.action('logs', FOX.slug).waitFor({ state: 'hidden' });
      } finally {
        await page.setViewportSize({ width: 1200, height: 800 });
      }
    });

    it('stops and starts an agent, with the uptime only while running', async () => {
      await agents.action('stop', FOX.slug).click();
      await agents.waitForPhase(FOX.slug, 'stopped', 60_000);
      expect(await agents.uptime(FOX.slug).innerText()).toBe('—');
      expect((await agentBySlug(FOX.slug))?.phase).toBe('stopped');
      await agents.action('start', FOX.slug).click();
      await agents.waitForPhase(FOX.slug, 'running', 120_000);
      const first = await agents.uptime(FOX.slug).innerText();
      expect(first).toMatch(/^\d+ s$/);
      await expect.poll(() => agents.uptime(FOX.slug).innerText(), { timeout: 10_000 }).not.toBe(first);
    });

    it('archives an agent: it leaves the list and appears in Archived with how long ago', async () => {
      await agents.archive(FOX.slug);
      await agents.archivedRow(FOX.slug).waitFor({ state: 'visible', timeout: 120_000 });
      expect(await agents.row(FOX.slug).count()).toBe(0);
      const text = await agents.archivedRow(FOX.slug).innerText();
      expect(text).toContain(FOX.emoji);
      expect(text).toContain(FOX.name);
      expect(text).toContain(UPSTREAM_MODELS[0]);
      expect(text).toContain('just now');
      expect((await agentBySlug(FOX.slug))?.phase).toBe('archived');
      expect(containerExists(`agentdesk-${FOX.slug}`)).toBe(false);
    });

    it('restores it into a taken name as <slug>-2 with a new key; the old key is refused by the gateway', async () => {
      const archived = await agentBySlug(FOX.slug);
      const envOf = (dir: string) =>
        /^OPENAI_API_KEY='([^']+)'/m.exec(readFileSync(join(dir, 'config', 'env'), 'utf8'))?.[1] ?? '';
      const archiveDir = readdirSync(join(core.home, 'archive')).find((d) => d.startsWith(`${FOX.slug}-`));
      const oldKey = envOf(join(core.home, 'archive', archiveDir!));
      expect(oldKey).toMatch(/^sk-agentdesk-/);
      const gateway = (await callCore<LlmStatus>(core, 'llm.status')).gateway.url!;
      const models = (key: string) =>
        fetch(`${gateway}/models`, { headers: { Authorization: `Bearer ${key}` } }).then((r) => r.status);
      expect(await models(oldKey)).toBe(401);

      // Meanwhile another agent takes the name.
      const twin = await callCore<Agent>(core, 'agents.create', { name: FOX.name, model });
      expect(twin.slug).toBe(FOX.slug);
      await waitUntil(
        async () => (await agentBySlug(FOX.slug))?.phase === 'running',
        180_000,
        'the twin running',
      );

      await agents.restore(FOX.slug);
      const restoredSlug = `${FOX.slug}-2`;
      await agents.waitForPhase(restoredSlug, 'running', 180_000);
      expect(await agents.archivedRow(FOX.slug).count()).toBe(0);
      expect(containerExists(`agentdesk-${restoredSlug}`)).toBe(true);
      const restored = await agentBySlug(restoredSlug);
      expect(restored?.id).toBe(archived?.id);
      const newKey = envOf(join(core.home, 'agents', restored!.id));
      expect(newKey).not.toBe(oldKey);
      expect(await models(newKey)).toBe(200);
      expect(await models(oldKey)).toBe(401);
      await callCore(core, 'agents.purge', { id: twin.id });
      FOX.slug = restoredSlug;
    });

    it('purges it after typing its name: no row, no record, no container', async () => {
      await agents.archive(FOX.slug);
      await agents.archivedRow(FOX.slug).waitFor({ state: 'visible', timeout: 120_000 });
      await agents.purge(FOX.slug, FOX.name);
      await agents.archivedRow(FOX.slug).waitFor({ state: 'detached', timeout: 60_000 });
      expect(await agents.row(FOX.slug).count()).toBe(0);
      expect(await agentBySlug(FOX.slug)).toBeUndefined();
      const names = execFileSync('docker', ['ps', '-a', '--format', '{{.Names}}'], { encoding: 'utf8' });
      expect(names).not.toContain(FOX.slug);
      expect(existsSync(join(core.home, 'agents'))).toBe(true);
      expect(readdirSync(join(core.home, 'archive')).filter((d) => d.startsWith(FOX.slug))).toEqual([]);
    });

    it('never sent a request to a host other than 127.0.0.1, threw no page errors, and never showed the key', async () => {
      expect(foreignRequests(requests)).toEqual([]);
      expect(pageErrors).toEqual([]);
      expect(consoleLines.join('\n')).not.toContain(KEY);
      // The only console errors allowed: the picker's own inline <style>, refused by the CSP (its rules
      // are applied through a constructed stylesheet instead). No refused remote image, no other error.
      const errors = consoleLines.filter((l) => l.startsWith('error:'));
      expect(errors.filter((l) => !l.includes('Applying inline style violates'))).toEqual([]);
      expect(await page.content()).not.toContain(KEY);
    });
  },
);
