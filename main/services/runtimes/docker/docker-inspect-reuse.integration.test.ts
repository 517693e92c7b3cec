// endpoint() reuses the inspection list() just made (reconciliation's second engine call per agent), but
// never one older than a change this driver made.
import { afterAll, describe, expect, it, vi } from 'vitest';
import { ensureBaseImage } from '../../../../test/base-image';
import { skipUnlessReal } from '../../../../test/real';
import { LABELS } from '../container-runtime';
import { connectDocker } from './docker-client';
import { DockerRuntime } from './docker-runtime';

const dockerUp = await new DockerRuntime({ env: process.env }).ping().then(
  () => true,
  () => false,
);
const skip = skipUnlessReal(dockerUp, 'Docker (scripts/bootstrap-linux.sh starts dockerd)');

describe.skipIf(skip)('DockerRuntime inspection reuse', () => {
  const rt = new DockerRuntime({ env: process.env });
  const name = `agentdesk-reuse-${process.pid}`;
  const label = { [LABELS.agentId]: `reuse-${process.pid}` };
  afterAll(async () => {
    await rt.remove(name);
    await rt.close();
  });

  it('answers endpoint from the listing, and inspects again after a start', async () => {
    await ensureBaseImage(['docker']);
    await rt.create({
      name,
      image: 'agentdesk/agent-base:2',
      env: {},
      labels: label,
      mounts: [],
      memoryMiB: 64,
      cpus: 0.5,
      ports: [],
      command: ['/bin/sh', '-c', 'sleep 600'],
      reach: { containerPort: 8100, socketPath: '/nonexistent' },
    });
    const container = connectDocker(process.env).docker.getContainer(name);
    const inspect = vi.spyOn(Object.getPrototypeOf(container) as { inspect: () => unknown }, 'inspect');
    try {
      // Stopped: the listing says so, and endpoint answers from it without another inspection.
      expect((await rt.list(label)).map((c) => c.state)).toEqual(['created']);
      const afterList = inspect.mock.calls.length;
      expect(await rt.endpoint(name, 8100)).toBeNull();
      expect(inspect.mock.calls.length).toBe(afterList);

      // A start by this driver makes the listing stale: endpoint must see the running container.
      await rt.start(name);
      const ep = await rt.endpoint(name, 8100);
      expect(ep).not.toBeNull();
      expect(inspect.mock.calls.length).toBeGreaterThan(afterList);

      // Running and listed again: reused.
      await rt.list(label);
      const again = inspect.mock.calls.length;
      expect(await rt.endpoint(name, 8100)).toEqual(ep);
      expect(inspect.mock.calls.length).toBe(again);
    } finally {
      inspect.mockRestore();
    }
  }, 120_000);
});
