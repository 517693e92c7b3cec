// DockerRuntime on a remote engine (a second dockerd in a netns) over TLS and over ssh:// (dial-stdio): calls, images, refusals.
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sshCloseMaster, SshHostKeyChangedError, type SshSettings } from '../../../platform/ssh';
import { ensureBaseImage } from '../../../../test/base-image';
import { skipUnlessReal } from '../../../../test/real';
import { remoteDockerAvailable, startRemoteDocker, type RemoteDocker } from '../../../../test/remote-docker';
import { BASE_IMAGE_REF } from '../../images/image-manifest';
import { LABELS, RuntimeOperationError, RuntimeUnavailableError } from '../container-runtime';
import type { ContainerSpec } from '../container-runtime';
import { DockerRuntime } from './docker-runtime';

const localUp = await new DockerRuntime({ env: process.env }).ping().then(
  () => true,
  () => false,
);
const skip = skipUnlessReal(
  localUp && remoteDockerAvailable(),
  'root with a local Docker engine, dockerd, nsenter, ip, openssl and sshd (a second dockerd in a netns)',
);

const suffix = crypto.randomBytes(4).toString('hex');

/** The remote engine's own socket, bypassing the transports under test. */
function direct(rd: RemoteDocker, p: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) =>
    http
      .get({ socketPath: rd.socketPath, path: p }, (res) => {
        let body = '';
        res.on('data', (c) => (body += c)).on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', reject),
  );
}

function spec(name: string): ContainerSpec {
  return {
    name,
    image: BASE_IMAGE_REF,
    env: { GREETING: 'remote' },
    labels: { [LABELS.agentId]: `agent-${suffix}`, 'agentdesk.test': suffix },
    mounts: [],
    memoryMiB: 64,
    cpus: 0.5,
    ports: [],
    command: [
      '/bin/sh',
      '-c',
      'echo "hello $GREETING"; trap "exit 0" TERM; while :; do sleep 1 & wait $!; done',
    ],
  };
}

