// The key path to a remote Docker engine, on the local engine treated as remote: agents on the internal network reach the gateway only through the relay, over TLS with the pinned certificate, and nothing else; the core reaches their runtimes through a unix socket and docker exec.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type Dockerode from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentRow, ensureRuntimeBundle, runtimeReachable, turn, until } from '../../../../test/agents';
import { ensureBaseImage } from '../../../../test/base-image';
import { skipUnlessReal } from '../../../../test/real';
import {
  FIXTURE_ANSWER,
  holdLocalRelayLock,
  CONNECT_PROBE,
  FIXTURE_MODEL,
  lanAddress,
  startRemoteGateway,
} from '../../../../test/remote-gateway';
import type { RemoteGatewayFixture } from '../../../../test/remote-gateway';
import { agentFolder, agentIdentity, CONFIG_MOUNT, readRuntimeCredential } from '../../agents/agent-folder';
import type { AgentRow } from '../../agents/agent-repository';
import { Deployer } from '../../agents/deployer';
import { runtimeFetch } from '../../agents/runtime-client';
import { loadHarnesses } from '../../harnesses';
import { BASE_IMAGE_REF } from '../../images/image-manifest';
import type { ContainerRuntime } from '../container-runtime';
import { connectDocker } from '../docker/docker-client';
import {
  ensureGatewayRelay,
  gatewayRelayStatus,
  RELAY_CONTAINER,
  RELAY_OUT_NETWORK,
  REMOTE_AGENT_NETWORK,
  removeGatewayRelay,
} from './gateway-relay';
import type { RelaySpec } from './gateway-relay';
import { PIPE_PROGRAM, RuntimeForwarder } from './runtime-forwarder';

const skip = skipUnlessReal(runtimeReachable('docker') && lanAddress() !== null, 'docker and a LAN address');
const INSTANCE = 'test-remote-path';
const AGENTS = ['agentdesk-test-rpath-a', 'agentdesk-test-rpath-b'];

let docker: Dockerode;
let fx: RemoteGatewayFixture;
let spec: RelaySpec;
let forwarder: RuntimeForwarder;
/** A wildcard listener on this host standing for the control API and any other host service. */
let hostService: http.Server;
let hostServicePort: number;
const rows: AgentRow[] = [];

async function removeContainer(name: string): Promise<void> {
  await docker
    .getContainer(name)
    .remove({ force: true })
    .catch(() => undefined);
}

/** Runs `node -e program args…` in `container` as the agent's user with `env`, and answers its stdout. */
async function inAgent(
  container: string,
  program: string,
  args: string[] = [],
  env: string[] = [],
): Promise<string> {
  const ex = await docker.getContainer(container).exec({
    Cmd: ['/usr/local/bin/node', '-e', program, ...args],
    Env: env,
    AttachStdout: true,
    AttachStderr: true,
  });
  const stream = await ex.start({ hijack: true, stdin: false });
  const out: Buffer[] = [];
  const { PassThrough } = await import('node:stream');
  const o = new PassThrough();
  const e = new PassThrough();
  o.on('data', (c: Buffer) => out.push(c));
  e.resume();
  docker.modem.demuxStream(stream, o, e);
  await new Promise<void>((r) => stream.on('end', () => r()));
  return Buffer.concat(out).toString('utf8');
}

/** Tries a TCP connection to each `host:port` from inside `container`; answers `host:port → connected|<error code>`. */
async function probe(container: string, targets: string[]): Promise<Record<string, string>> {
  return JSON.parse(await inAgent(container, CONNECT_PROBE, [JSON.stringify(targets)])) as Record<
    string,
    string
  >;
}

let releaseLock: (() => void) | undefined;

