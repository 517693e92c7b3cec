// Fault: the Docker engine stops while an agent runs (a private dockerd): the System view and `agentdesk status` say so within 5 s; on return the agent is reconciled.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runtimeReachable, runtimeRequest, until } from '../../../../test/agents';
import { ensureBaseImage } from '../../../../test/base-image';
import { startEngineStack } from '../../../../test/faults/engine-stack';
import type { EngineStack } from '../../../../test/faults/engine-stack';
import { canRunDockerd, startPrivateDockerd } from '../../../../test/faults/private-dockerd';
import type { PrivateDockerd } from '../../../../test/faults/private-dockerd';
import { litellmInstalled } from '../../../../test/llm-stack';
import { skipUnlessReal } from '../../../../test/real';
import { call } from '../../../transport/dispatch';
import { BASE_IMAGE_REF } from '../../images/base-image';

const skip = skipUnlessReal(
  canRunDockerd() && runtimeReachable('docker') && litellmInstalled(),
  'dockerd (root), the system Docker (for the base image) and LiteLLM',
);

describe.skipIf(skip)('fault: the Docker engine stops while an agent runs', () => {
  let engine: PrivateDockerd;
  let stack: EngineStack;

  beforeAll(async () => {
    await ensureBaseImage(['docker']);
    engine = await startPrivateDockerd();
    engine.loadImage(BASE_IMAGE_REF);
    stack = await startEngineStack('docker', { DOCKER_HOST: engine.host });
  }, 600_000);

  afterAll(async () => {
    try {
      await stack?.close();
    } finally {
      await engine?.remove();
    }
  }, 180_000);

  it('stopped: the System view (health.changed) and `agentdesk status` say so within 5 s', async () => {
    const t0 = Date.now();
    await engine.stop();
    const down = await until(
      () => stack.health.find((h) => h.at >= t0 && h.state !== 'ok') ?? null,
      (h) => h !== null,
      30_000,
      'health.changed reporting Docker down',
    );
    // While the daemon shuts down its socket may still accept and not answer (`error`, "did not
    // answer"); once it has exited, the probe finds nothing there (`missing`).
    expect(['missing', 'error']).toContain(down!.state);
    await until(
      () => stack.health.find((h) => h.at >= t0 && h.state === 'missing') ?? null,
      (h) => h !== null,
      10_000,
      'health.changed reporting Docker gone',
    );
    const line = await until(
      () => stack.status(),
      (d) => d.state !== 'ok',
      30_000,
      'agentdesk status',
    );
    expect(line.detail).toContain(engine.host.replace('unix://', ''));
    // The System data the UI reads says the same.
    const report = await call(stack.dispatcher(), 'system', 'health', {});
    expect(report.components.find((c) => c.name === 'docker')!.state).toBe('missing');
    // Acting on the agent meanwhile fails with a clear error, and the core stays up.
    await expect(
      call(stack.dispatcher(), 'agents', 'logs', { id: stack.agent.id, tail: 5 }),
    ).rejects.toMatchObject({
      code: 'UNAVAILABLE',
    });
    expect((await call(stack.dispatcher(), 'system', 'info', {})).pid).toBe(process.pid);
  }, 60_000);

  it('back: health says ok again and the agent is reconciled with what the engine reports; it starts again', async () => {
    const t0 = Date.now();
    await engine.start();
    await until(
      () => stack.health.find((h) => h.at >= t0 && h.state === 'ok') ?? null,
      (h) => h !== null,
      10_000,
      'health.changed reporting Docker back',
    );
    // dockerd stopped the container when it shut down: the agent is no longer shown as running.
    expect(engine.docker('inspect', '-f', '{{.State.Running}}', stack.agent.container)).toBe('false');
    const settled = await until(
      stack.get,
      (a) => a.phase === 'stopped' || a.phase === 'failed',
      60_000,
      'the agent reconciled',
    );
    expect(settled.phase).toBe('stopped');
    // Told by the engine's last events, or found by the reconciliation once it answered again.
    expect(settled.phase_reason).toMatch(/stopped outside Agent Desk|Stopped while docker was not reachable/);
    expect(settled.runtime_endpoint).toBeNull();
    const started = await call(stack.dispatcher(), 'agents', 'start', { id: stack.agent.id });
    expect(started.phase).toBe('running');
    expect(engine.docker('inspect', '-f', '{{.State.Running}}', stack.agent.container)).toBe('true');
    const res = await runtimeRequest({ home: stack.home, agent: started }, '/health');
    expect(res.ok).toBe(true);
  }, 180_000);

  it('down when the core starts: agents are reconciled once the engine answers', async () => {
    await stack.served.stop(); // stop_agents_on_quit is off: the agent keeps running without a core
    await engine.stop(); // … until the engine stops it, unseen by any core
    await stack.restart();
    expect((await stack.get()).phase).toBe('running'); // what the DB last knew; health says the engine is down
    const down = await until(
      () => stack.status(),
      (d) => d.state !== 'ok',
      30_000,
      'agentdesk status',
    );
    expect(down.state).toBe('missing');
    await engine.start();
    const settled = await until(stack.get, (a) => a.phase !== 'running', 60_000, 'the agent reconciled');
    expect(settled.phase).toBe('stopped');
    expect(settled.phase_reason).toBe('Stopped while docker was not reachable');
    expect((await call(stack.dispatcher(), 'agents', 'start', { id: stack.agent.id })).phase).toBe('running');
  }, 180_000);
});
