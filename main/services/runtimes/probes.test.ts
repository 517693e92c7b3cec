// Docker and Incus probes: the real daemons when present, and a clear fix when they are not reachable.
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { skipUnlessReal } from '../../../test/real';
import { probeDocker, resolveDockerEndpoint } from './docker-endpoint';
import { probeIncus } from './incus-endpoint';

const dockerPresent = fs.existsSync('/var/run/docker.sock');
const incusPresent = fs.existsSync('/var/lib/incus/unix.socket');

describe('probeDocker', () => {
  it('says "not reachable" with the start hint when nothing listens on the socket', async () => {
    const h = await probeDocker(1000, { DOCKER_HOST: 'unix:///nonexistent/docker.sock' });
    expect(h).toMatchObject({
      name: 'docker',
      state: 'missing',
      detail: 'Docker not reachable at /nonexistent/docker.sock',
    });
    expect(h.fix).toContain('sudo systemctl start docker');
  });

  it('reports a socket that accepts but never answers as an error within the deadline', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-sock-'));
    const sock = path.join(dir, 'd.sock');
    const server = net.createServer(() => {}).listen(sock);
    await new Promise((r) => server.once('listening', r));
    const t0 = Date.now();
    const h = await probeDocker(300, { DOCKER_HOST: `unix://${sock}` });
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(h.state).toBe('error');
    expect(h.detail).toContain('did not answer');
    server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a DOCKER_HOST scheme it cannot use, naming the valid ones', async () => {
    expect(() => resolveDockerEndpoint({ DOCKER_HOST: 'ssh://me@host' })).toThrow(/unix:\/\/.*tcp:\/\//);
    const h = await probeDocker(300, { DOCKER_HOST: 'ssh://me@host' });
    expect(h.state).toBe('error');
  });

  it.skipIf(skipUnlessReal(dockerPresent, 'Docker daemon'))(
    'reports the real daemon as ok with its version',
    async () => {
      const h = await probeDocker(3000, {});
      expect(h.state).toBe('ok');
      expect(h.detail).toMatch(/^(Docker|Podman) \d+\.\d+/);
      expect(h.fix).toBe('');
    },
  );
});

describe('probeIncus', () => {
  it('says "not reachable" with the start hint when the socket is absent', async () => {
    const h = await probeIncus(1000, { INCUS_SOCKET: '/nonexistent/incus.socket' });
    expect(h).toMatchObject({ name: 'incus', state: 'missing' });
    expect(h.fix).toContain('systemctl start incus');
  });

  it.skipIf(skipUnlessReal(incusPresent, 'Incus daemon'))(
    'reports the real daemon as ok with its version',
    async () => {
      const h = await probeIncus(3000, {});
      expect(h.state).toBe('ok');
      expect(h.detail).toMatch(/^Incus \d+\.\d+/);
    },
  );
});
