// E2E: provider health in Chromium against `agentdesk serve`: removing a provider agents use, and the agents flagged after (in the UI and by `agentdesk agents list`).
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { Agent } from '../../contract/agents';
import type { Provider } from '../../contract/providers';
import { dataPaths } from '../../main/platform/paths';
import { AgentRepository } from '../../main/services/agents/agent-repository';
import type { AgentRow } from '../../main/services/agents/agent-repository';
import { openDatabase } from '../../main/services/storage/database';
import { ScriptedUpstream } from '../../test/fixtures/scripted-upstream';
import { foreignRequests } from '../fixtures/browser';
import { callCore } from '../fixtures/core-api';
import { AGENTDESK_BIN, assertPrerequisites, REPO_ROOT, shouldRunE2e } from '../fixtures/paths';
import { startServe } from '../fixtures/serve';
import type { ServedCore } from '../fixtures/serve';
import { waitUntil } from '../fixtures/wait';
import { openUi } from '../fixtures/ui';
import type { UiSession } from '../fixtures/ui';
import { AgentsPage } from '../pages/agents-page';
import type { AppShell } from '../pages/app-shell';
import { ProvidersPage } from '../pages/providers-page';

const PROVIDER_ID = 'health-e2e';
/** A provider whose server goes down after its last (old) check. */
const DOWN_ID = 'health-down';
/** A provider that is up and lists one model, while one of its agents names another. */
const SHELF_ID = 'health-shelf';

/** A stopped agent record: depending on a provider needs no container. */
function agentRow(slug: string, model: string): AgentRow {
  const now = Date.now();
  return {
    id: `id-${slug}`,
    slug,
    name: `Health ${slug}`,
    emoji: '🩺',
    harness: 'builtin',
    runtime: 'docker',
    model,
    fallbacks: '[]',
    memory_mib: 512,
    cpus: 1,
    phase: 'stopped',
    phase_reason: null,
    phase_at: now,
    failed_log: '[]',
    container: `agentdesk-healthe2e-${slug}`,
    runtime_port: null,
    key_id: null,
    created_at: now,
    running_since: null,
    archive_dir: null,
    runtime_endpoint: null,
    pids_limit: 256,
    folders: '[]',
    engine: 'local',
  };
}

