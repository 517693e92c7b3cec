// E2E on the real model (llama.cpp's llama-server, scripts/real-model.sh) in Chromium: the reply's first tokens show before the answer completes.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { Agent } from '../../contract/agents';
import type { LlmStatus } from '../../contract/llm';
import type { Provider } from '../../contract/providers';
import { ensureRuntimeBundle, runtimeReachable } from '../../test/agents';
import { ensureBaseImage } from '../../test/base-image';
import { litellmInstalled } from '../../test/llm-stack';
import { REAL_MODEL_ID, realModelAvailable, realModelUrl } from '../../test/real-model';
import { skipUnlessReal } from '../../test/real';
import { callCore } from '../fixtures/core-api';
import { assertPrerequisites, shouldRunE2e } from '../fixtures/paths';
import { startServe } from '../fixtures/serve';
import type { ServedCore } from '../fixtures/serve';
import { waitUntil } from '../fixtures/wait';
import { openUi } from '../fixtures/ui';
import type { UiSession } from '../fixtures/ui';
import { ChatPage } from '../pages/chat-page';

const NAME = `agentdesk-test-stream-${randomBytes(3).toString('hex')}`;
const skip =
  !shouldRunE2e() ||
  skipUnlessReal(realModelAvailable(), 'the real model (scripts/real-model.sh start)') ||
  skipUnlessReal(runtimeReachable('incus'), 'Incus (scripts/bootstrap-linux.sh)') ||
  skipUnlessReal(litellmInstalled(), 'LiteLLM (.venv/litellm, from scripts/bootstrap-linux.sh)');

describe.skipIf(skip)('Chat streams a real model’s tokens as they arrive, in Chromium', () => {
  let core: ServedCore;
  let ui: UiSession | undefined;
  let page: Page;
  let chat: ChatPage;
  let agent: Agent;

  beforeAll(async () => {
    assertPrerequisites();
    await ensureBaseImage(['incus']);
    ensureRuntimeBundle();
    core = await startServe({});
    await callCore(core, 'settings.update', { container_runtime: 'incus' });
    const provider = await callCore<Provider>(core, 'providers.add', {
      type: 'llamacpp',
      base_url: realModelUrl(),
    });
    await waitUntil(
      async () => (await callCore<LlmStatus>(core, 'llm.status')).litellm.state === 'ready',
      150_000,
      'LiteLLM to be ready',
      500,
    );
    // A plain chat (tools off): every token the model writes is the answer.
    const created = await callCore<Agent>(core, 'agents.create', {
      name: NAME,
      model: `${provider.id}/${REAL_MODEL_ID}`,
      memory_mib: 512,
      temperature: 0,
      tools: false,
    });
    await waitUntil(
      async () => {
        agent = await callCore<Agent>(core, 'agents.get', { id: created.id });
        if (agent.phase === 'failed') throw new Error(`the agent failed: ${agent.phase_reason}`);
        return agent.phase === 'running';
      },
      240_000,
      'the agent to run',
      500,
    );
    ui = await openUi({ url: core.url });
    ({ page } = ui);
    const shell = ui.shell;
    chat = new ChatPage(shell);
  }, 900_000);

  afterAll(async () => {
    await ui?.close();
    if (core && agent) await callCore(core, 'agents.purge', { id: agent.id }).catch(() => undefined);
    await core?.stop(20_000);
  });

  it('shows the first tokens while the turn still streams, then the whole answer', async () => {
    await chat.open(agent.slug);
    // What the page showed, and when: the assistant's text length and whether the turn was still live.
    await chat.recordStreaming();
    await chat.send('Count from 1 to 10, separated by spaces.');
    await page.getByTestId('chat-turn').waitFor({ state: 'visible', timeout: 30_000 });
    await chat.waitForTurnEnd(240_000);
    const seen = await chat.streamedText();
    const reply = (await chat.assistantMessages().last().innerText()).trim();
    expect(reply).toContain('1 2 3');
    // The text grew in several steps while the turn was live: tokens were shown as they arrived.
    const live = seen.filter((s) => s.live && s.len > 0);
    const lengths = [...new Set(live.map((s) => s.len))];
    expect(lengths.length).toBeGreaterThan(3);
    const first = live[0]!;
    const finalLen = Math.max(...live.map((s) => s.len));
    expect(first.len).toBeLessThan(finalLen);
    const end = seen.find((s, i) => i > seen.indexOf(first) && !s.live);
    expect(end, 'the turn ended after the first tokens showed').toBeDefined();
    expect(end!.at - first.at).toBeGreaterThan(0);
  }, 300_000);
});
