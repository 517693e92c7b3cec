// E2E: egress in Chromium against `agentdesk serve` with an agent in Docker: a refused connection in its trace pane, "Allow …", the Network pane.
import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Agent } from '../../contract/agents';
import { runtimeReachable } from '../../test/agents';
import { PORTS, dropDockerNetwork, outsideWorld } from '../../test/egress-world';
import type { OutsideWorld } from '../../test/egress-world';
import type { ScriptedUpstream } from '../../test/fixtures/scripted-upstream';
import { litellmInstalled } from '../../test/llm-stack';
import { skipUnlessReal } from '../../test/real';
import { callCore } from '../fixtures/core-api';
import { assertPrerequisites, shouldRunE2e } from '../fixtures/paths';
import type { ServedCore } from '../fixtures/serve';
import { waitUntil } from '../fixtures/wait';
import { startAgentStack } from '../fixtures/agent-stack';
import { openUi } from '../fixtures/ui';
import type { UiSession } from '../fixtures/ui';
import { EgressPage } from '../pages/egress-page';

const execFileAsync = promisify(execFile);
const KEY = `sk-e2e-egress-${randomBytes(12).toString('hex')}`;
const NAME = `agentdesk-test-egress-${randomBytes(3).toString('hex')}`;
/** Its own agents' bridge, so cores of other data dirs on this machine keep theirs untouched. */
const NETWORK = `${NAME}-net`;

const skip =
  !shouldRunE2e() ||
  skipUnlessReal(runtimeReachable('docker'), 'Docker (scripts/bootstrap-linux.sh)') ||
  skipUnlessReal(litellmInstalled(), 'LiteLLM (.venv/litellm, from scripts/bootstrap-linux.sh)') ||
  skipUnlessReal(process.getuid?.() === 0, 'root (egress rules)');

/** `curl` from inside the agent's container: the body, or `refused`. */
async function curl(container: string, url: string): Promise<string> {
  try {
    return (await execFileAsync('docker', ['exec', container, 'curl', '-sS', '-m', '3', url])).stdout.trim();
  } catch {
    return 'refused';
  }
}

describe.skipIf(skip)('egress in Chromium against agentdesk serve, with an agent in Docker', () => {
  let core: ServedCore;
  let upstream: ScriptedUpstream;
  let world: OutsideWorld;
  let ui: UiSession | undefined;
  let egress: EgressPage;
  let agent: Agent;
  let pageErrors: string[] = [];

  beforeAll(async () => {
    assertPrerequisites();
    world = await outsideWorld();
    ({ core, upstream, agent } = await startAgentStack(KEY, NAME, {
      AGENTDESK_EGRESS_DNS: world.dns,
      AGENTDESK_DOCKER_NETWORK: NETWORK,
    }));
    ui = await openUi({ url: core.url });
    ({ pageErrors } = ui);
    const shell = ui.shell;
    egress = new EgressPage(shell);
  }, 600_000);

  afterAll(async () => {
    await ui?.close();
    if (core && agent) await callCore(core, 'agents.purge', { id: agent.id }).catch(() => undefined);
    await core?.stop(20_000);
    await upstream?.stop();
    world?.close();
    if (agent) execFileSync('docker', ['rm', '-f', agent.container], { stdio: 'ignore' });
    dropDockerNetwork(NETWORK);
  });

  it('a refused connection shows in the agent’s trace pane; "Allow" opens it for the running agent', async () => {
    expect(agent.egress).toMatchObject({ mode: 'none', enforced: true });
    const target = `${world.a}:${PORTS.tcp}`;
    expect(await curl(agent.container, `http://${target}/`)).toBe('refused');
    await egress.openTrace(agent.slug);
    const row = egress.refusal(`refused tcp ${target}`);
    await row.waitFor({ state: 'visible', timeout: 20_000 });
    expect(await egress.allowFrom(row)).toBe(`Allow ${target}`);
    const after = await callCore<Agent>(core, 'agents.get', { id: agent.id });
    expect(after.egress).toMatchObject({ mode: 'allowlist', allow: [target] });
    await waitUntil(
      async () => (await curl(agent.container, `http://${target}/`)) === `A:${PORTS.tcp}`,
      10_000,
      'the allowed host',
    );
  });

  it('the Network pane shows the policy and saves a new mode, applied at once', async () => {
    const pane = await egress.openNetwork(agent.slug);
    await expect.poll(() => pane.getByTestId('egress-entry').count()).toBe(1);
    expect(await curl(agent.container, `http://${world.b}:${PORTS.tcp}/`)).toBe('refused');
    await pane.getByTestId('egress-pane-mode-open').check();
    await pane.getByTestId('egress-save').click();
    await pane.getByTestId('egress-saved').waitFor({ state: 'visible' });
    expect((await callCore<Agent>(core, 'agents.get', { id: agent.id })).egress.mode).toBe('open');
    expect(await curl(agent.container, `http://${world.b}:${PORTS.tcp}/`)).toBe(`B:${PORTS.tcp}`);
    // A bad entry is refused as it is typed, with why.
    await pane.getByTestId('egress-add-input').fill('169.254.169.254');
    await expect.poll(() => pane.getByTestId('egress-pane-allow-error').innerText()).toMatch(/link-local/);
    expect(await pane.getByTestId('egress-add').isDisabled()).toBe(true);
    expect(pageErrors).toEqual([]);
  });
});