describe.skipIf(skip)('DockerRuntime on a remote engine', () => {
  let rd: RemoteDocker;
  let home: string;
  let ssh: SshSettings;
  const local = new DockerRuntime({ env: process.env });
  const runtimes: DockerRuntime[] = [];

  beforeAll(async () => {
    await ensureBaseImage(['docker']);
    rd = await startRemoteDocker();
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-remote-docker-'));
    ssh = { dataDir: home, configFile: rd.sshd!.sshConfigFile, env: { PATH: process.env.PATH, HOME: home } };
  }, 300_000);

  afterAll(async () => {
    for (const r of runtimes) await r.close();
    await local.close();
    if (rd?.sshd) await sshCloseMaster(ssh, rd.sshd.destination);
    await rd?.stop();
    if (home) fs.rmSync(home, { recursive: true, force: true });
  }, 120_000);

  const runtimeFor = (transport: 'tls' | 'ssh'): DockerRuntime => {
    const r = new DockerRuntime({
      env: process.env,
      target: transport === 'tls' ? rd.tlsTarget() : rd.sshTarget(),
      ssh,
      networkName: `agentdesk-remote-test-${suffix}`,
    });
    runtimes.push(r);
    return r;
  };

  it('sends the base image over TLS once (progress in bytes), then skips it', async () => {
    const remote = runtimeFor('tls');
    expect(await remote.imagePresent(BASE_IMAGE_REF)).toBe(false);
    const seen: number[] = [];
    const first = await local.sendImage(remote, BASE_IMAGE_REF, (p) => seen.push(p.sentBytes));
    expect(first.sent).toBe(true);
    expect(first.bytes).toBeGreaterThan(10 << 20);
    expect(seen.length).toBeGreaterThan(3);
    expect(seen.at(-1)).toBe(first.bytes);
    expect(await remote.imagePresent(BASE_IMAGE_REF)).toBe(true);
    const again = await local.sendImage(remote, BASE_IMAGE_REF);
    expect(again).toEqual({ sent: false, bytes: 0 });
    // Over ssh too: already there, nothing sent.
    expect(await local.sendImage(runtimeFor('ssh'), BASE_IMAGE_REF)).toEqual({ sent: false, bytes: 0 });
  });

  for (const transport of ['tls', 'ssh'] as const) {
    it(`runs a container's whole life over ${transport}`, async () => {
      const r = runtimeFor(transport);
      await r.ping();
      const info = await r.info();
      expect(info.endpoint).toBe(
        transport === 'tls' ? `tcp://${rd.engineAddress}:2376` : `ssh://root@${rd.engineAddress}`,
      );
      expect(info.cpus).toBeGreaterThan(0);
      // Proof it is the remote engine: its own socket sees what the driver creates.
      const name = `agentdesk-remote-${transport}-${suffix}`;
      const created = await r.create(spec(name));
      expect(created.name).toBe(name);
      expect((await direct(rd, `/containers/${name}/json`)).status).toBe(200);
      expect((await local.inspect(name)) === null).toBe(true);
      await r.start(name);
      const deadline = Date.now() + 20_000;
      let lines: string[] = [];
      while (Date.now() < deadline && !lines.includes('hello remote')) {
        lines = await r.logs(name, { tail: 10 });
        await new Promise((res) => setTimeout(res, 200));
      }
      expect(lines).toContain('hello remote');
      const ex = await r.exec(name, ['/bin/sh', '-c', 'echo out; echo err >&2; exit 3'], {
        timeoutMs: 20_000,
      });
      expect(ex.exitCode).toBe(3);
      expect(ex.stdout).toContain('out');
      expect(ex.stderr).toContain('err');
      expect((await r.inspect(name))?.state).toBe('running');
      expect((await r.list({ 'agentdesk.test': suffix })).map((c) => c.name)).toContain(name);
      expect(await r.containerNames()).toContain(name);
      // Nothing published on the remote host, and no way in from here but the engine's API.
      expect(created.ports).toEqual([]);
      expect(await r.endpoint(name, 8100)).toBeNull();
      await r.stop(name, { timeoutS: 5 });
      expect((await r.inspect(name))?.state).toBe('stopped');
      await r.remove(name);
      expect(await r.inspect(name)).toBeNull();
      expect((await direct(rd, `/containers/${name}/json`)).status).toBe(404);
    });
  }

  it('refuses what needs this machine (egress, the bridge gateway) on a remote engine', async () => {
    const r = runtimeFor('tls');
    expect((await r.prepareNetwork()).gatewayBind).toBeNull();
    await expect(r.hostServiceAddress(4000)).rejects.toBeInstanceOf(RuntimeOperationError);
    await expect(r.egressNetwork()).rejects.toThrow(/this machine only/);
  });

  it('refuses an engine certificate from another CA, and a client certificate the engine does not trust', async () => {
    const wrongCa = new DockerRuntime({
      env: process.env,
      target: { ...rd.tlsTarget(), caPem: rd.rogue.caPem },
    });
    runtimes.push(wrongCa);
    const e1 = await wrongCa.ping().catch((e: unknown) => e);
    expect(e1).toBeInstanceOf(RuntimeUnavailableError);
    expect((e1 as Error).message).toMatch(/not trusted/);

    const rogueClient = new DockerRuntime({
      env: process.env,
      target: { ...rd.tlsTarget(), certPem: rd.rogue.certPem, keyPem: rd.rogue.keyPem },
    });
    runtimes.push(rogueClient);
    const e2 = await rogueClient.ping().catch((e: unknown) => e);
    expect(e2).toBeInstanceOf(RuntimeUnavailableError);
    expect((e2 as Error).message).toMatch(/client certificate/);
  });

  it('an engine that stops is unavailable within 5 s on both transports, and answers once it is back', async () => {
    const both = [runtimeFor('tls'), runtimeFor('ssh')];
    for (const r of both) await r.ping();
    await rd.stopEngine();
    try {
      for (const r of both) {
        const t0 = Date.now();
        const err = await r.ping().catch((e: unknown) => e);
        expect(err).toBeInstanceOf(RuntimeUnavailableError);
        expect(Date.now() - t0).toBeLessThan(5000);
      }
    } finally {
      await rd.startEngine();
    }
    for (const r of both) await r.ping();
  });

  it('refuses a changed host key with the fingerprint ssh printed', async () => {
    const fresh = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-remote-rekey-'));
    try {
      const fp = await rd.sshd!.rekey();
      const r = new DockerRuntime({
        env: process.env,
        target: rd.sshTarget(),
        ssh: { ...ssh, dataDir: fresh },
      });
      runtimes.push(r);
      const err = await r.ping().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RuntimeUnavailableError);
      expect((err as Error).message).toContain(fp);
      expect((err as Error & { cause?: unknown }).cause).toBeInstanceOf(SshHostKeyChangedError);
      await expect(r.info()).rejects.toThrow(fp);
    } finally {
      rd.sshd!.trustHostKey();
      fs.rmSync(fresh, { recursive: true, force: true });
    }
  });
});
