// IncusRuntime against a two-member Incus cluster on this machine (two incusd in two network namespaces): members, placement on a chosen member or by Incus, the tunnel to a container on the other member.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canRunRemoteIncus, httpOverSocket, startRemoteIncus } from '../../../../test/remote-incus';
import type { RemoteIncus } from '../../../../test/remote-incus';
import { skipUnlessReal } from '../../../../test/real';
import { LABELS } from '../container-runtime';
import type { ContainerSpec } from '../container-runtime';
import type { EngineTarget } from '../engine-target';
import { IncusRuntime } from './incus-runtime';
import { addIncusRemote } from './incus-remote';
import { buildTestImage } from './incus-test-image';

const suffix = crypto.randomBytes(4).toString('hex');
const ref = `agentdesk-test/cluster-${suffix}:1`;
const placed = `agentdesk-cl-${suffix}-a`;
const chosen = `agentdesk-cl-${suffix}-b`;
const perAgent = `agentdesk-cl-${suffix}-c`;

describe.skipIf(
  skipUnlessReal(
    canRunRemoteIncus(),
    'root, Debian incusd and ip netns (a two-member Incus cluster in namespaces)',
  ),
)('IncusRuntime on a two-member Incus cluster', () => {
  let cluster: RemoteIncus;
  let target: Extract<EngineTarget, { kind: 'incus'; transport: 'https' }>;
  let dir = '';
  const runtimes: IncusRuntime[] = [];
  const runtime = (member: string | null): IncusRuntime => {
    const rt = new IncusRuntime({
      env: {},
      remote: { target: { ...target, member }, socketDir: path.join(dir, `run-${runtimes.length}`) },
    });
    runtimes.push(rt);
    return rt;
  };

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-test-rincus-cl-'));
    cluster = await startRemoteIncus({ members: 2 });
    target = await addIncusRemote({
      url: cluster.url,
      token: cluster.trustToken('agentdesk-test'),
      certFolder: path.join(dir, 'incus-client'),
    });
    const image = buildTestImage(dir);
    await runtime(null).importImage(ref, { rootfs: image.rootfs, incusMetadata: image.metadata });
  }, 300_000);

  afterAll(async () => {
    for (const rt of runtimes) {
      for (const n of [placed, chosen, perAgent]) await rt.remove(n).catch(() => undefined);
      await rt.close();
    }
    await cluster?.remove();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  }, 180_000);

  const spec = (name: string): ContainerSpec => ({
    name,
    image: ref,
    env: {},
    labels: { [LABELS.agentId]: name },
    mounts: [],
    memoryMiB: 128,
    cpus: 1,
    ports: [],
    command: [
      '/usr/bin/node',
      '-e',
      "require('http').createServer((q, r) => r.end(require('os').hostname() + q.url)).listen(8100, '127.0.0.1')",
    ],
  });

  it('lists both members', async () => {
    const members = await runtime(null).members();
    expect(members.map((m) => m.name).sort()).toEqual(['m1', 'm2']);
    expect(members.every((m) => m.status === 'Online')).toBe(true);
  });

  it('places a container on the chosen member, and lets Incus place another', async () => {
    const onM2 = runtime('m2');
    await onM2.create(spec(chosen));
    expect(await onM2.location(chosen)).toBe('m2');
    const anywhere = runtime(null);
    await anywhere.create(spec(placed));
    expect(['m1', 'm2']).toContain(await anywhere.location(placed));
    // A member chosen per agent overrides the engine's.
    await onM2.create(spec(perAgent), { member: 'm1' });
    expect(await onM2.location(perAgent)).toBe('m1');
  }, 120_000);

  it('the core reaches a container on the other member through the tunnel', async () => {
    const rt = runtime(null);
    await rt.start(chosen);
    const ep = await rt.endpoint(chosen, 8100);
    const socketPath = (ep as { socketPath: string }).socketPath;
    let body: string | undefined;
    for (let i = 0; i < 40 && body === undefined; i++) {
      body = await httpOverSocket(socketPath, '/x');
      if (body === undefined) await new Promise((r) => setTimeout(r, 250));
    }
    expect(body).toBe(`${chosen}/x`);
    await rt.stop(chosen, { timeoutS: 5 });
  }, 120_000);
});
