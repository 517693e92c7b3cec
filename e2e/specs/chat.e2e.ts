// E2E: chat with a real agent in Docker from Chromium against `agentdesk serve` and the real LiteLLM: the Chat page at
// 1440×900, tool card, reply, the trace panel, a failed turn kept with Retry (by the core: a fresh browser shows it), reload, one time format.
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { Agent } from '../../contract/agents';
import type { TracePage } from '../../contract/traces';
import { runtimeReachable } from '../../test/agents';
import { cmdDirective } from '../../test/fixtures/scripted-directives';
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
import { ChatPage } from '../pages/chat-page';

/** The upstream's key: given to the core only through AGENTDESK_KEY_SCRIPTED (no keychain needed). */
const KEY = `sk-e2e-chat-${randomBytes(12).toString('hex')}`;
const NAME = `agentdesk-test-chat-${randomBytes(3).toString('hex')}`;

const docker = runtimeReachable('docker');
const litellm = litellmInstalled();
const skip =
  !shouldRunE2e() ||
  skipUnlessReal(docker, 'Docker (scripts/bootstrap-linux.sh)') ||
  skipUnlessReal(litellm, 'LiteLLM (.venv/litellm, from scripts/bootstrap-linux.sh)');

describe.skipIf(skip)('Chat and trace of an agent in Docker, in Chromium against agentdesk serve', () => {
  let core: ServedCore;
  let upstream: ScriptedUpstream;
  let ui: UiSession | undefined;
  let page: Page;
  let chat: ChatPage;
  let agent: Agent;
  let requests: string[] = [];
  let pageErrors: string[] = [];

  beforeAll(async () => {
    assertPrerequisites();
    ({ core, upstream, agent } = await startAgentStack(KEY, NAME));
    ui = await openUi({ url: core.url });
    ({ page, requests, pageErrors } = ui);
    const shell = ui.shell;
    chat = new ChatPage(shell);
  }, 600_000);

  afterAll(async () => {
    await ui?.close();
    if (core && agent) await callCore(core, 'agents.purge', { id: agent.id }).catch(() => undefined);
    await core?.stop(20_000);
    await upstream?.stop();
    if (agent) execFileSync('docker', ['rm', '-f', agent.container], { stdio: 'ignore' });
  });

  /** How far the page's own scroll box (`.main`) can scroll: 0 when the chat page fits the window. */
  const mainOverflow = () =>
    page.evaluate<number>(
      `(() => { const m = document.querySelector('.main'); return m.scrollHeight - m.clientHeight; })()`,
    );

  it('opens the Chat page from the agent’s row with its emoji and name, the composer in view at 1440×900', async () => {
    await page.setViewportSize({ width: 1440, height: 900 });
    await chat.open(agent.slug);
    expect(page.url()).toContain(`#/chat/${agent.id}`);
    expect(await chat.agentSwitcher().inputValue()).toBe(agent.id);
    const header = await chat.header().innerText();
    expect(header).toContain(agent.emoji);
    expect(header).toContain(agent.name);
    expect(await chat.input().isEnabled()).toBe(true);
    expect(await chat.threads().count()).toBe(0);
    expect(await chat.insideViewport(chat.input())).toBe(true);
    expect(await chat.insideViewport(page.getByTestId('chat-send'))).toBe(true);
    expect(await mainOverflow()).toBe(0);
  });

  it('sends "#tool=shell" with Enter: a tool card with "hi" and the reply stream in', async () => {
    await chat.send('#tool=shell');
    const card = chat.toolCards('shell').first();
    await card.waitFor({ state: 'visible', timeout: 60_000 });
    await chat.waitForTurnEnd();
    expect(await chat.toolOutput(card)).toContain('hi');
    expect(await card.getByTestId('tool-card-arguments').innerText()).toContain('echo hi');
    expect(await chat.assistantMessages().last().innerText()).toContain('chunk0');
    expect(await chat.userMessages().first().innerText()).toBe('#tool=shell');
    await expect.poll(() => chat.threads().count()).toBe(1);
    expect(await chat.threads().first().innerText()).toContain('#tool=shell');
    // The conversation scrolls inside itself: the composer stays in view and the page does not scroll.
    expect(await chat.insideViewport(chat.input())).toBe(true);
    expect(await mainOverflow()).toBe(0);
  });

  it('toggles the trace panel beside the conversation, the composer still in view', async () => {
    expect(await chat.traceToggle().getAttribute('aria-pressed')).toBe('false');
    expect(await chat.tracePanel().count()).toBe(0);
    await chat.traceToggle().click();
    await chat.tracePanel().waitFor({ state: 'visible' });
    expect(await chat.traceToggle().getAttribute('aria-pressed')).toBe('true');
    expect(await chat.tracePanel().getAttribute('data-agent')).toBe(agent.id);
    expect(await chat.insideViewport(chat.tracePanel())).toBe(true);
    expect(await chat.insideViewport(chat.input())).toBe(true);
    await chat.traceToggle().click();
    await chat.tracePanel().waitFor({ state: 'detached' });
    expect(await chat.traceToggle().getAttribute('aria-pressed')).toBe('false');
  });

  it('shows the turn in the trace: message_in, llm_call, tool_call, tool_result, message_out', async () => {
    await chat.openTrace(agent.slug);
    const wanted = ['message_in', 'llm_call', 'tool_call', 'tool_result', 'message_out'];
    // The turn made two model calls (the tool call, then the answer); the second llm_call is committed
    // when its response closes, which may be after the turn ended: wait for both, not just the first.
    await waitUntil(
      async () => {
        const kinds = await chat.traceKinds();
        return wanted.every((k) => kinds.includes(k)) && kinds.filter((k) => k === 'llm_call').length >= 2;
      },
      60_000,
      'every event of the turn in the trace pane',
    );
    // One group holds the turn, tied by the turn id, in the order the turn happened.
    const group = page.locator('[data-testid="trace-group"]', {
      has: page.locator('[data-kind="message_in"]'),
    });
    const traceId = await group.getAttribute('data-trace-id');
    expect(traceId).toBeTruthy();
    const inGroup = await chat.traceKinds(group);
    expect(inGroup[0]).toBe('message_in');
    expect(inGroup.at(-1)).toBe('message_out');
    expect(inGroup).toEqual(expect.arrayContaining(wanted));
    // The same events through the API: the pane shows what the store holds.
    const api = await callCore<TracePage>(core, 'traces.list', { agent_id: agent.id, trace_id: traceId });
    expect(api.events.map((e) => e.kind).sort()).toEqual([...inGroup].sort());
    // A payload opens on click.
    const out = group.locator('[data-kind="message_out"]');
    await out.locator('summary').click();
    expect(await out.getByTestId('trace-payload').innerText()).toContain('chunk0');
  });

  it('keeps the thread after a reload of the page', async () => {
    await page.reload();
    await chat.open(agent.slug);
    await expect.poll(() => chat.threads().count(), { timeout: 15_000 }).toBe(1);
    await chat.toolCards('shell').first().waitFor({ state: 'visible', timeout: 15_000 });
    expect(await chat.toolOutput(chat.toolCards('shell').first())).toContain('hi');
    expect(await chat.assistantMessages().last().innerText()).toContain('chunk0');
    // The trace panel was open before the reload: it is open again (kept for the session).
    expect(await chat.traceToggle().getAttribute('aria-pressed')).toBe('true');
    await chat.tracePanel().waitFor({ state: 'visible' });
  });

  it('writes the thread’s time the app’s one way ("just now", "5 min ago"), the full date in its tooltip', async () => {
    const time = chat.threadTimes().first();
    expect(await time.innerText()).toMatch(/^(just now|\d+ min ago)$/);
    expect(await time.getAttribute('title')).toMatch(
      /^[A-Z][a-z]{2} \d{1,2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2}$/,
    );
    // The trace panel's times are the same clock, to the millisecond, with the same tooltip.
    const traceTime = chat.tracePanel().locator('.trace-event__time').first();
    expect(await traceTime.innerText()).toMatch(/^\d{2}:\d{2}:\d{2}\.\d{3}$/);
    expect(await traceTime.getAttribute('title')).toMatch(/^[A-Z][a-z]{2} \d{1,2} [A-Z][a-z]{2} \d{4} /);
  });

  it('keeps a failed turn with its error and Retry after the next message and a reload; Retry sends it again', async () => {
    const FAILING = '#status=400 this one fails';
    await chat.send(FAILING);
    await chat.retryButtons().first().waitFor({ state: 'visible', timeout: 120_000 });
    expect(await chat.errors().count()).toBe(1);
    expect((await chat.errors().first().innerText()).length).toBeGreaterThan(10);
    await chat.send('#chunks=2 after the failure');
    await chat.waitForTurnEnd();
    await expect.poll(() => chat.userMessages().last().innerText()).toBe('#chunks=2 after the failure');
    expect(await chat.retryButtons().count()).toBe(1);

    await page.reload();
    await chat.open(agent.slug);
    await chat.retryButtons().first().waitFor({ state: 'visible', timeout: 15_000 });
    const rows = page.locator(
      '[data-testid="chat-messages"] :is([data-testid="chat-msg-user"], [data-testid="chat-error"])',
    );
    const shown = await Promise.all(
      (await rows.all()).map(async (r) =>
        (await r.getAttribute('data-testid')) === 'chat-error' ? 'error' : (await r.innerText()).trim(),
      ),
    );
    expect(shown).toEqual(['#tool=shell', FAILING, 'error', '#chunks=2 after the failure']);
    expect(await chat.insideViewport(chat.input())).toBe(true);

    await chat.retryButtons().first().click();
    await expect.poll(() => chat.errors().count(), { timeout: 120_000 }).toBe(2);
    await chat.waitForTurnEnd();
    expect(await chat.userMessages().last().innerText()).toBe(FAILING);
  });

  it('shows the failed turns with their errors and Retry in a fresh browser: the core holds them, not the browser', async () => {
    const live = await Promise.all((await chat.errors().all()).map((e) => e.innerText()));
    expect(live.length).toBe(2);
    // The window no longer keeps a copy of its own.
    expect(
      await page.evaluate<number>(
        `Object.keys(localStorage).filter((k) => k.startsWith('agentdesk.chat.failed')).length`,
      ),
    ).toBe(0);
    const fresh = await openUi({ url: core.url });
    try {
      const other = new ChatPage(fresh.shell);
      await other.open(agent.slug);
      await expect.poll(() => other.errors().count(), { timeout: 15_000 }).toBe(2);
      expect(await other.userAndErrorRows()).toEqual(await chat.userAndErrorRows());
      expect(await Promise.all((await other.errors().all()).map((e) => e.innerText()))).toEqual(live);
      expect(await other.retryButtons().count()).toBe(2);
      expect(fresh.pageErrors).toEqual([]);
    } finally {
      await fresh.close();
    }
  });

  it('keeps a failed tool’s real status after a reload: its exit code, marked failed', async () => {
    await chat.newThread();
    await chat.send(cmdDirective('echo oops; exit 3'));
    await chat.waitForTurnEnd();
    const failedCard = () => chat.toolCards('shell').last();
    expect(await failedCard().getAttribute('data-state')).toBe('failed');
    expect(await failedCard().getByTestId('tool-card-state').innerText()).toBe('exit 3');
    await page.reload();
    await chat.open(agent.slug);
    await failedCard().waitFor({ state: 'visible', timeout: 15_000 });
    expect(await failedCard().getAttribute('data-state')).toBe('failed');
    expect(await failedCard().getByTestId('tool-card-state').innerText()).toBe('exit 3');
    expect(await chat.toolOutput(failedCard())).toContain('oops');
  });

  it('stops a running turn with Stop: it ends "Stopped" with Retry, and the trace records the stop', async () => {
    await chat.send('#hold=15000 a slow one');
    await chat.stopButton().click({ timeout: 30_000 });
    await chat.waitForTurnEnd(30_000);
    const error = chat.errors().last();
    expect(await error.innerText()).toContain('Stopped: you stopped the turn');
    expect(await error.getByTestId('chat-retry').isVisible()).toBe(true);
    expect(await chat.stopButton().count()).toBe(0);
    await expect
      .poll(
        async () => {
          const { events } = await callCore<TracePage>(core, 'traces.list', {
            agent_id: agent.id,
            kinds: ['error'],
          });
          return events.some((e) => e.error?.startsWith('Stopped: you stopped the turn') === true);
        },
        { timeout: 15_000 },
      )
      .toBe(true);
  });

  it('lists a new thread whose first message never reached the runtime, with its error and Retry, after a reload elsewhere', async () => {
    const REFUSED = '#chunks=1 refused at first';
    await chat.newThread();
    // A frozen runtime answers nothing: the relay gives up after 30 s, before the runtime made the thread.
    execFileSync('docker', ['pause', agent.container], { stdio: 'ignore' });
    try {
      await chat.send(REFUSED);
      await expect.poll(() => chat.errors().count(), { timeout: 90_000 }).toBeGreaterThan(0);
    } finally {
      execFileSync('docker', ['unpause', agent.container], { stdio: 'ignore' });
    }
    // Once the turn is over its error row carries Retry, as after a reload.
    await chat.retryButtons().first().waitFor({ state: 'visible', timeout: 15_000 });
    const liveError = await chat.errors().last().innerText();
    expect(liveError).toContain('does not answer');

    const fresh = await openUi({ url: core.url });
    try {
      const other = new ChatPage(fresh.shell);
      await other.open(agent.slug);
      await other.thread(REFUSED).waitFor({ state: 'visible', timeout: 15_000 });
      // The newest thread is selected: the refused one, its message, its error, Retry.
      await expect.poll(() => other.userAndErrorRows(), { timeout: 15_000 }).toEqual([REFUSED, 'error']);
      expect(await other.errors().first().innerText()).toBe(liveError);
      await other.retryButtons().first().click();
      await other.waitForTurnEnd(120_000);
      await expect.poll(() => other.assistantMessages().count(), { timeout: 30_000 }).toBe(1);
      // The refused message and its error stay before the message the runtime now holds.
      expect(await other.userAndErrorRows()).toEqual([REFUSED, 'error', REFUSED]);
    } finally {
      await fresh.close();
    }
  });

  it('never sent a request to a host other than 127.0.0.1, threw no page errors, and showed no key', async () => {
    expect(foreignRequests(requests)).toEqual([]);
    expect(pageErrors).toEqual([]);
    expect(await page.content()).not.toContain(KEY);
  });

  it('shows the turn’s tokens in the agent’s row of the Agents list (today’s totals)', async () => {
    await ui!.shell.goTo('agents');
    const usage = page.getByTestId(`agent-usage-${agent.slug}`);
    await expect.poll(() => usage.innerText(), { timeout: 15_000 }).toMatch(/^[1-9][\d.]*[kM]? tok · /);
  });
});
