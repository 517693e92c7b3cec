// Waiting for a starting runtime: polls often at first and then less (each poll costs the container CPU inside its limit), still sees a stopped container.
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentRow, stubDeployer } from '../../../test/agents';
import { loadHarnesses } from '../harnesses';
import type { ContainerRuntime, RuntimeEndpoint } from '../runtimes/container-runtime';
import { DeployError, healthPollDelay, LIVENESS_CHECK_MS } from './deployer';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-test-readiness-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A runtime on 127.0.0.1 answering /health 503 until `readyAfterMs` after it listens, then 200; counts polls. */
async function fakeRuntime(readyAfterMs: number) {
  const t0 = Date.now();
  const polls: number[] = [];
  const server = http.createServer((req, res) => {
    polls.push(Date.now() - t0);
    res.writeHead(Date.now() - t0 >= readyAfterMs ? 200 : 503, { 'Content-Type': 'application/json' });
    res.end('{}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const endpoint: RuntimeEndpoint = {
    kind: 'tcp',
    host: '127.0.0.1',
    port: (server.address() as AddressInfo).port,
  };
  return { server, endpoint, polls, t0 };
}

/** A Deployer whose engine starts nothing and reports the container's state from `state()`. */
function deployer(endpoint: RuntimeEndpoint, state: () => 'running' | 'exited', inspects: number[]) {
  const t0 = Date.now();
  const rt = {
    kind: 'docker',
    start: () => Promise.resolve(),
    endpoint: () => Promise.resolve(endpoint),
    inspect: () => {
      inspects.push(Date.now() - t0);
      const s = state();
      return Promise.resolve({ state: s, exitCode: s === 'exited' ? 3 : null, labels: {} });
    },
  } as unknown as ContainerRuntime;
  return stubDeployer(dir, rt, { healthDeadlineMs: 20_000 });
}

describe('healthPollDelay', () => {
  it('polls every 25 ms for the first second, then less often, never more than 250 ms apart', () => {
    expect(healthPollDelay(0)).toBe(25);
    expect(healthPollDelay(999)).toBe(25);
    expect(healthPollDelay(1000)).toBe(25);
    expect(healthPollDelay(2500)).toBe(138);
    expect(healthPollDelay(4000)).toBe(250);
    expect(healthPollDelay(600_000)).toBe(250);
    for (let t = 0; t < 20_000; t += 100)
      expect(healthPollDelay(t + 100)).toBeGreaterThanOrEqual(healthPollDelay(t));
  });
});

describe('waiting for a starting runtime', () => {
  it('finds a quick runtime within its first polls (25 ms apart)', async () => {
    const rtm = await fakeRuntime(60);
    try {
      const started = Date.now();
      await deployer(rtm.endpoint, () => 'running', []).startContainer(
        agentRow('quick'),
        loadHarnesses().get('builtin')!,
        0.5,
        false,
      );
      // Ready at 60 ms: found by the poll after it, not a backed-off one (generous bound for a loaded machine).
      expect(Date.now() - started).toBeLessThan(1000);
      expect(rtm.polls.length).toBeGreaterThanOrEqual(2);
    } finally {
      rtm.server.close();
    }
  });

  it('asks a slow runtime far less often than every 25 ms, and finds it ready within 250 ms (plus a loaded machine)', async () => {
    const readyAfter = 4000;
    const rtm = await fakeRuntime(readyAfter);
    try {
      await deployer(rtm.endpoint, () => 'running', []).startContainer(
        agentRow('slow'),
        loadHarnesses().get('builtin')!,
        0.5,
        false,
      );
      const done = Date.now() - rtm.t0;
      // Every 25 ms would be ~160 polls in 4 s; the schedule makes about 40 + 31.
      expect(rtm.polls.length).toBeLessThan(100);
      expect(rtm.polls.length).toBeGreaterThan(20);
      expect(done).toBeGreaterThanOrEqual(readyAfter);
      expect(done - readyAfter).toBeLessThan(250 + 750);
    } finally {
      rtm.server.close();
    }
  });

  it('reports a container that stopped while starting within about a second, with its exit code', async () => {
    const rtm = await fakeRuntime(60_000);
    let stoppedAt = 0;
    const inspects: number[] = [];
    const d = deployer(
      rtm.endpoint,
      () => (stoppedAt && Date.now() >= stoppedAt ? 'exited' : 'running'),
      inspects,
    );
    try {
      const begun = Date.now();
      stoppedAt = begun + 2500;
      const err = await d
        .startContainer(agentRow('dies'), loadHarnesses().get('builtin')!, 0.5, false)
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DeployError);
      expect((err as Error).message).toMatch(/stopped while starting \(exit code 3\)/);
      expect(Date.now() - stoppedAt).toBeLessThan(LIVENESS_CHECK_MS + 250 + 1500);
      // Asked about once a second, not on every poll.
      expect(inspects.length).toBeGreaterThanOrEqual(2);
      expect(inspects.length).toBeLessThan(8);
    } finally {
      rtm.server.close();
    }
  });
});
