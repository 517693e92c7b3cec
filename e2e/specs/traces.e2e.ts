// E2E: the Traces page in Chromium against `agentdesk serve` with a real agent in Docker: turns, kind filter, payload, JSONL export, live follow.
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { Agent } from '../../contract/agents';
import type { TraceEvent, TracePage } from '../../contract/traces';
import { runtimeReachable } from '../../test/agents';
import type { ScriptedUpstream } from '../../test/fixtures/scripted-upstream';
import { litellmInstalled } from '../../test/llm-stack';
import { skipUnlessReal } from '../../test/real';
import { foreignRequests } from '../fixtures/browser';
import { callCore } from '../fixtures/core-api';
import { assertPrerequisites, shouldRunE2e } from '../fixtures/paths';
import type { ServedCore } from '../fixtures/serve';
import { waitUntil } from '../fixtures/wait';
import { startAgentStack } from '../fixtures/agent-stack';
import { openUi } from '../fixtures/ui';
import type { UiSession } from '../fixtures/ui';
import { TracesPage } from '../pages/traces-page';

/** The upstream's key: given to the core only through AGENTDESK_KEY_SCRIPTED (no keychain needed). */
const KEY = `sk-e2e-traces-${randomBytes(12).toString('hex')}`;
const NAME = `agentdesk-test-traces-${randomBytes(3).toString('hex')}`;

const skip =
  !shouldRunE2e() ||
  skipUnlessReal(runtimeReachable('docker'), 'Docker (scripts/bootstrap-linux.sh)') ||
  skipUnlessReal(litellmInstalled(), 'LiteLLM (.venv/litellm, from scripts/bootstrap-linux.sh)');

