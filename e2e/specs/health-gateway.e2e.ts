// E2E: the System page names the gateway address a Docker agent really calls (its OPENAI_BASE_URL), not only 127.0.0.1.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { Agent } from '../../contract/agents';
import type { LlmStatus } from '../../contract/llm';
import { ensureRuntimeBundle, runtimeReachable } from '../../test/agents';
import { ensureBaseImage } from '../../test/base-image';
import { withModelApis } from '../../test/fixtures/scripted-llm';
import { ScriptedUpstream } from '../../test/fixtures/scripted-upstream';
import { litellmInstalled } from '../../test/llm-stack';
import { skipUnlessReal } from '../../test/real';
import { callCore } from '../fixtures/core-api';
import { assertPrerequisites, shouldRunE2e } from '../fixtures/paths';
import { startServe } from '../fixtures/serve';
import type { ServedCore } from '../fixtures/serve';
import { waitUntil } from '../fixtures/wait';
import { openUi } from '../fixtures/ui';
import type { UiSession } from '../fixtures/ui';
import type { AppShell } from '../pages/app-shell';
import { ChatPage } from '../pages/chat-page';
import { SystemPage } from '../pages/system-page';

const RUN = randomBytes(3).toString('hex');
const PROVIDER_ID = `health-gw-${RUN}`;
const AGENT = { name: `Health GW ${RUN}`, slug: `health-gw-${RUN}` };

const docker = runtimeReachable('docker');
const skip =
  !shouldRunE2e() ||
  skipUnlessReal(litellmInstalled(), 'LiteLLM (.venv/litellm, from scripts/bootstrap-linux.sh)') ||
  skipUnlessReal(docker, 'Docker');

describe.skipIf(skip)('System page: the gateway address agents call', () => {
  let core: ServedCore;
  let upstream: ScriptedUpstream;
  let ui: UiSession | undefined;
  let page: Page;
  let agent: Agent;
  let shell: AppShell;

  beforeAll(async () => {
    assertPrerequisites();
    await ensureBaseImage(['docker']);
    ensureRuntimeBundle();
    upstream = await withModelApis(new ScriptedUpstream({ key: null, models: ['gw-model'] })).start();
    core = await startServe();
    await callCore(core, 'providers.add', {
      type: 'llamacpp',
      id: PROVIDER_ID,
      name: 'llama.cpp',
      base_url: `${upstream.url}/v1`,
    });
    const model = `${PROVIDER_ID}/gw-model`;
    await waitUntil(
      async () => (await callCore<LlmStatus>(core, 'llm.status')).litellm.models.includes(model),
      120_000,
      'LiteLLM to serve the model',
    );
    agent = await callCore<Agent>(core, 'agents.create', { name: AGENT.name, model, runtime: 'docker' });
    await waitUntil(
      async () => {
        const a = (await callCore<{ agents: Agent[] }>(core, 'agents.list')).agents.find(
          (x) => x.id === agent.id,
        );
        if (a?.phase === 'failed') throw new Error(`the agent failed to deploy: ${a.phase_reason}`);
        return a?.phase === 'running';
      },
      300_000,
      'the Docker agent to run',
    );
    ui = await openUi({ url: core.url });
    ({ page, shell } = ui);
    await new SystemPage(shell).open();
  }, 600_000);

  afterAll(async () => {
    if (core && agent) await callCore(core, 'agents.purge', { id: agent.id }).catch(() => undefined);
    await ui?.close();
    await core?.stop(20_000);
    await upstream?.stop();
    const left = execFileSync('docker', ['ps', '-a', '--format', '{{.Names}}'], { encoding: 'utf8' })
      .split('\n')
      .filter((n) => n.startsWith('agentdesk-') && n.includes(AGENT.slug));
    if (left.length > 0) execFileSync('docker', ['rm', '-f', ...left], { stdio: 'ignore' });
  });

  it('shows the OPENAI_BASE_URL its Docker agent was given (the bridge address), beside the 127.0.0.1 URL', async () => {
    const env = readFileSync(join(core.home, 'agents', agent.id, 'config', 'env'), 'utf8');
    const given = /^OPENAI_BASE_URL='([^']+)'$/m.exec(env)?.[1];
    expect(given).toMatch(/^http:\/\/[\d.]+:\d+\/v1$/);
    expect(given).not.toContain('127.0.0.1');
    const shown = page.getByTestId('gateway-agent-url-docker-text');
    await shown.waitFor({ state: 'visible', timeout: 30_000 });
    expect(await shown.innerText()).toBe(given);
    expect(await page.getByTestId('gateway-url').innerText()).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
  });

  it('names the provider server in a chat error when it stops answering, not LiteLLM or the bridge address', async () => {
    const port = new URL(upstream.url).port;
    await upstream.stop();
    const chat = new ChatPage(shell);
    await chat.open(AGENT.slug);
    await chat.send('hello?');
    const error = page.getByTestId('chat-error');
    await error.waitFor({ state: 'visible', timeout: 120_000 });
    const text = await error.innerText();
    expect(text).toContain(`llama.cpp at 127.0.0.1:${port} is not answering`);
    const env = readFileSync(join(core.home, 'agents', agent.id, 'config', 'env'), 'utf8');
    const bridge = new URL(/^OPENAI_BASE_URL='([^']+)'$/m.exec(env)![1]!).host;
    expect(text).not.toContain(bridge);
    // LiteLLM's own text (the hint below may still point at the System page's LiteLLM section).
    expect(text).not.toMatch(/litellm\.|OpenAIException|APIConnectionError|InternalServerError/);
  });
});
