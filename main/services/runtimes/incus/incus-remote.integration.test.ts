// IncusRuntime against an Incus remote over HTTPS (a private incusd in a network namespace): trust by token, image import, a container with no way out but its gateway proxy device, the core reaching it through exec websockets.
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canRunRemoteIncus, httpOverSocket, startRemoteIncus } from '../../../../test/remote-incus';
import type { RemoteIncus } from '../../../../test/remote-incus';
import { skipUnlessReal } from '../../../../test/real';
import { LABELS, RuntimeUnavailableError } from '../container-runtime';
import type { ContainerSpec, RuntimeEvent, RuntimeProgress } from '../container-runtime';
import { IncusRuntime } from './incus-runtime';
import { addIncusRemote, selfSignedCertificate } from './incus-remote';
import { remoteVolumeName } from './incus-remote-config';
import { buildTestImage } from './incus-test-image';
import type { TestImageFiles } from './incus-test-image';

const suffix = crypto.randomBytes(4).toString('hex');
const ref = `agentdesk-test/remote-${suffix}:1`;
const name = `agentdesk-rt-${suffix}`;

async function waitFor<T>(check: () => Promise<T | undefined>, what: string, limitMs = 30_000): Promise<T> {
  const end = Date.now() + limitMs;
  for (;;) {
    const v = await check().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe.skipIf(
  skipUnlessReal(
    canRunRemoteIncus(),
    'root, Debian incusd and ip netns (a private Incus remote in a namespace)',
  ),
)('IncusRuntime on an Incus remote over HTTPS', () => {
  let remote: RemoteIncus;
  let runtime: IncusRuntime;
  let dir = '';
  let image: TestImageFiles;
  let gatewayServer: net.Server;
  let gatewayPort = 0;
  const events: RuntimeEvent[] = [];
  let unsubscribe: () => void = () => undefined;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-test-rincus-'));
    remote = await startRemoteIncus();
    image = buildTestImage(dir);
    // Stands in for the core's TLS gateway listener: any TCP server on this machine's veth address.
    gatewayServer = net.createServer((s) => s.end('hello-from-core'));
    await new Promise<void>((r) => gatewayServer.listen(0, remote.hostAddress, r));
    gatewayPort = (gatewayServer.address() as net.AddressInfo).port;
  }, 180_000);

  afterAll(async () => {
    unsubscribe();
    await runtime?.remove(name).catch(() => undefined);
    await runtime?.close();
    gatewayServer?.close();
    await remote?.remove();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  }, 180_000);

  it('trusts this core by token; a token naming another certificate is refused and nothing is trusted', async () => {
    const certFolder = path.join(dir, 'incus-client');
    const other = await selfSignedCertificate('mitm', 'server');
    const good = remote.trustToken('agentdesk-test');
    const decoded = JSON.parse(Buffer.from(good, 'base64').toString()) as Record<string, unknown>;
    const forged = Buffer.from(JSON.stringify({ ...decoded, fingerprint: other.fingerprint })).toString(
      'base64',
    );
    await expect(addIncusRemote({ url: remote.url, token: forged, certFolder })).rejects.toThrow(
      other.fingerprint,
    );
    expect(remote.incus('config', 'trust', 'list', '-f', 'csv')).toBe('');
    const target = await addIncusRemote({ url: remote.url, token: good, certFolder });
    expect(target).toMatchObject({ kind: 'incus', transport: 'https', url: remote.url });
    expect(remote.incus('config', 'trust', 'list', '-f', 'csv')).toContain('agentdesk-test');
    runtime = new IncusRuntime({
      env: {},
      remote: {
        target,
        socketDir: path.join(dir, 'run'),
        gateway: { connectHost: remote.hostAddress, connectPort: gatewayPort },
      },
    });
    unsubscribe = runtime.events((e) => events.push(e));
    const info = await runtime.info();
    expect(info).toMatchObject({ kind: 'incus', apiVersion: '1.0', endpoint: remote.url });
    expect(await runtime.members()).toEqual([]);
    // A client pinned to another certificate is refused.
    const wrong = new IncusRuntime({
      env: {},
      remote: { target: { ...target, serverCertPem: other.certPem }, socketDir: path.join(dir, 'run2') },
    });
    await expect(wrong.ping()).rejects.toBeInstanceOf(RuntimeUnavailableError);
    await wrong.close();
  }, 60_000);

  it('imports the image with progress, and skips it when the remote has it', async () => {
    const progress: RuntimeProgress[] = [];
    await runtime.importImage(ref, { rootfs: image.rootfs, incusMetadata: image.metadata }, (p) =>
      progress.push(p),
    );
    expect(progress.some((p) => p.fraction !== null && p.fraction > 0 && p.fraction < 1)).toBe(true);
    expect(await runtime.imagePresent(ref)).toBe(true);
    const again: RuntimeProgress[] = [];
    await runtime.importImage(ref, { rootfs: image.rootfs, incusMetadata: image.metadata }, (p) =>
      again.push(p),
    );
    expect(again).toEqual([{ fraction: 1, message: `Image ${ref} is on the remote already` }]);
  }, 300_000);

  const homeMount = () => ({ hostPath: path.join(dir, 'home'), containerPath: '/home/agent' });
  const spec = (): ContainerSpec => {
    const home = path.join(dir, 'home');
    const config = path.join(dir, 'config');
    fs.mkdirSync(home, { recursive: true });
    fs.mkdirSync(path.join(config, 'sub'), { recursive: true });
    fs.writeFileSync(path.join(config, 'env'), 'A=1\n');
    fs.writeFileSync(path.join(config, 'sub', 'ca.pem'), 'pem\n');
    return {
      name,
      image: ref,
      env: { FOO: 'bar' },
      labels: { [LABELS.agentId]: `agent-${suffix}` },
      mounts: [
        { hostPath: home, containerPath: '/home/agent', readOnly: false },
        { hostPath: config, containerPath: '/etc/agentdesk', readOnly: true, idmapped: true },
      ],
      memoryMiB: 256,
      cpus: 1,
      ports: [],
      hostServicePort: 4444,
      command: [
        '/usr/bin/node',
        '-e',
        "require('http').createServer((q, r) => r.end('runtime-ok ' + q.url)).listen(8100, '127.0.0.1')",
      ],
      security: { uid: 1000, gid: 1000, pidsLimit: 200, tmpfs: {} },
    };
  };

  it('creates and starts a container: no way out but the gateway proxy device', async () => {
    const info = await runtime.create(spec());
    expect(info.state).toBe('created');
    await runtime.start(name);
    expect((await runtime.inspect(name))?.state).toBe('running');
    expect(await runtime.location(name)).toBe('none');
    expect(await runtime.hostServiceAddress(4444)).toEqual({ host: 'agentdesk-gateway', port: 4000 });
    const viaProxy =
      "require('net').connect(4000, 'agentdesk-gateway').on('data', (d) => process.stdout.write(d)).on('error', (e) => console.log(e.code))";
    const res = await runtime.exec(name, ['/usr/bin/node', '-e', viaProxy], { timeoutMs: 20_000 });
    expect(res.stdout).toBe('hello-from-core');
    const direct = `require('net').connect(${gatewayPort}, '${remote.hostAddress}').on('connect', () => console.log('CONNECTED')).on('error', (e) => console.log(e.code))`;
    const out = await runtime.exec(name, ['/usr/bin/node', '-e', direct], { timeoutMs: 20_000 });
    expect(out.stdout.trim()).toBe('ENETUNREACH');
    const ifaces = await runtime.exec(
      name,
      ['/usr/bin/node', '-e', "console.log(Object.keys(require('os').networkInterfaces()).join(','))"],
      { timeoutMs: 20_000 },
    );
    expect(ifaces.stdout.trim()).toBe('lo');
    await waitFor(
      () => Promise.resolve(events.some((e) => e.name === name && e.action === 'start') ? true : undefined),
      'the start event',
    );
  }, 120_000);

  it('the home is a custom volume owned by the agent; the config folder is pushed read-only', async () => {
    const volumes = remote.incus('storage', 'volume', 'list', 'default', '-f', 'csv', '-c', 'tn');
    expect(volumes).toContain(remoteVolumeName(`agent-${suffix}`, homeMount()));
    const stat = (p: string): string =>
      `const s=require('fs').statSync('${p}');console.log(s.uid+':'+s.gid+':'+(s.mode&0o777).toString(8))`;
    const home = await runtime.exec(name, ['/usr/bin/node', '-e', stat('/home/agent')], {
      timeoutMs: 20_000,
    });
    expect(home.stdout.trim()).toBe('1000:1000:700');
    const env = await runtime.exec(name, ['/usr/bin/node', '-e', stat('/etc/agentdesk/env')], {
      timeoutMs: 20_000,
    });
    expect(env.stdout.trim()).toBe('0:1000:640');
    const ca = await runtime.exec(
      name,
      [
        '/usr/bin/node',
        '-e',
        "process.stdout.write(require('fs').readFileSync('/etc/agentdesk/sub/ca.pem'))",
      ],
      { timeoutMs: 20_000 },
    );
    expect(ca.stdout).toBe('pem\n');
  }, 60_000);

  it('endpoint() is a local unix socket tunnelled through exec websockets to the runtime port', async () => {
    const ep = await runtime.endpoint(name, 8100);
    expect(ep?.kind).toBe('unix');
    const socketPath = (ep as { socketPath: string }).socketPath;
    expect(fs.statSync(path.dirname(socketPath)).mode & 0o777).toBe(0o700);
    expect(fs.statSync(socketPath).mode & 0o777).toBe(0o600);
    expect(await waitFor(() => httpOverSocket(socketPath, '/hello'), 'the runtime over the tunnel')).toBe(
      'runtime-ok /hello',
    );
    const many = await Promise.all([1, 2, 3].map((i) => httpOverSocket(socketPath, `/n${i}`)));
    expect(many).toEqual(['runtime-ok /n1', 'runtime-ok /n2', 'runtime-ok /n3']);
  }, 60_000);

  it('stops and removes it; the home volume stays until removeVolume', async () => {
    await runtime.stop(name, { timeoutS: 5 });
    expect((await runtime.inspect(name))?.state).toBe('stopped');
    expect(await runtime.endpoint(name, 8100)).toBeNull();
    await runtime.remove(name);
    expect(await runtime.inspect(name)).toBeNull();
    const vol = remoteVolumeName(`agent-${suffix}`, homeMount());
    expect(remote.incus('storage', 'volume', 'list', 'default', '-f', 'csv', '-c', 'n')).toContain(vol);
    await runtime.removeVolume(`agent-${suffix}`, homeMount());
    expect(remote.incus('storage', 'volume', 'list', 'default', '-f', 'csv', '-c', 'n')).not.toContain(vol);
    await runtime.removeImage(ref);
    expect(await runtime.imagePresent(ref)).toBe(false);
  }, 120_000);
});
