// Fault: the Incus daemon stops while an agent runs (a private incusd): the System view and `agentdesk status` say so within 5 s; on return the agent is reconciled.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Agent } from '../../../../contract/agents';
import type { HealthReport } from '../../../../contract/models';
import { addScriptedProvider, ensureRuntimeBundle, runtimeReachable, until } from '../../../../test/agents';
import { ensureBaseImage } from '../../../../test/base-image';
import { canRunIncusd, startPrivateIncusd } from '../../../../test/faults/private-incusd';
import type { PrivateIncusd } from '../../../../test/faults/private-incusd';
import { withModelApis } from '../../../../test/fixtures/scripted-llm';
import { ScriptedUpstream } from '../../../../test/fixtures/scripted-upstream';
import { litellmInstalled, REAL_KEY } from '../../../../test/llm-stack';
import { skipUnlessReal } from '../../../../test/real';
import { serve } from '../../../cli/serve';
import type { Served } from '../../../cli/serve';
import { statusCommand } from '../../../cli/status';
import { call } from '../../../transport/dispatch';
import { BASE_IMAGE_REF } from '../../images/base-image';

const skip = skipUnlessReal(
  canRunIncusd() && runtimeReachable('incus') && litellmInstalled(),
  'incusd (root), the system Incus (for the base image) and LiteLLM',
);

/** `agentdesk status --json` against the running core: the incus line. */
async function statusIncus(home: string): Promise<{ state: string; detail: string }> {
  let out = '';
  const code = await statusCommand(
    { home, json: true },
    { write: (t: string) => (out += t) },
    { write: () => true },
  );
  expect(code).toBe(0);
  const report = JSON.parse(out) as { components: { name: string; state: string; detail: string }[] };
  return report.components.find((c) => c.name === 'incus')!;
}

describe.skipIf(skip)('fault: the Incus daemon stops while an agent runs', () => {
  let engine: PrivateIncusd;
  let home: string;
  let upstream: ScriptedUpstream;
  let served: Served;
  let agent: Agent;
  /** Every `health.changed` the UI received, with when. */
  const health: { at: number; incus: string }[] = [];
  const dispatcher = () => served.core.dispatcher;
  const get = () => call(dispatcher(), 'agents', 'get', { id: agent.id });

  beforeAll(async () => {
    await ensureBaseImage(['incus']);
    ensureRuntimeBundle();
    engine = await startPrivateIncusd();
    engine.copyImage(BASE_IMAGE_REF);
    process.env.INCUS_DIR = engine.dir;
    process.env.AGENTDESK_KEY_SCRIPTED = REAL_KEY;
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-test-incus-down-'));
    upstream = await withModelApis(
      new ScriptedUpstream({ key: REAL_KEY, models: ['gpt-test-mini'] }),
    ).start();
    served = await serve({ home, port: 0 }); // the default health interval, as the app runs
    served.core.bus.on('health.changed', (r: HealthReport) =>
      health.push({ at: Date.now(), incus: r.components.find((c) => c.name === 'incus')!.state }),
    );
    await call(dispatcher(), 'settings', 'update', {
      container_runtime: 'incus',
      stop_agents_on_quit: false,
    });
    await addScriptedProvider(dispatcher(), upstream.v1);
    agent = await call(dispatcher(), 'agents', 'create', {
      name: `incus down ${crypto.randomBytes(3).toString('hex')}`,
      model: 'scripted/gpt-test-mini',
    });
    agent = await until(
      get,
      (x) => x.phase === 'running' || x.phase === 'failed',
      180_000,
      'the agent running',
    );
    expect(agent.phase_reason, agent.failed_log.join('\n')).toBeNull();
    expect((await statusIncus(home)).state).toBe('ok');
  }, 600_000);

  afterAll(async () => {
    try {
      if (served) {
        await call(dispatcher(), 'agents', 'purge', { id: agent.id }).catch(() => {});
        await served.stop();
      }
    } finally {
      await upstream?.stop();
      await engine?.remove();
      delete process.env.INCUS_DIR;
      delete process.env.AGENTDESK_KEY_SCRIPTED;
      if (home) fs.rmSync(home, { recursive: true, force: true });
    }
  }, 180_000);

  it('stopped: the System view (health.changed) and `agentdesk status` say so within 5 s', async () => {
    const t0 = Date.now();
    await engine.stop();
    const down = await until(
      () => health.find((h) => h.at >= t0 && h.incus !== 'ok') ?? null,
      (h) => h !== null,
      5000,
      'health.changed reporting Incus down',
    );
    expect(down!.incus).toBe('missing');
    const line = await until(
      () => statusIncus(home),
      (d) => d.state !== 'ok',
      5000,
      'agentdesk status',
    );
    expect(line.detail).toContain(engine.dir);
    const report = await call(dispatcher(), 'system', 'health', {});
    expect(report.components.find((c) => c.name === 'incus')!.state).toBe('missing');
    await expect(call(dispatcher(), 'agents', 'logs', { id: agent.id, tail: 5 })).rejects.toMatchObject({
      code: 'UNAVAILABLE',
    });
  }, 60_000);

  it('back: health says ok again; the container Incus kept running is still the running agent, and it answers', async () => {
    const t0 = Date.now();
    await engine.start();
    await until(
      () => health.find((h) => h.at >= t0 && h.incus === 'ok') ?? null,
      (h) => h !== null,
      10_000,
      'health.changed reporting Incus back',
    );
    expect(engine.incus('list', agent.container, '-f', 'csv', '-c', 's')).toBe('RUNNING');
    const now = await get();
    expect(now.phase).toBe('running');
    const port = now.runtime_port!;
    const res = await until(
      () =>
        fetch(`http://127.0.0.1:${port}/health`).then(
          (r) => r.status,
          () => 0,
        ),
      (st) => st === 200,
      30_000,
      'the agent runtime through its proxy device',
    );
    expect(res).toBe(200);
  }, 180_000);
});
