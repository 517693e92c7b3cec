// Test fixture: an in-process core (startCore) on a fresh data dir with the scripted provider added and LiteLLM ready.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startCore } from '../main/app/bootstrap';
import type { Core } from '../main/app/bootstrap';
import type { RuntimeKind } from '../main/services/runtimes/container-runtime';
import { call } from '../main/transport/dispatch';
import { addScriptedProvider, purgeAll, until } from './agents';
import { withModelApis } from './fixtures/scripted-llm';
import { ScriptedUpstream } from './fixtures/scripted-upstream';
import { REAL_KEY } from './llm-stack';
import { testOptions } from './app-options';

/** A running core with the provider `scripted` (model `scripted/gpt-test-mini`) served by LiteLLM. */
export interface ScriptedCore {
  home: string;
  core: Core;
  upstream: ScriptedUpstream;
  /** Purges every agent, shuts the core down, stops the upstream, forgets the key, removes the data dir. */
  close: () => Promise<void>;
  /**
   * Shuts the core down and starts a new one on the same data dir and environment (the agents run on or
   * stop per `stop_agents_on_quit`); `core` is the new one, and LiteLLM is ready (120 s at most).
   */
  restart: () => Promise<Core>;
}

/**
 * Starts the scripted upstream (key {@link REAL_KEY}, given to the core only as AGENTDESK_KEY_SCRIPTED),
 * a headless core on `<tmp>/<prefix>…` with `container_runtime` = `runtime`, adds the provider and waits
 * for LiteLLM (120 s at most). `env`: more variables of the core's environment (this process's, never changed).
 */
export async function startScriptedCore(
  prefix: string,
  runtime: RuntimeKind = 'docker',
  env: Record<string, string> = {},
): Promise<ScriptedCore> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const upstream = await withModelApis(
    new ScriptedUpstream({ key: REAL_KEY, models: ['gpt-test-mini'] }),
  ).start();
  const start = () =>
    startCore({
      home,
      app: testOptions({ ...env, AGENTDESK_KEY_SCRIPTED: REAL_KEY }),
      mode: 'headless',
      healthIntervalMs: 0,
    });
  const first = await start();
  await call(first.dispatcher, 'settings', 'update', { container_runtime: runtime });
  await addScriptedProvider(first.dispatcher, upstream.v1);
  const stack: ScriptedCore = {
    home,
    core: first,
    upstream,
    close: async () => {
      try {
        await purgeAll(stack.core.dispatcher);
        await stack.core.shutdown();
      } finally {
        await upstream.stop();
        fs.rmSync(home, { recursive: true, force: true });
      }
    },
    restart: async () => {
      await stack.core.shutdown();
      stack.core = await start();
      await until(
        () => call(stack.core.dispatcher, 'llm', 'status', {}),
        (s) => s.litellm.state === 'ready',
        120_000,
        'LiteLLM after the restart',
      );
      return stack.core;
    },
  };
  return stack;
}
