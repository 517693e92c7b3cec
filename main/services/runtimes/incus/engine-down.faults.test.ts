// Fault: the Incus daemon stops while an agent runs (a private incusd): the System view and `agentdesk status` say so within 5 s; on return the agent is reconciled.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runtimeReachable, runtimeRequest, until } from '../../../../test/agents';
import { ensureBaseImage } from '../../../../test/base-image';
import { startEngineStack } from '../../../../test/faults/engine-stack';
import type { EngineStack } from '../../../../test/faults/engine-stack';
import { canRunIncusd, startPrivateIncusd } from '../../../../test/faults/private-incusd';
import type { PrivateIncusd } from '../../../../test/faults/private-incusd';
import { litellmInstalled } from '../../../../test/llm-stack';
import { skipUnlessReal } from '../../../../test/real';
import { call } from '../../../transport/dispatch';
import { BASE_IMAGE_REF } from '../../images/base-image';

const skip = skipUnlessReal(
  canRunIncusd() && runtimeReachable('incus') && litellmInstalled(),
  'incusd (root), the system Incus (for the base image) and LiteLLM',
);

describe.skipIf(skip)('fault: the Incus daemon stops while an agent runs', () => {
  let engine: PrivateIncusd;
  let stack: EngineStack;

  beforeAll(async () => {
    await ensureBaseImage(['incus']);
    engine = await startPrivateIncusd();
    engine.copyImage(BASE_IMAGE_REF);
    stack = await startEngineStack('incus', { INCUS_DIR: engine.dir });
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
      'health.changed reporting Incus down',
    );
    // While the daemon shuts down its socket may still accept and not answer (`error`, "did not
    // answer"); once it has exited, the probe finds nothing there (`missing`).
    expect(['missing', 'error']).toContain(down!.state);
    await until(
      () => stack.health.find((h) => h.at >= t0 && h.state === 'missing') ?? null,
      (h) => h !== null,
      10_000,
      'health.changed reporting Incus gone',
    );
    const line = await until(
      () => stack.status(),
      (d) => d.state !== 'ok',
      30_000,
      'agentdesk status',
    );
    expect(line.detail).toContain(engine.dir);
    const report = await call(stack.dispatcher(), 'system', 'health', {});
    expect(report.components.find((c) => c.name === 'incus')!.state).toBe('missing');
    await expect(
      call(stack.dispatcher(), 'agents', 'logs', { id: stack.agent.id, tail: 5 }),
    ).rejects.toMatchObject({
      code: 'UNAVAILABLE',
    });
  }, 60_000);

  it('back: health says ok again; the container Incus kept running is still the running agent, and it answers', async () => {
    const t0 = Date.now();
    await engine.start();
    await until(
      () => stack.health.find((h) => h.at >= t0 && h.state === 'ok') ?? null,
      (h) => h !== null,
      10_000,
      'health.changed reporting Incus back',
    );
    expect(engine.incus('list', stack.agent.container, '-f', 'csv', '-c', 's')).toBe('RUNNING');
    const now = await stack.get();
    expect(now.phase).toBe('running');
    const res = await until(
      () =>
        runtimeRequest({ home: stack.home, agent: now }, '/health').then(
          (r) => r.status,
          () => 0,
        ),
      (st) => st === 200,
      30_000,
      'the agent runtime through its proxy device (a unix socket)',
    );
    expect(res).toBe(200);
  }, 180_000);
});