beforeAll(async () => {
  if (skip) return;
  releaseLock = await holdLocalRelayLock();
  await ensureBaseImage(['docker']);
  const bundle = path.dirname(ensureRuntimeBundle());
  docker = connectDocker(process.env).docker;
  for (const name of AGENTS) await removeContainer(name);
  await removeGatewayRelay(docker);
  fx = await startRemoteGateway();
  expect(await fx.gateway.addTlsBind(lanAddress()!)).toEqual({ ok: true });
  const remote = fx.gateway.remoteGatewayAddress();
  spec = {
    port: remote.port,
    upstream: { kind: 'tcp', host: lanAddress()!, port: remote.port },
    image: BASE_IMAGE_REF,
    instanceId: INSTANCE,
  };
  expect((await ensureGatewayRelay(docker, spec)).action).toBe('created');
  hostService = http.createServer((_q, s) => s.end('host service'));
  await new Promise<void>((r) => hostService.listen(0, '0.0.0.0', r));
  hostServicePort = (hostService.address() as AddressInfo).port;

  // Two agents as the deployer writes them for a remote engine, on the internal network.
  const rt = {
    kind: 'docker',
    hostServiceAddress: () => Promise.resolve(fx.gateway.remoteGatewayAddress()),
  } as unknown as ContainerRuntime;
  const deployer = new Deployer({
    dataDir: fx.dir,
    runtime: () => rt,
    keys: { mint: () => ({ key: '', record: { id: '' } }), revokeOwner: () => 0 },
    images: { present: () => Promise.resolve(true), build: () => null },
    gateway: { port: () => fx.gateway.port, addBind: () => Promise.resolve({ ok: true as const }) },
    harnesses: loadHarnesses(),
    runtimeBundleDir: () => bundle,
    phases: { set: () => ({}) as AgentRow },
    progress: () => {},
    log: { info() {}, warn() {}, error() {}, debug() {} } as never,
    instanceId: INSTANCE,
  });
  const who = agentIdentity(process.env);
  for (const [i, name] of AGENTS.entries()) {
    const row = agentRow(`rpath-${i}`, { container: name, model: FIXTURE_MODEL });
    rows.push(row);
    const key = fx.keys.mint({ owner: row.id, models: [FIXTURE_MODEL] }).key;
    await deployer.writeEnv(row, key);
    const f = agentFolder(fx.dir, row.id);
    await docker.createContainer({
      name,
      Image: BASE_IMAGE_REF,
      User: `${who.uid}:${who.gid}`,
      Labels: { 'agentdesk.instance': INSTANCE },
      HostConfig: {
        NetworkMode: REMOTE_AGENT_NETWORK,
        ReadonlyRootfs: true,
        CapDrop: ['ALL'],
        SecurityOpt: ['no-new-privileges'],
        PidsLimit: 256,
        Tmpfs: { '/tmp': 'rw,nosuid,nodev,size=64m' },
        Binds: [
          `${f.home}:/home/agent`,
          `${f.config}:${CONFIG_MOUNT}:ro`,
          `${bundle}:/opt/agentdesk/runtime:ro`,
        ],
      },
    });
    await docker.getContainer(name).start();
  }
  forwarder = new RuntimeForwarder({ docker, dir: path.join(fx.dir, 'run', 'remote-test') });
}, 600_000);

afterAll(async () => {
  if (skip) return;
  await forwarder?.closeAll();
  for (const name of AGENTS) await removeContainer(name);
  await removeGatewayRelay(docker);
  hostService?.close();
  await fx?.close();
  releaseLock?.();
});

