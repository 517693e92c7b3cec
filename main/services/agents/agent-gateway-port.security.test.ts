// Attacker test: while the core is down, another process squats the gateway port a running Incus agent calls; the next core never sends it an agent's request.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ensureBaseImage } from '../../../test/base-image';
import {
  addScriptedProvider,
  ensureRuntimeBundle,
  purgeAll,
  runtimeReachable,
  until,
} from '../../../test/agents';
import { withModelApis } from '../../../test/fixtures/scripted-llm';
import { ScriptedUpstream } from '../../../test/fixtures/scripted-upstream';
import { litellmInstalled, REAL_KEY } from '../../../test/llm-stack';
import { skipUnlessReal } from '../../../test/real';
import { squat } from '../../../test/squatter';
import type { Squatter } from '../../../test/squatter';
import { startCore } from '../../app/bootstrap';
import type { Core } from '../../app/bootstrap';
import { call } from '../../transport/dispatch';
import { resolveOptions } from '../../platform/paths';

/** The environment of the cores this file starts: this process's, plus what the tests set (never the global one). */
const coreEnv: NodeJS.ProcessEnv = { ...process.env };

const skip = skipUnlessReal(runtimeReachable('incus') && litellmInstalled(), 'Incus and LiteLLM');

function incusState(name: string): string {
  const list = JSON.parse(
    execFileSync('incus', ['list', `^${name}$`, '--format', 'json'], { encoding: 'utf8' }),
  ) as { status: string }[];
  return list[0]?.status.toLowerCase() ?? 'missing';
}

describe.skipIf(skip)('the gateway port squatted while the core was down (Incus agent left running)', () => {
  let home: string;
  let upstream: ScriptedUpstream;
  let core: Core | null = null;
  let squatter: Squatter | null = null;

  afterAll(async () => {
    await squatter?.stop();
    if (core) {
      await purgeAll(core.dispatcher);
      await core.shutdown();
    }
    await upstream?.stop();
    delete coreEnv.AGENTDESK_KEY_SCRIPTED;
    if (home) fs.rmSync(home, { recursive: true, force: true });
  });

  it('the core reports who holds the port, cuts the agent off, refuses to start it, and the squatter gets nothing', async () => {
    await ensureBaseImage(['incus']);
    ensureRuntimeBundle();
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-sec-port-'));
    upstream = await withModelApis(
      new ScriptedUpstream({ key: REAL_KEY, models: ['gpt-test-mini'] }),
    ).start();
    coreEnv.AGENTDESK_KEY_SCRIPTED = REAL_KEY;

    // First run: an Incus agent, kept running when the core quits.
    core = await startCore({ home, app: resolveOptions(coreEnv), mode: 'headless', healthIntervalMs: 0 });
    await call(core.dispatcher, 'settings', 'update', {
      container_runtime: 'incus',
      stop_agents_on_quit: false,
    });
    await addScriptedProvider(core.dispatcher, upstream.v1);
    const created = await call(core.dispatcher, 'agents', 'create', {
      name: `Port squat ${Date.now() % 100000}`,
      model: 'scripted/gpt-test-mini',
      memory_mib: 512,
      cpus: 1,
    });
    const running = await until(
      () => call(core!.dispatcher, 'agents', 'get', { id: created.id }),
      (a) => a.phase === 'running' || a.phase === 'failed',
      240_000,
      'the agent to run',
    );
    expect(running.phase, running.phase_reason ?? '').toBe('running');
    const port = (await call(core.dispatcher, 'llm', 'status', {})).gateway.port!;
    await core.shutdown();
    core = null;
    expect(incusState(running.container)).toBe('running');

    // While no core runs, another program takes the port the agent's Incus proxy device forwards to.
    squatter = await squat(port);

    // Second run.
    core = await startCore({ home, app: resolveOptions(coreEnv), mode: 'headless', healthIntervalMs: 0 });
    const health = await call(core.dispatcher, 'system', 'health', { refresh: true });
    const gw = health.components.find((c) => c.name === 'gateway')!;
    expect(gw.state).toBe('error');
    expect(gw.detail).toContain(`Port ${port} on 127.0.0.1 is used by process ${squatter.child.pid}`);
    expect(gw.fix).toContain(`kill ${squatter.child.pid}`);

    // The agent that was calling that port is stopped and its key revoked.
    const cut = await until(
      () => call(core!.dispatcher, 'agents', 'get', { id: created.id }),
      (a) => a.phase === 'failed',
      60_000,
      'the agent to be cut off',
    );
    expect(cut.phase_reason).toContain(`gateway port ${port}`);
    expect(cut.key_prefix).toBeNull();
    expect(incusState(running.container)).not.toBe('running');

    // Starting it is refused while the port is held; nothing reaches the squatter.
    await call(core.dispatcher, 'agents', 'start', { id: created.id });
    const refused = await call(core.dispatcher, 'agents', 'get', { id: created.id });
    expect(refused.phase).toBe('failed');
    expect(refused.phase_reason).toContain('The gateway is not listening');
    await expect(
      call(core.dispatcher, 'agents', 'chat', { id: created.id, text: 'hello' }),
    ).rejects.toThrow();
    expect(squatter.requests).toEqual([]);

    // Recovery: the user stops the squatter; the gateway takes its port back and the agent starts again.
    await squatter.stop();
    await until(
      () => call(core!.dispatcher, 'llm', 'status', {}),
      (st) => st.gateway.state === 'listening' && st.gateway.port === port,
      15_000,
      'the gateway to take its port back',
    );
    await until(
      () => call(core!.dispatcher, 'llm', 'status', {}),
      (st) => st.litellm.state === 'ready',
      180_000,
      'LiteLLM (the agent is verified through it)',
    );
    await call(core.dispatcher, 'agents', 'start', { id: created.id });
    const again = await until(
      () => call(core!.dispatcher, 'agents', 'get', { id: created.id }),
      (a) => a.phase === 'running' || a.phase === 'failed',
      240_000,
      'the agent to run again',
    );
    expect(again.phase, again.phase_reason ?? '').toBe('running');
    expect(again.key_prefix).not.toBeNull();
  }, 900_000);
});