describe.skipIf(!shouldRunE2e())('provider health in Chromium against agentdesk serve', () => {
  let core: ServedCore;
  let ui: UiSession | undefined;
  let page: Page;
  let shell: AppShell;
  let upstream: ScriptedUpstream;
  let downServer: ScriptedUpstream;
  let shelfServer: ScriptedUpstream;
  let requests: string[] = [];
  let pageErrors: string[] = [];

  beforeAll(async () => {
    assertPrerequisites();
    upstream = await new ScriptedUpstream({ key: null, models: ['health-model'], ollama: true }).start();
    downServer = await new ScriptedUpstream({ key: null, models: ['sick-model'] }).start();
    shelfServer = await new ScriptedUpstream({ key: null, models: ['kept-model'] }).start();
    core = await startServe();
    await callCore<Provider>(core, 'providers.add', {
      type: 'llamacpp',
      id: DOWN_ID,
      name: 'llama.cpp',
      base_url: `${downServer.url}/v1`,
    });
    await callCore<Provider>(core, 'providers.add', {
      type: 'llamacpp',
      id: SHELF_ID,
      name: 'Shelf server',
      base_url: `${shelfServer.url}/v1`,
    });
    await callCore<Provider>(core, 'providers.add', {
      type: 'ollama',
      id: PROVIDER_ID,
      name: 'Health E2E',
      base_url: upstream.url,
    });
    const db = openDatabase(dataPaths.db(core.home));
    try {
      const repo = new AgentRepository(db);
      repo.insert(agentRow('doc', `${PROVIDER_ID}/health-model`));
      repo.insert(agentRow('bystander', 'elsewhere/other-model'));
      repo.insert(agentRow('patient', `${DOWN_ID}/sick-model`));
      repo.insert(agentRow('stale', `${SHELF_ID}/retired-model`));
      repo.insert(agentRow('shelved', `${SHELF_ID}/kept-model`));
    } finally {
      db.close();
    }
    ui = await openUi({ url: core.url });
    ({ page, requests, pageErrors, shell } = ui);
  }, 120_000);

  afterAll(async () => {
    await ui?.close();
    await core?.stop();
    await upstream?.stop();
    await downServer?.stop();
    await shelfServer?.stop();
  });

  it('flags an agent whose provider is up but no longer lists its model, and not its neighbour whose model it lists', async () => {
    const agents = new AgentsPage(shell);
    await agents.open();
    const note = agents.modelNote('stale');
    await note.waitFor({ state: 'visible', timeout: 15_000 });
    expect(await note.getAttribute('data-state')).toBe('unserved');
    expect(await note.textContent()).toContain('Shelf server does not list “retired-model” any more');
    expect(await page.getByTestId('agent-row-stale').getAttribute('data-phase')).toBe('stopped');
    await page.getByTestId('agent-row-shelved').waitFor({ state: 'visible', timeout: 15_000 });
    expect(await agents.modelNote('shelved').count()).toBe(0);
  });

  it('lists the agents that use a provider in its remove confirmation, then flags them without a phase change', async () => {
    const providers = new ProvidersPage(shell);
    await providers.open();
    expect(await providers.removeAndListUsers(PROVIDER_ID)).toEqual(['doc']);
    await page.getByTestId(`provider-remove-confirm-${PROVIDER_ID}`).click();
    await waitUntil(
      async () => (await callCore<Provider[]>(core, 'providers.list')).every((p) => p.id !== PROVIDER_ID),
      15_000,
      'the provider to be removed',
    );

    const agents = new AgentsPage(shell);
    await agents.open();
    const note = agents.modelNote('doc');
    await note.waitFor({ state: 'visible', timeout: 15_000 });
    expect(await note.getAttribute('data-state')).toBe('unserved');
    expect(await note.textContent()).toContain(`provider “${PROVIDER_ID}” was removed`);
    // A note, not a phase: the agent keeps its phase.
    expect(await page.getByTestId('agent-row-doc').getAttribute('data-phase')).toBe('stopped');
    const listed = (await callCore<{ agents: Agent[] }>(core, 'agents.list')).agents;
    expect(listed.find((a) => a.slug === 'doc')?.phase).toBe('stopped');
    // The other agent's provider ("elsewhere") was never configured: it is flagged too.
    expect(await agents.modelNote('bystander').getAttribute('data-state')).toBe('unserved');
  });

  it('tests a provider again when the Providers page opens: a server down since shows unreachable, and its agents get a warning', async () => {
    expect((await callCore<Provider[]>(core, 'providers.list')).find((p) => p.id === DOWN_ID)?.status).toBe(
      'ok',
    );
    await downServer.stop();
    // Its last check is old ("ok, checked 11 minutes ago"), as after a server died a while back.
    const db = openDatabase(dataPaths.db(core.home));
    try {
      db.prepare('UPDATE providers SET checked_at = ? WHERE id = ?').run(Date.now() - 11 * 60_000, DOWN_ID);
    } finally {
      db.close();
    }
    const providers = new ProvidersPage(shell);
    await providers.open();
    await waitUntil(
      async () => (await providers.status(DOWN_ID)) === 'unreachable',
      15_000,
      'the Providers page to show the stopped server as unreachable',
    );
    expect(await page.getByTestId(`provider-detail-${DOWN_ID}`).textContent()).toMatch(/^Unreachable: /);
    // The time of the check in the app's one format ("checked 14:02"), in full in its tooltip.
    const detail = page.getByTestId(`provider-detail-${DOWN_ID}`);
    expect(await detail.textContent()).toMatch(/ · checked \d{2}:\d{2}$/);
    expect(await detail.locator('time').getAttribute('title')).toMatch(
      /^[A-Z][a-z]{2} \d{1,2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2}$/,
    );

    const agents = new AgentsPage(shell);
    await agents.open();
    const note = agents.modelNote('patient');
    await note.waitFor({ state: 'visible', timeout: 15_000 });
    expect(await note.getAttribute('data-state')).toBe('failing');
    expect(await note.textContent()).toContain('llama.cpp is failing: Unreachable:');
    expect(await page.getByTestId('agent-row-patient').getAttribute('data-phase')).toBe('stopped');
  });

  it('`agentdesk agents list` notes the same models as the Agents page, in the same words', () => {
    const out = execFileSync(process.execPath, [AGENTDESK_BIN, 'agents', 'list', '--home', core.home], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      timeout: 60_000,
    });
    const line = (slug: string) => out.split('\n').find((l) => l.includes(` ${slug} `)) ?? '';
    expect(line('stale')).toContain('Shelf server does not list “retired-model” any more');
    expect(line('doc')).toContain(`Model no longer served: provider “${PROVIDER_ID}” was removed`);
    expect(line('bystander')).toContain('Model no longer served: provider “elsewhere” was removed');
    expect(line('patient')).toContain('llama.cpp is failing: Unreachable:');
    expect(line('shelved')).not.toMatch(/no longer served|is failing/);
  });

  it('sent nothing to a host other than 127.0.0.1 and threw no page errors', () => {
    expect(foreignRequests(requests)).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
