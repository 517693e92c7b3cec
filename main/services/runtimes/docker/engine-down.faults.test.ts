// Fault: the Docker engine stops while an agent runs (a private dockerd): the System view and `agentdesk status` say so within 5 s; on return the agent is reconciled.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Agent } from '../../../../contract/agents';
import type { HealthReport } from '../../../../contract/models';
import { addScriptedProvider, ensureRuntimeBundle, runtimeReachable, until } from '../../../../test/agents';
import { ensureBaseImage } from '../../../../test/base-image';
import { canRunDockerd, startPrivateDockerd } from '../../../../test/faults/private-dockerd';
import type { PrivateDockerd } from '../../../../test/faults/private-dockerd';
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
  canRunDockerd() && runtimeReachable('docker') && litellmInstalled(),
  'dockerd (root), the system Docker (for the base image) and LiteLLM',
);

/** `agentdesk status --json` against the running core: the docker line. */
async function statusDocker(home: string): Promise<{ state: string; detail: string }> {
  let out = '';
  const code = await statusCommand(
    { home, json: true },
    { write: (t: string) => (out += t) },
    { write: () => true },
  );
  expect(code).toBe(0);
  const report = JSON.parse(out) as { components: { name: string; state: string; detail: string }[] };
  return report.components.find((c) => c.name === 'docker')!;
}

describe.skipIf(skip)('fault: the Docker engine stops while an agent runs', () => {
  let engine: PrivateDockerd;
  let home: string;
  let upstream: ScriptedUpstream;
  let served: Served;
  let agent: Agent;
  /** Every `health.changed` the UI received, with when. */
  const health: { at: number; docker: string }[] = [];
  const dispatcher = () => served.core.dispatcher;
  const get = () => call(dispatcher(), 'agents', 'get', { id: agent.id });

  beforeAll(async () => {
    await ensureBaseImage(['docker']);
    ensureRuntimeBundle();
    engine = await startPrivateDockerd();
    engine.loadImage(BASE_IMAGE_REF);
    process.env.DOCKER_HOST = engine.host;
    process.env.AGENTDESK_KEY_SCRIPTED = REAL_KEY;
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-test-engine-'));
    upstream = await withModelApis(
      new ScriptedUpstream({ key: REAL_KEY, models: ['gpt-test-mini'] }),
    ).start();
    served = await serve({ home, port: 0 }); // the default health interval, as the app runs
    served.core.bus.on('health.changed', (r: HealthReport) =>
      health.push({ at: Date.now(), docker: r.components.find((c) => c.name === 'docker')!.state }),
    );
    await call(dispatcher(), 'settings', 'update', {
      container_runtime: 'docker',
      stop_agents_on_quit: false,
    });
    await addScriptedProvider(dispatcher(), upstream.v1);
    agent = await call(dispatcher(), 'agents', 'create', {
      name: `engine down ${crypto.randomBytes(3).toString('hex')}`,
      model: 'scripted/gpt-test-mini',
    });
    agent = await until(
      get,
      (x) => x.phase === 'running' || x.phase === 'failed',
      180_000,
      'the agent running',
    );
    expect(agent.phase_reason).toBeNull();
    expect((await statusDocker(home)).state).toBe('ok');
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
      delete process.env.DOCKER_HOST;
      delete process.env.AGENTDESK_KEY_SCRIPTED;
      if (home) fs.rmSync(home, { recursive: true, force: true });
    }
  }, 180_000);

  it('stopped: the System view (health.changed) and `agentdesk status` say so within 5 s', async () => {
    const t0 = Date.now();
    await engine.stop();
    const down = await until(
      () => health.find((h) => h.at >= t0 && h.docker !== 'ok') ?? null,
      (h) => h !== null,
      5000,
      'health.changed reporting Docker down',
    );
    expect(down!.docker).toBe('missing');
    const line = await until(
      () => statusDocker(home),
      (d) => d.state !== 'ok',
      5000,
      'agentdesk status',
    );
    expect(line.detail).toContain(engine.host.replace('unix://', ''));
    // The System data the UI reads says the same.
    const report = await call(dispatcher(), 'system', 'health', {});
    expect(report.components.find((c) => c.name === 'docker')!.state).toBe('missing');
    // Acting on the agent meanwhile fails with a clear error, and the core stays up.
    await expect(call(dispatcher(), 'agents', 'logs', { id: agent.id, tail: 5 })).rejects.toMatchObject({
      code: 'UNAVAILABLE',
    });
    expect((await call(dispatcher(), 'system', 'info', {})).pid).toBe(process.pid);
  }, 60_000);

  it('back: health says ok again and the agent is reconciled with what the engine reports; it starts again', async () => {
    const t0 = Date.now();
    await engine.start();
    await until(
      () => health.find((h) => h.at >= t0 && h.docker === 'ok') ?? null,
      (h) => h !== null,
      10_000,
      'health.changed reporting Docker back',
    );
    // dockerd stopped the container when it shut down: the agent is no longer shown as running.
    expect(engine.docker('inspect', '-f', '{{.State.Running}}', agent.container)).toBe('false');
    const settled = await until(
      get,
      (a) => a.phase === 'stopped' || a.phase === 'failed',
      60_000,
      'the agent reconciled',
    );
    expect(settled.phase).toBe('stopped');
    // Told by the engine's last events, or found by the reconciliation once it answered again.
    expect(settled.phase_reason).toMatch(/stopped outside Agent Desk|Stopped while docker was not reachable/);
    expect(settled.runtime_port).toBeNull();
    const started = await call(dispatcher(), 'agents', 'start', { id: agent.id });
    expect(started.phase).toBe('running');
    expect(engine.docker('inspect', '-f', '{{.State.Running}}', agent.container)).toBe('true');
    const res = await fetch(`http://127.0.0.1:${started.runtime_port}/health`);
    expect(res.ok).toBe(true);
  }, 180_000);

  it('down when the core starts: agents are reconciled once the engine answers', async () => {
    await served.stop(); // stop_agents_on_quit is off: the agent keeps running without a core
    await engine.stop(); // … until the engine stops it, unseen by any core
    served = await serve({ home, port: 0 });
    expect((await get()).phase).toBe('running'); // what the DB last knew; health says the engine is down
    const down = await until(
      () => statusDocker(home),
      (d) => d.state !== 'ok',
      5000,
      'agentdesk status',
    );
    expect(down.state).toBe('missing');
    await engine.start();
    const settled = await until(get, (a) => a.phase !== 'running', 60_000, 'the agent reconciled');
    expect(settled.phase).toBe('stopped');
    expect(settled.phase_reason).toBe('Stopped while docker was not reachable');
    expect((await call(dispatcher(), 'agents', 'start', { id: agent.id })).phase).toBe('running');
  }, 180_000);
});
