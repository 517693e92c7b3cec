// E2E: a task made in the UI (Chromium against `agentdesk serve`), run now on a real agent in Docker: its run in the history with its answer, its trace, the usage.
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { Agent } from '../../contract/agents';
import type { Task, TaskRun } from '../../contract/tasks';
import { runtimeReachable } from '../../test/agents';
import type { ScriptedUpstream } from '../../test/fixtures/scripted-upstream';
import { litellmInstalled } from '../../test/llm-stack';
import { skipUnlessReal } from '../../test/real';
import { callCore } from '../fixtures/core-api';
import { startAgentStack } from '../fixtures/agent-stack';
import { assertPrerequisites, shouldRunE2e } from '../fixtures/paths';
import type { ServedCore } from '../fixtures/serve';
import { openUi } from '../fixtures/ui';
import type { UiSession } from '../fixtures/ui';
import type { AppShell } from '../pages/app-shell';
import { TasksPage } from '../pages/tasks-page';

const KEY = `sk-e2e-tasks-${randomBytes(12).toString('hex')}`;
const NAME = `agentdesk-test-tasks-${randomBytes(3).toString('hex')}`;
const TASK = 'Morning summary';

const skip =
  !shouldRunE2e() ||
  skipUnlessReal(runtimeReachable('docker'), 'Docker (scripts/bootstrap-linux.sh)') ||
  skipUnlessReal(litellmInstalled(), 'LiteLLM (.venv/litellm, from scripts/bootstrap-linux.sh)');

describe.skipIf(skip)(
  'Tasks in the UI, run on an agent in Docker, in Chromium against agentdesk serve',
  () => {
    let core: ServedCore;
    let upstream: ScriptedUpstream;
    let ui: UiSession | undefined;
    let page: Page;
    let shell: AppShell;
    let tasks: TasksPage;
    let agent: Agent;
    let pageErrors: string[] = [];

    beforeAll(async () => {
      assertPrerequisites();
      ({ core, upstream, agent } = await startAgentStack(KEY, NAME));
      ui = await openUi({ url: core.url });
      ({ page, pageErrors, shell } = ui);
      tasks = new TasksPage(shell);
    }, 600_000);

    afterAll(async () => {
      await ui?.close();
      if (core && agent) await callCore(core, 'agents.purge', { id: agent.id }).catch(() => undefined);
      await core?.stop(20_000);
      await upstream?.stop();
      if (agent) execFileSync('docker', ['rm', '-f', agent.container], { stdio: 'ignore' });
    });

    it('creates a task in the dialog: its row shows the trigger and the next run', async () => {
      await tasks.open();
      await tasks.addEvery(TASK, 'Summarise the night #chunks=2', 30);
      const row = tasks.row(TASK);
      await row.waitFor({ state: 'visible' });
      expect(await row.innerText()).toContain('every 30 min');
      expect(await row.getByTestId('task-next-run').innerText()).toMatch(/^in (29|30) min$/);
      const { tasks: stored } = await callCore<{ tasks: Task[] }>(core, 'tasks.list', {});
      expect(stored.map((t) => [t.name, t.agent_id, t.trigger])).toEqual([
        [TASK, agent.id, { kind: 'interval', every_s: 1800 }],
      ]);
    });

    it('runs it now: the run appears in the history, succeeded, with its answer and its usage', async () => {
      await tasks.runNow(TASK);
      const run = tasks.runs('succeeded').first();
      await run.waitFor({ state: 'visible', timeout: 90_000 });
      expect((await run.getByTestId('run-answer').innerText()).trim()).toBe('chunk0 chunk1');
      expect(await run.innerText()).toMatch(/\d+ tok/);
      expect(await tasks.row(TASK).getByTestId('task-last-result').innerText()).toContain('succeeded');
      // When, in the app's one time format (the same words as the chat's threads), in full in its tooltip.
      const when = tasks.row(TASK).getByTestId('task-last-result').locator('time');
      expect(await when.innerText()).toMatch(/^(just now|\d+ min ago)$/);
      expect(await when.getAttribute('title')).toMatch(
        /^[A-Z][a-z]{2} \d{1,2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2}$/,
      );
      expect(await run.locator('time').innerText()).toMatch(/^(just now|\d+ min ago)$/);
      await page.screenshot({ path: 'test-results/tasks-page.png', fullPage: true }).catch(() => undefined);
    }, 120_000);

    it('opens its trace: the Traces page shows that turn, from the message to the answer', async () => {
      const { runs } = await callCore<{ runs: TaskRun[] }>(core, 'tasks.history', {});
      const run = runs.find((r) => r.status === 'succeeded')!;
      await tasks.runs('succeeded').first().getByTestId('run-open-trace').click();
      await shell.pageRoot('traces').waitFor({ state: 'visible' });
      const group = page.locator(`[data-testid="trace-group"][data-trace-id="${run.trace_id}"]`);
      await group.waitFor({ state: 'visible', timeout: 30_000 });
      const rows = await group.locator('[data-testid="trace-event"]').all();
      const kinds = await Promise.all(rows.map((r) => r.getAttribute('data-kind')));
      expect(kinds).toEqual(expect.arrayContaining(['message_in', 'llm_call', 'message_out']));
      expect(await page.locator('[data-testid="trace-group"]').count()).toBe(1);
    }, 60_000);

    it('the Usage page counts the run’s calls and draws the chart', async () => {
      await shell.goTo('usage');
      await page.getByTestId('usage-chart').waitFor({ state: 'visible' });
      expect(await page.getByTestId('usage-today').innerText()).toMatch(/[1-9]\d* calls?/);
      expect(await page.getByTestId('usage-per-agent').innerText()).toContain(agent.name);
      await page.screenshot({ path: 'test-results/tasks-usage.png', fullPage: true }).catch(() => undefined);
      expect(pageErrors).toEqual([]);
    }, 60_000);
  },
);
