// The relay on a real second engine (a dockerd in its own network namespace, test/remote-docker.ts): agents there reach the core's TLS listener through it and nothing else, neither the engine host nor this machine.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Dockerode from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runtimeReachable } from '../../../../test/agents';
import { ensureBaseImage } from '../../../../test/base-image';
import { skipUnlessReal } from '../../../../test/real';
import {
  REMOTE_DOCKER_TLS_PORT,
  remoteDockerAvailable,
  startRemoteDocker,
} from '../../../../test/remote-docker';
import type { RemoteDocker } from '../../../../test/remote-docker';
import {
  CONNECT_PROBE,
  FIXTURE_MODEL,
  runAsAgent,
  startRemoteGateway,
} from '../../../../test/remote-gateway';
import type { RemoteGatewayFixture } from '../../../../test/remote-gateway';
import { BASE_IMAGE_REF } from '../../images/image-manifest';
import { connectDocker } from '../docker/docker-client';
import { transferImage } from '../docker/docker-image-transfer';
import { ensureGatewayRelay, removeGatewayRelay } from './gateway-relay';
import { localAddressTowards } from './local-address';

const skip = skipUnlessReal(
  runtimeReachable('docker') && remoteDockerAvailable(),
  'docker and root with dockerd, nsenter, ip, openssl (the remote engine fixture)',
);

let remote: RemoteDocker;
let engine: Dockerode;
let fx: RemoteGatewayFixture;
let key: string;
let hostService: http.Server;
let hostServicePort: number;

/** Runs `node -e program args…` once in a fresh container on the remote engine's agent network; answers its stdout. */
const fromAgent = (program: string, args: string[] = []): Promise<string> =>
  runAsAgent(engine, fx, program, args);

beforeAll(async () => {
  if (skip) return;
  await ensureBaseImage(['docker']);
  remote = await startRemoteDocker({ ssh: false });
  engine = new Dockerode({ socketPath: remote.socketPath });
  await transferImage(connectDocker(process.env).docker, engine, BASE_IMAGE_REF);
  fx = await startRemoteGateway();
  // The TLS listener binds the one local address that routes to the engine host, nothing wider.
  const bind = await localAddressTowards(remote.engineAddress);
  expect(bind).toBe(remote.hostAddress);
  expect(await fx.gateway.addTlsBind(bind)).toEqual({ ok: true });
  key = fx.keys.mint({ owner: 'remote-agent', models: [FIXTURE_MODEL] }).key;
  hostService = http.createServer((_q, s) => s.end('host service'));
  await new Promise<void>((r) => hostService.listen(0, '0.0.0.0', r));
  hostServicePort = (hostService.address() as AddressInfo).port;
  const state = await ensureGatewayRelay(engine, {
    port: fx.gateway.tlsPort,
    upstream: { kind: 'tcp', host: bind, port: fx.gateway.tlsPort },
    image: BASE_IMAGE_REF,
    instanceId: 'test-relay-remote',
  });
  expect(state.action).toBe('created');
}, 900_000);

afterAll(async () => {
  if (skip) return;
  if (engine) await removeGatewayRelay(engine).catch(() => undefined);
  hostService?.close();
  await fx?.close();
  await remote?.stop();
});

describe.skipIf(skip)('the relay on a second engine in its own network namespace', () => {
  it('carries an agent to the TLS listener, verified against the pinned certificate', async () => {
    const out = await fromAgent(
      `fetch('https://agentdesk-gateway:${fx.gateway.tlsPort}/v1/models', { headers: { Authorization: 'Bearer ${key}' } })` +
        `.then(async (r) => console.log('status', r.status, (await r.text()).includes('${FIXTURE_MODEL}')), (e) => console.log('error', e.cause?.code ?? e.message));`,
    );
    expect(out).toBe('status 200 true');
    expect(fx.sink.calls.some((c) => c.owner === 'remote-agent')).toBe(true);
  });

  it('leaves the agent no way to the engine host, its Docker API, this machine, or the internet', async () => {
    const tls = fx.gateway.tlsPort;
    const targets = [
      `${remote.engineAddress}:${REMOTE_DOCKER_TLS_PORT}`,
      `${remote.engineAddress}:22`,
      `${remote.hostAddress}:${tls}`,
      `${remote.hostAddress}:${hostServicePort}`,
      `${remote.hostAddress}:${fx.gateway.port}`,
      `127.0.0.1:${tls}`,
      '1.1.1.1:443',
    ];
    const out = await fromAgent(CONNECT_PROBE, [JSON.stringify(targets)]);
    const r = JSON.parse(out) as Record<string, string>;
    expect(Object.keys(r).sort()).toEqual([...targets].sort());
    for (const [t, outcome] of Object.entries(r)) expect(outcome, t).not.toBe('connected');
  });
});
