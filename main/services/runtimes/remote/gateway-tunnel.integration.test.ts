// The ssh:// path: an SSH reverse tunnel from a 0700 folder on the engine host to the TLS listener on loopback, bind-mounted into the relay (a throwaway sshd and the local engine as the remote).
import fs from 'node:fs';
import path from 'node:path';
import type Dockerode from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runtimeReachable } from '../../../../test/agents';
import { ensureBaseImage } from '../../../../test/base-image';
import { skipUnlessReal } from '../../../../test/real';
import {
  holdLocalRelayLock,
  FIXTURE_MODEL,
  runAsAgent,
  startRemoteGateway,
} from '../../../../test/remote-gateway';
import type { RemoteGatewayFixture } from '../../../../test/remote-gateway';
import { sshdAvailable, startSshd } from '../../../../test/sshd';
import type { TestSshd } from '../../../../test/sshd';
import { sshCloseMaster } from '../../../platform/ssh';
import type { SshSettings } from '../../../platform/ssh';
import { BASE_IMAGE_REF } from '../../images/image-manifest';
import { connectDocker } from '../docker/docker-client';
import {
  ensureGatewayRelay,
  RELAY_CONTAINER,
  REMOTE_AGENT_NETWORK,
  removeGatewayRelay,
} from './gateway-relay';
import { startGatewayTunnel, TUNNEL_SOCKET } from './gateway-tunnel';
import type { GatewayTunnel } from './gateway-tunnel';

const skip = skipUnlessReal(
  runtimeReachable('docker') && sshdAvailable(),
  'docker and root with /usr/sbin/sshd (the sshd fixture)',
);

let docker: Dockerode;
let sshd: TestSshd;
let settings: SshSettings;
let fx: RemoteGatewayFixture;
let tunnel: GatewayTunnel | null = null;
let remoteDir: string;
let key: string;

/** Runs `node -e program` once in a fresh container on the agents' network; answers its stdout. */
const fromAgent = (program: string): Promise<string> => runAsAgent(docker, fx, program);

const fetchModels = (k: string) =>
  `fetch('https://agentdesk-gateway:${fx.gateway.tlsPort}/v1/models', { headers: { Authorization: 'Bearer ${k}' } })` +
  `.then(async (r) => console.log('status', r.status, (await r.text()).includes('${FIXTURE_MODEL}')), (e) => console.log('error', e.cause?.code ?? e.message));`;

let releaseLock: (() => void) | undefined;

beforeAll(async () => {
  if (skip) return;
  releaseLock = await holdLocalRelayLock();
  await ensureBaseImage(['docker']);
  docker = connectDocker(process.env).docker;
  await removeGatewayRelay(docker);
  sshd = await startSshd();
  fx = await startRemoteGateway();
  settings = {
    dataDir: fx.dir,
    configFile: sshd.sshConfigFile,
    env: { PATH: process.env.PATH, HOME: fx.dir },
  };
  // The TLS listener binds loopback only: the tunnel is the one way in from the engine host.
  expect(await fx.gateway.addTlsBind('127.0.0.1')).toEqual({ ok: true });
  key = fx.keys.mint({ owner: 'tunnel-agent', models: [FIXTURE_MODEL] }).key;
  remoteDir = path.join(fx.dir, 'engine-host', 'gateway-tunnel');
}, 600_000);

afterAll(async () => {
  if (skip) return;
  await tunnel?.stop();
  await removeGatewayRelay(docker);
  if (settings) await sshCloseMaster(settings, sshd.destination);
  await sshd?.stop();
  await fx?.close();
  releaseLock?.();
});

describe.skipIf(skip)('the SSH reverse tunnel to the gateway (ssh:// engines)', () => {
  it('makes a 0700 folder on the engine host, removes a stale socket, and the relay reaches the TLS listener through it', async () => {
    fs.mkdirSync(remoteDir, { recursive: true, mode: 0o700 });
    fs.writeFileSync(path.join(remoteDir, TUNNEL_SOCKET), 'stale'); // left by a killed run
    tunnel = await startGatewayTunnel({
      ssh: settings,
      dest: sshd.destination,
      tlsPort: fx.gateway.tlsPort,
      remoteDir,
    });
    expect(tunnel.upstream).toEqual({
      kind: 'unix',
      hostDir: remoteDir,
      socketName: TUNNEL_SOCKET,
      uid: process.getuid!(),
      gid: process.getgid!(),
    });
    expect(fs.statSync(remoteDir).mode & 0o777).toBe(0o700);
    expect(fs.statSync(path.join(remoteDir, TUNNEL_SOCKET)).isSocket()).toBe(true);

    const state = await ensureGatewayRelay(docker, {
      port: fx.gateway.tlsPort,
      upstream: tunnel.upstream,
      image: BASE_IMAGE_REF,
      instanceId: 'test-gateway-tunnel',
    });
    expect(state.action).toBe('created');
    const info = await docker.getContainer(RELAY_CONTAINER).inspect();
    expect(Object.keys(info.NetworkSettings.Networks)).toEqual([REMOTE_AGENT_NETWORK]); // no way out but the socket
    expect(info.HostConfig.Binds).toEqual([`${remoteDir}:/run/agentdesk-tunnel:ro`]);
    expect(info.Config.User).toBe(`${tunnel.upstream.uid}:${tunnel.upstream.gid}`);

    expect(await fromAgent(fetchModels(key))).toBe('status 200 true');
    expect(fx.sink.calls.some((c) => c.owner === 'tunnel-agent' && c.path === '/v1/models')).toBe(true);
  });

  it('refuses a tunnel folder open to others', async () => {
    const open = path.join(fx.dir, 'engine-host', 'open');
    fs.mkdirSync(open, { recursive: true });
    fs.chmodSync(open, 0o755);
    await expect(
      startGatewayTunnel({
        ssh: settings,
        dest: sshd.destination,
        tlsPort: fx.gateway.tlsPort,
        remoteDir: open,
      }),
    ).rejects.toThrow(/mode 755.*chmod 700/);
  });

  it('while the tunnel is down the agent reaches nothing; back up, it reaches the gateway again', async () => {
    await tunnel!.stop();
    expect(await fromAgent(fetchModels(key))).toMatch(/^error /);
    tunnel = await startGatewayTunnel({
      ssh: settings,
      dest: sshd.destination,
      tlsPort: fx.gateway.tlsPort,
      remoteDir,
    });
    expect(await fromAgent(fetchModels(key))).toBe('status 200 true');
  });
});