describe.skipIf(skip)('the relay on a remote Docker engine (local engine as the remote)', () => {
  it('is small and contained: read-only root, no capabilities, unprivileged, limited, labelled, nothing published', async () => {
    const info = await docker.getContainer(RELAY_CONTAINER).inspect();
    expect(info.Config.User).toBe('65534:65534');
    expect(info.HostConfig.ReadonlyRootfs).toBe(true);
    expect(info.HostConfig.CapDrop).toEqual(['ALL']);
    expect(info.HostConfig.SecurityOpt).toContain('no-new-privileges');
    expect(info.HostConfig.Privileged).toBe(false);
    expect(info.HostConfig.Memory).toBe(48 * 1024 * 1024);
    expect(info.HostConfig.PidsLimit).toBe(32);
    expect(info.HostConfig.PortBindings ?? {}).toEqual({});
    expect(info.Config.Labels).toMatchObject({ 'agentdesk.managed': '1', 'agentdesk.instance': INSTANCE });
    expect(Object.keys(info.NetworkSettings.Networks).sort()).toEqual([
      RELAY_OUT_NETWORK,
      REMOTE_AGENT_NETWORK,
    ]);
    expect(info.NetworkSettings.Networks[REMOTE_AGENT_NETWORK]?.Aliases).toContain('agentdesk-gateway');
    const net = await docker.getNetwork(REMOTE_AGENT_NETWORK).inspect();
    expect(net.Internal).toBe(true);
    expect(net.Options?.['com.docker.network.bridge.inhibit_ipv4']).toBe('true');
  });

  it('is ensured idempotently, started when stopped, created again when missing or changed', async () => {
    expect((await ensureGatewayRelay(docker, spec)).action).toBe('running');
    expect(await gatewayRelayStatus(docker, spec)).toBe('running');
    await docker.getContainer(RELAY_CONTAINER).stop({ t: 1 });
    expect(await gatewayRelayStatus(docker, spec)).toBe('stopped');
    expect((await ensureGatewayRelay(docker, spec)).action).toBe('started');
    await docker.getContainer(RELAY_CONTAINER).remove({ force: true });
    expect(await gatewayRelayStatus(docker, spec)).toBe('missing');
    expect((await ensureGatewayRelay(docker, spec)).action).toBe('created');
    expect(await gatewayRelayStatus(docker, { ...spec, port: spec.port + 1 })).toBe('stopped');
  });

  it("the built-in runtime's verify reaches the gateway through the relay, TLS verified against the pinned certificate", async () => {
    const ep = await forwarder.open(AGENTS[0]!, 8100);
    const credential = readRuntimeCredential(agentFolder(fx.dir, rows[0]!.id));
    await until(
      () =>
        runtimeFetch(ep, credential, '/health').then(
          (r) => r.status,
          () => 0,
        ),
      (s) => s === 200,
      30_000,
      'the runtime of agent A to answer through the forwarder',
    );
    const res = await runtimeFetch(ep, credential, '/verify');
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ ok: true, model: FIXTURE_MODEL });
    expect(fx.sink.calls.some((c) => c.owner === rows[0]!.id && c.path === '/v1/chat/completions')).toBe(
      true,
    );
  });

  it('a turn streams back through the forwarder (SSE), and its connection and exec end cleanly', async () => {
    const ep = await forwarder.open(AGENTS[0]!, 8100);
    const events = await turn(
      {
        home: fx.dir,
        agent: { id: rows[0]!.id, runtime_endpoint: `unix:${(ep as { socketPath: string }).socketPath}` },
      },
      'Say hello.',
    );
    expect(JSON.stringify(events)).toContain(FIXTURE_ANSWER.split(' ')[0]);
    expect(events.at(-1)?.event).toBe('done');
    // No pipe process left behind in the container once the connection closed.
    await until(
      () =>
        inAgent(
          AGENTS[0]!,
          "console.log(require('node:fs').readdirSync('/proc').filter((p) => /^\\d+$/.test(p)).map((p) => { try { return require('node:fs').readFileSync('/proc/' + p + '/cmdline', 'utf8'); } catch { return ''; } }).filter((c) => c.includes('process.stdin' + '.pipe(s)')).length)",
        ),
      (n) => n.trim() === '0',
      10_000,
      'the exec byte pipes to exit',
    );
  });

  it('the exec the forwarder runs is fixed: absolute node, the constant program, the port, as 65534', async () => {
    const ep = (await forwarder.open(AGENTS[1]!, 8100)) as { socketPath: string };
    const s = net.connect(ep.socketPath);
    await new Promise<void>((r) => s.on('connect', () => r()));
    const c = docker.getContainer(AGENTS[1]!);
    const ids = await until(
      async () => (await c.inspect()).ExecIDs ?? [],
      (x) => x.length > 0,
      10_000,
      'an exec to start',
    );
    const ex = await docker.getExec(ids.at(-1)!).inspect();
    expect(ex.ProcessConfig.entrypoint).toBe('/usr/local/bin/node');
    expect(ex.ProcessConfig.arguments).toEqual(['-e', PIPE_PROGRAM, '8100']);
    expect(ex.ProcessConfig.user).toBe('65534:65534');
    s.destroy();
  });

  it('its socket is private: 0600 in a 0700 folder, refused to another local user', async () => {
    const ep = (await forwarder.open(AGENTS[1]!, 8100)) as { socketPath: string };
    expect(fs.statSync(ep.socketPath).mode & 0o777).toBe(0o600);
    expect(fs.statSync(path.dirname(ep.socketPath)).mode & 0o777).toBe(0o700);
    const out = execFileSync(
      'setpriv',
      [
        '--reuid=65534',
        '--regid=65534',
        '--clear-groups',
        process.execPath,
        '-e',
        "require('node:net').connect(process.argv[1]).on('connect', () => { console.log('connected'); process.exit(0); }).on('error', (e) => console.log(e.code))",
        ep.socketPath,
      ],
      { encoding: 'utf8' },
    ).trim();
    expect(out).toBe('EACCES');
  });

  it('from inside an agent: the gateway through the relay with TLS, and nothing else', async () => {
    const [a, b] = AGENTS as [string, string];
    const relayInfo = await docker.getContainer(RELAY_CONTAINER).inspect();
    const relayIp = relayInfo.NetworkSettings.Networks[REMOTE_AGENT_NETWORK]!.IPAddress;
    const bIp = (await docker.getContainer(b).inspect()).NetworkSettings.Networks[REMOTE_AGENT_NETWORK]!
      .IPAddress;
    const netInfo = await docker.getNetwork(REMOTE_AGENT_NETWORK).inspect();
    const bridgeGw = netInfo.IPAM?.Config?.[0]?.Gateway ?? '';
    const lan = lanAddress()!;
    const tls = fx.gateway.tlsPort;
    const r = await probe(a, [
      `agentdesk-gateway:${tls}`,
      ...[22, 80, 443, 2375, 8100, tls + 1].map((p) => `${relayIp}:${p}`),
      `${bIp}:8100`,
      `${lan}:${tls}`,
      `${lan}:${hostServicePort}`,
      `${lan}:${fx.gateway.port}`,
      `${lan}:22`,
      `172.17.0.1:${hostServicePort}`,
      ...(bridgeGw ? [`${bridgeGw}:${hostServicePort}`, `${bridgeGw}:${tls}`] : []),
      '1.1.1.1:443',
      '8.8.8.8:53',
    ]);
    expect(r[`agentdesk-gateway:${tls}`]).toBe('connected');
    for (const [target, outcome] of Object.entries(r))
      if (target !== `agentdesk-gateway:${tls}`) expect(outcome, target).not.toBe('connected');
    // The name resolves to nothing outside the network either.
    expect((await probe(a, ['example.com:443']))['example.com:443']).not.toBe('connected');
  });

  it('from inside an agent: plain HTTP to the relay gets no answer; TLS without the pinned certificate fails', async () => {
    const [a] = AGENTS as [string];
    const tls = fx.gateway.tlsPort;
    const plain = await inAgent(
      a,
      `const s = require('node:net').connect(${tls}, 'agentdesk-gateway', () => s.write('GET /v1/models HTTP/1.1\\r\\nHost: agentdesk-gateway:${tls}\\r\\n\\r\\n'));
       let got = ''; s.on('data', (d) => (got += d)); s.on('error', () => {}); s.on('close', () => console.log(JSON.stringify(got.slice(0, 12))));`,
    );
    expect(plain.trim()).not.toMatch(/HTTP\//);
    const unpinned = await inAgent(
      a,
      `fetch('https://agentdesk-gateway:${tls}/v1/models').then((r) => console.log('status', r.status), (e) => console.log('error', e.cause?.code ?? e.message));`,
    );
    expect(unpinned).toMatch(
      /^error (SELF_SIGNED_CERT_IN_CHAIN|DEPTH_ZERO_SELF_SIGNED_CERT|UNABLE_TO_VERIFY_LEAF_SIGNATURE)/,
    );
    const pinned = await inAgent(
      a,
      `fetch('https://agentdesk-gateway:${tls}/v1/models').then((r) => console.log('status', r.status), (e) => console.log('error', e.cause?.code ?? e.message));`,
      [],
      [`NODE_EXTRA_CA_CERTS=${CONFIG_MOUNT}/gateway-ca.pem`],
    );
    expect(pinned.trim()).toBe('status 401'); // TLS verified; no virtual key in this request
  });
});
