// Test fixture for the engine-down faults: a served core with one running agent on a private dockerd or incusd.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'vitest';
import type { Agent } from '../../contract/agents';
import type { HealthReport } from '../../contract/health';
import { serve } from '../../main/cli/serve';
import type { Served } from '../../main/cli/serve';
import { statusCommand } from '../../main/cli/status';
import type { RuntimeKind } from '../../main/services/runtimes/container-runtime';
import { call } from '../../main/transport/dispatch';
import { addScriptedProvider, ensureRuntimeBundle, until } from '../agents';
import { withModelApis } from '../fixtures/scripted-llm';
import { ScriptedUpstream } from '../fixtures/scripted-upstream';
import { REAL_KEY } from '../llm-stack';
import { testOptions } from '../app-options';

/** A running core (`agentdesk serve` in-process) with one agent on `kind`, and what the UI saw. */
export interface EngineStack {
  home: string;
  served: Served;
  agent: Agent;
  /** Every `health.changed` received, with when and the engine's state. */
  health: { at: number; state: string }[];
  dispatcher: () => Served['core']['dispatcher'];
  /** `agents.get` of the agent. */
  get: () => Promise<Agent>;
  /** `agentdesk status --json` against the running core: the engine's line. */
  status: () => Promise<{ state: string; detail: string }>;
  /** Starts the core again on the same data dir (the previous one must be stopped). */
  restart: () => Promise<void>;
  /** Purges the agent, stops the core and the upstream, unsets the engine's env vars, removes the data dir. */
  close: () => Promise<void>;
}

/**
 * Points the core at a private engine through `env` (e.g. `{DOCKER_HOST: …}` or `{INCUS_DIR: …}`),
 * starts it with the scripted provider, and deploys one agent until it runs (180 s at most).
 * `stop_agents_on_quit` is off, so the agent outlives a core restart.
 * @throws when the agent does not reach `running`.
 */
export async function startEngineStack(kind: RuntimeKind, env: Record<string, string>): Promise<EngineStack> {
  ensureRuntimeBundle();
  Object.assign(process.env, env, { AGENTDESK_KEY_SCRIPTED: REAL_KEY });
  const home = fs.mkdtempSync(path.join(os.tmpdir(), `agentdesk-test-${kind}-down-`));
  const upstream = await withModelApis(
    new ScriptedUpstream({ key: REAL_KEY, models: ['gpt-test-mini'] }),
  ).start();
  const health: EngineStack['health'] = [];
  const start = async (): Promise<Served> => {
    const s = await serve({ home, app: testOptions(), port: 0 }); // the default health interval, as the app runs
    s.core.bus.on('health.changed', (r: HealthReport) =>
      health.push({ at: Date.now(), state: r.components.find((c) => c.name === kind)!.state }),
    );
    return s;
  };
  const stack: EngineStack = {
    home,
    served: await start(),
    agent: undefined as unknown as Agent,
    health,
    dispatcher: () => stack.served.core.dispatcher,
    get: () => call(stack.dispatcher(), 'agents', 'get', { id: stack.agent.id }),
    status: async () => {
      let out = '';
      const code = await statusCommand(
        { home, json: true },
        { write: (t: string) => (out += t) },
        { write: () => true },
      );
      expect(code).toBe(0);
      const report = JSON.parse(out) as { components: { name: string; state: string; detail: string }[] };
      return report.components.find((c) => c.name === kind)!;
    },
    restart: async () => {
      stack.served = await start();
    },
    close: async () => {
      try {
        await call(stack.dispatcher(), 'agents', 'purge', { id: stack.agent.id }).catch(() => {});
        await stack.served.stop();
      } finally {
        await upstream.stop();
        for (const k of Object.keys(env)) delete process.env[k];
        delete process.env.AGENTDESK_KEY_SCRIPTED;
        fs.rmSync(home, { recursive: true, force: true });
      }
    },
  };
  await call(stack.dispatcher(), 'settings', 'update', {
    container_runtime: kind,
    stop_agents_on_quit: false,
  });
  await addScriptedProvider(stack.dispatcher(), upstream.v1);
  stack.agent = await call(stack.dispatcher(), 'agents', 'create', {
    name: `${kind} down ${crypto.randomBytes(3).toString('hex')}`,
    model: 'scripted/gpt-test-mini',
  });
  stack.agent = await until(
    stack.get,
    (x) => x.phase === 'running' || x.phase === 'failed',
    180_000,
    'the agent running',
  );
  expect(stack.agent.phase_reason, stack.agent.failed_log.join('\n')).toBeNull();
  expect((await stack.status()).state).toBe('ok');
  return stack;
}