describe.skipIf(skip)('Traces page in Chromium against agentdesk serve, with an agent in Docker', () => {
  let core: ServedCore;
  let upstream: ScriptedUpstream;
  let ui: UiSession | undefined;
  let page: Page;
  let traces: TracesPage;
  let agent: Agent;
  let requests: string[] = [];
  let pageErrors: string[] = [];

  beforeAll(async () => {
    assertPrerequisites();
    ({ core, upstream, agent } = await startAgentStack(KEY, NAME));
    // One real turn seeds the trace: message_in, llm_call ×2, tool_call, tool_result, message_out. The
    // runtime posts its tool events in the background and the last llm_call is committed when its
    // response closes: wait until the store has all of them, so every read below sees the whole turn.
    const turn = await callCore<{ turn_id: string }>(core, 'agents.chat', {
      id: agent.id,
      text: '#tool=shell',
    });
    await waitUntil(
      async () => {
        const { events } = await callCore<TracePage>(core, 'traces.list', {
          agent_id: agent.id,
          trace_id: turn.turn_id,
        });
        const kinds: string[] = events.map((e) => e.kind);
        return (
          ['message_in', 'tool_call', 'tool_result', 'message_out'].every((k) => kinds.includes(k)) &&
          kinds.filter((k) => k === 'llm_call').length >= 2
        );
      },
      60_000,
      'the whole seeded turn in the trace store',
    );
    ui = await openUi({ url: core.url });
    ({ page, requests, pageErrors } = ui);
    const shell = ui.shell;
    traces = new TracesPage(shell);
  }, 600_000);

  afterAll(async () => {
    await ui?.close();
    if (core && agent) await callCore(core, 'agents.purge', { id: agent.id }).catch(() => undefined);
    await core?.stop(20_000);
    await upstream?.stop();
    if (agent) execFileSync('docker', ['rm', '-f', agent.container], { stdio: 'ignore' });
  });

  it('shows the agent’s turn as one group: the message first, the tool_result under its tool_call', async () => {
    await traces.open();
    await traces.pickAgent(agent.id);
    await waitUntil(async () => (await traces.kinds()).includes('message_out'), 30_000, 'the turn');
    const group = page.locator('[data-testid="trace-group"]', {
      has: page.locator('[data-kind="message_in"]'),
    });
    const kinds = await Promise.all(
      (await group.locator('[data-testid="trace-event"]').all()).map(
        async (r) => `${await r.getAttribute('data-kind')}:${await r.getAttribute('data-depth')}`,
      ),
    );
    expect(kinds[0]).toBe('message_in:1');
    expect(kinds.at(-1)).toBe('message_out:1');
    expect(kinds).toEqual(expect.arrayContaining(['llm_call:1', 'tool_call:1', 'tool_result:2']));
    expect(await group.getByTestId('trace-turn').innerText()).toContain('#tool=shell');
  });

  it('filters by kind, opens a payload, and exports exactly the filtered events as JSONL', async () => {
    await traces.toggleKind('tool_result');
    await waitUntil(
      async () => {
        const k = await traces.kinds();
        return k.length > 0 && k.every((x) => x === 'tool_result');
      },
      30_000,
      'only tool_result rows',
    );
    const row = traces.events('tool_result').first();
    const payload = await traces.openPayload(row);
    expect(payload).toContain('"name": "shell"');
    expect(payload).toContain('hi');
    const download = await traces.export();
    expect(download.suggestedFilename()).toMatch(new RegExp(`^agentdesk-trace-${agent.slug}-.*\\.jsonl$`));
    const file = await download.path();
    const lines = fs.readFileSync(file, 'utf8').trimEnd().split('\n');
    const events = lines.map((l) => JSON.parse(l) as TraceEvent);
    expect(events.length).toBe(await traces.shownCount());
    expect(events.every((e) => e.kind === 'tool_result' && e.agent_id === agent.id && e.v === 1)).toBe(true);
    const api = await callCore<TracePage>(core, 'traces.list', {
      agent_id: agent.id,
      kinds: ['tool_result'],
    });
    expect(events.map((e) => e.id).sort()).toEqual(api.events.map((e) => e.id).sort());
    await traces.toggleKind('tool_result');
  });

  it('narrows by text, then follows: a new turn appears live without a reload', async () => {
    await traces.filterText('no event says this');
    await page.getByText('No event matches these filters.').waitFor();
    await traces.filterText('#TOOL=shell');
    await waitUntil(async () => (await traces.kinds()).includes('message_in'), 30_000, 'the matching event');
    expect(await traces.kinds()).toEqual(['message_in']);
    await traces.filterText('');
    await waitUntil(async () => (await traces.kinds()).includes('message_out'), 30_000, 'every event again');
    const before = await traces.shownCount();
    await callCore(core, 'agents.chat', { id: agent.id, text: 'a live question' });
    const live = page.locator('[data-testid="trace-group"]', { hasText: 'a live question' });
    await live.locator('[data-kind="message_out"]').waitFor({ timeout: 30_000 });
    expect(await traces.shownCount()).toBeGreaterThan(before);
    // Follow mode kept the list at its newest turn, so no "N new" pill.
    await waitUntil(
      async () => (await traces.scrollPosition()).fromBottom <= 24,
      30_000,
      'the list at its newest event',
    );
    expect(await traces.newPill().count()).toBe(0);
  });

  it('scrolled up, new events raise an "N new" pill that jumps to them', async () => {
    for (const text of ['filler one', 'filler two'])
      await callCore(core, 'agents.chat', { id: agent.id, text });
    await page.locator('[data-testid="trace-group"]', { hasText: 'filler two' }).waitFor({ timeout: 30_000 });
    await page.getByTestId('trace-scroll').hover();
    await page.mouse.wheel(0, -20_000);
    await waitUntil(async () => (await traces.scrollPosition()).top === 0, 30_000, 'the list at its top');
    await callCore(core, 'agents.chat', { id: agent.id, text: 'while scrolled up' });
    await traces.newPill().waitFor({ timeout: 30_000 });
    expect(await traces.newPill().innerText()).toMatch(/^\d+ new$/);
    await traces.newPill().click();
    const newest = page.locator('[data-testid="trace-group"]', { hasText: 'while scrolled up' });
    await newest.waitFor({ state: 'visible', timeout: 30_000 });
    await traces.newPill().waitFor({ state: 'detached' });
    await waitUntil(
      async () => (await traces.scrollPosition()).fromBottom <= 24,
      30_000,
      'the list at its newest event',
    );
  });

  it('purging the agent deletes its trace: its events leave the page at once and after a reload', async () => {
    await traces.pickAgent(null);
    await waitUntil(async () => (await traces.shownCount()) > 0, 30_000, 'the agent’s events shown');
    await callCore(core, 'agents.purge', { id: agent.id });
    await waitUntil(async () => (await traces.shownCount()) === 0, 30_000, 'the purged agent’s events gone');
    await page.reload();
    await traces.open();
    await page.getByTestId('traces-card').waitFor();
    const api = await callCore<TracePage>(core, 'traces.list', {});
    expect(api.events.filter((e) => e.agent_id === agent.id)).toEqual([]);
    expect(await traces.shownCount()).toBe(0);
  });

  it('never sent a request to a host other than 127.0.0.1 and threw no page errors', () => {
    expect(foreignRequests(requests)).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
