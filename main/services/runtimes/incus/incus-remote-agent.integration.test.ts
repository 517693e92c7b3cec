// The real agent base image on an Incus remote over HTTPS: its init drops to the agent's user, reads the pushed config folder, writes the home volume, and reaches the gateway only through its proxy device.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runtimeReachable } from '../../../../test/agents';
import { ensureBaseImage } from '../../../../test/base-image';
import { canRunRemoteIncus, startRemoteIncus } from '../../../../test/remote-incus';
import type { RemoteIncus } from '../../../../test/remote-incus';
import { skipUnlessReal } from '../../../../test/real';
import { CONFIG_MOUNT } from '../../agents/agent-folder';
import { BASE_IMAGE_REF } from '../../images/base-image';
import { LABELS } from '../container-runtime';
import { IncusRuntime } from './incus-runtime';
import { addIncusRemote } from './incus-remote';

const name = 'agentdesk-remote-agent';

function get(socketPath: string, urlPath: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    http
      .get({ socketPath, path: urlPath, timeout: 5000 }, (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve(text));
      })
      .on('error', () => resolve(undefined));
  });
}

describe.skipIf(
  skipUnlessReal(
    canRunRemoteIncus() && runtimeReachable('incus'),
    'root, Debian incusd, ip netns and the system Incus (for the base image)',
  ),
)('the agent base image on an Incus remote', () => {
  let remote: RemoteIncus;
  let runtime: IncusRuntime;
  let gateway: net.Server;
  let dir = '';

  beforeAll(async () => {
    await ensureBaseImage(['incus']);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-test-rincus-agent-'));
    remote = await startRemoteIncus();
    gateway = net.createServer((s) => s.end('hello-from-core'));
    await new Promise<void>((r) => gateway.listen(0, remote.hostAddress, r));
    const target = await addIncusRemote({
      url: remote.url,
      token: remote.trustToken('agentdesk-test'),
      certFolder: path.join(dir, 'incus-client'),
    });
    runtime = new IncusRuntime({
      env: {},
      remote: {
        target,
        socketDir: path.join(dir, 'run'),
        gateway: {
          connectHost: remote.hostAddress,
          connectPort: (gateway.address() as net.AddressInfo).port,
        },
      },
    });
    // The image files the core holds: here, exported from the system Incus.
    const env = { ...process.env };
    delete env.INCUS_DIR;
    execFileSync('incus', ['image', 'export', BASE_IMAGE_REF, path.join(dir, 'image')], {
      env,
      stdio: 'ignore',
    });
    await runtime.importImage(BASE_IMAGE_REF, {
      incusMetadata: path.join(dir, 'image'),
      rootfs: path.join(dir, 'image.root'),
    });
  }, 900_000);

  afterAll(async () => {
    await runtime?.remove(name).catch(() => undefined);
    await runtime?.close();
    gateway?.close();
    await remote?.remove();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  }, 180_000);

  it('runs as the agent, reads its config, writes its home, reaches the gateway', async () => {
    fs.mkdirSync(path.join(dir, 'home'));
    fs.mkdirSync(path.join(dir, 'config'));
    fs.writeFileSync(path.join(dir, 'config', 'env'), "FOO='from-config'\n");
    const server =
      "require('http').createServer((q, r) => { let w = ''; try { require('fs').writeFileSync(process.env.HOME + '/x', '1'); w = 'home-ok' } catch (e) { w = e.code }" +
      " require('net').connect(4000, 'agentdesk-gateway').on('data', (d) => r.end([process.getuid(), process.env.FOO, w, String(d)].join(' '))).on('error', (e) => r.end('gateway ' + e.code)) }).listen(8100, '127.0.0.1')";
    await runtime.create({
      name,
      image: BASE_IMAGE_REF,
      env: { AGENTDESK_ENV_FILE: `${CONFIG_MOUNT}/env` },
      labels: { [LABELS.agentId]: 'remote-agent' },
      mounts: [
        { hostPath: path.join(dir, 'home'), containerPath: '/home/agent', readOnly: false },
        { hostPath: path.join(dir, 'config'), containerPath: CONFIG_MOUNT, readOnly: true, idmapped: true },
      ],
      memoryMiB: 256,
      cpus: 1,
      ports: [],
      hostServicePort: 4100,
      command: ['node', '-e', server],
      security: { uid: 1000, gid: 1000, pidsLimit: 200, tmpfs: {} },
    });
    await runtime.start(name);
    const ep = (await runtime.endpoint(name, 8100)) as { socketPath: string };
    let body: string | undefined;
    for (let i = 0; i < 60 && !body; i++) {
      body = await get(ep.socketPath, '/');
      if (!body) await new Promise((r) => setTimeout(r, 500));
    }
    expect(body).toBe('1000 from-config home-ok hello-from-core');
  }, 120_000);
});
