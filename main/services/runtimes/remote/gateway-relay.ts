// The gateway relay on a remote Docker engine: an internal network for agents and one tiny byte-forwarding container named agentdesk-gateway on it.
import { dockerStatus } from '../docker/docker-errors';
import type Dockerode from 'dockerode';
import { LABELS, RuntimeOperationError } from '../container-runtime';

/** The network agents on a remote engine join: `--internal`, so it routes nowhere (no LAN, no internet, no host). */
export const REMOTE_AGENT_NETWORK = 'agentdesk-remote';
/** The plain bridge only the relay joins, for its way to a TCP upstream (tcp+TLS engines). */
export const RELAY_OUT_NETWORK = 'agentdesk-relay-out';
/** The relay container's name. */
export const RELAY_CONTAINER = 'agentdesk-gateway-relay';
/** The name agents call the gateway by: the relay's alias on {@link REMOTE_AGENT_NETWORK}, and the certificate's only name. */
export const RELAY_ALIAS = 'agentdesk-gateway';
/** Where the relay sees the folder of the SSH tunnel's socket (read-only). */
const TUNNEL_MOUNT = '/run/agentdesk-tunnel';
/** Label holding the relay's settings, so a changed upstream or port makes {@link ensureGatewayRelay} create it again. */
const RELAY_SPEC_LABEL = 'agentdesk.relay';
/** Label marking the relay and its networks as Agent Desk's. */
const RELAY_ROLE_LABEL = 'agentdesk.role';

/**
 * Where the relay sends the bytes agents send it (TLS, end to end: the relay and the remote host see
 * ciphertext only):
 * - `tcp`: the core's TLS listener at an address the engine host routes to (tcp+TLS engines);
 * - `unix`: the remote end of the core's SSH reverse tunnel, a socket named `socketName` in the folder
 *   `hostDir` on the engine host, bind-mounted read-only. The relay runs as `uid:gid`, the folder's owner
 *   (the SSH login user): the folder is 0700 and sshd makes the socket 0600.
 */
export type RelayUpstream =
  | { kind: 'tcp'; host: string; port: number }
  | { kind: 'unix'; hostDir: string; socketName: string; uid: number; gid: number };

/** What the relay is made of. */
export interface RelaySpec {
  /** The port agents call, `https://agentdesk-gateway:<port>` (the gateway's TLS port: the same number). */
  port: number;
  upstream: RelayUpstream;
  /** An image with `/usr/local/bin/node` on the engine (the agent base image, e.g. `agentdesk/agent-base:2`). */
  image: string;
  /** {@link LABELS.instance} of this core, so another core's cleanup leaves it alone. */
  instanceId: string;
}

/** What {@link ensureGatewayRelay} found or did. */
export interface RelayState {
  /** `created`: made now (first time, missing, stopped with another spec, or its spec changed); `started`: it existed, stopped; `running`: nothing to do. */
  action: 'created' | 'started' | 'running';
  /** The relay's address on {@link REMOTE_AGENT_NETWORK}. */
  address: string;
}

/** Memory (MiB) and tasks the relay may use: one Node process, an event loop, a few sockets. */
const RELAY_MEMORY_MIB = 48;
const RELAY_PIDS = 32;
/** Connections the relay holds at once; more are refused until one closes. */
const RELAY_MAX_CONNECTIONS = 512;

/**
 * The relay's whole program (`node -e`): listens on `0.0.0.0:<port>` of its own network namespace and
 * pipes each connection to the upstream, nothing else (no parsing, no logging of bytes). Arguments:
 * `<port> tcp <host> <port>` or `<port> unix <socket path>`.
 */
export const RELAY_PROGRAM = [
  "'use strict';",
  "const net = require('node:net');",
  'const [port, kind, a, b] = process.argv.slice(1);',
  "const up = () => (kind === 'unix' ? net.connect(a) : net.connect(Number(b), a));",
  'const server = net.createServer({ noDelay: true }, (c) => {',
  '  const u = up();',
  '  const end = () => { c.destroy(); u.destroy(); };',
  "  c.on('error', end); u.on('error', end); c.on('close', end); u.on('close', end);",
  '  c.pipe(u); u.pipe(c);',
  '});',
  `server.maxConnections = ${RELAY_MAX_CONNECTIONS};`,
  "server.listen(Number(port), '0.0.0.0');",
  "process.on('SIGTERM', () => process.exit(0));",
].join('\n');

/**
 * The containment of Agent Desk's own service containers on a remote engine (the relay, the egress
 * proxy): on {@link REMOTE_AGENT_NETWORK}, read-only root, no capabilities, no new privileges, `memoryMiB`
 * of memory and no swap, `pids` tasks, half a CPU, restarted by the engine unless stopped (the core may
 * be away), no init, logs capped at 1 MiB.
 */
export function serviceHostConfig(memoryMiB: number, pids: number): Dockerode.HostConfig {
  return {
    NetworkMode: REMOTE_AGENT_NETWORK,
    ReadonlyRootfs: true,
    CapDrop: ['ALL'],
    SecurityOpt: ['no-new-privileges'],
    Memory: memoryMiB * 1024 * 1024,
    MemorySwap: memoryMiB * 1024 * 1024,
    PidsLimit: pids,
    NanoCpus: 500_000_000,
    RestartPolicy: { Name: 'unless-stopped' },
    Init: false,
    LogConfig: { Type: 'json-file', Config: { 'max-size': '1m', 'max-file': '1' } },
  };
}

function checkSpec(spec: RelaySpec): void {
  const bad = (m: string) => new RuntimeOperationError('docker', 'ensureGatewayRelay', m);
  if (!Number.isInteger(spec.port) || spec.port < 1 || spec.port > 65535)
    throw bad(`port ${spec.port} is not valid: use 1–65535`);
  const u = spec.upstream;
  if (u.kind === 'tcp') {
    if (!/^[A-Za-z0-9.:-]+$/.test(u.host)) throw bad(`upstream host ${JSON.stringify(u.host)} is not valid`);
    if (!Number.isInteger(u.port) || u.port < 1 || u.port > 65535)
      throw bad(`upstream port ${u.port} is not valid: use 1–65535`);
  } else {
    if (!/^\/[A-Za-z0-9._/-]+$/.test(u.hostDir) || u.hostDir.includes('..'))
      throw bad(`tunnel folder ${JSON.stringify(u.hostDir)} is not a plain absolute path`);
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(u.socketName))
      throw bad(`tunnel socket name ${JSON.stringify(u.socketName)} is not valid`);
    for (const id of [u.uid, u.gid])
      if (!Number.isInteger(id) || id < 0 || id > 2 ** 31) throw bad(`tunnel owner id ${id} is not valid`);
  }
}

function labels(spec: RelaySpec | null, instanceId: string): Record<string, string> {
  return {
    [LABELS.managed]: '1',
    [LABELS.instance]: instanceId,
    [RELAY_ROLE_LABEL]: 'gateway-relay',
    ...(spec ? { [RELAY_SPEC_LABEL]: JSON.stringify([spec.port, spec.upstream, spec.image]) } : {}),
  };
}

/**
 * Bridge option: the engine host gets no address on the bridge. An `--internal` network alone still
 * gives containers a default route to the host's bridge address (measured on Docker 20.10), so they reach
 * every service of the host that listens on all addresses; without a host address they reach only each
 * other (the relay). Agents' runtimes listen on loopback, so that is the relay alone.
 */
const INHIBIT_IPV4 = 'com.docker.network.bridge.inhibit_ipv4';
/** Bridge option: no container-to-container traffic (the relay's way out needs no neighbours). */
const ICC = 'com.docker.network.bridge.enable_icc';

/**
 * Makes network `name` when missing: `internal` with no host address on its bridge (agents reach nothing
 * but each other: no host, no LAN, no internet), or a plain bridge without container-to-container
 * traffic (the relay's way out). An existing network of that name with other settings is made again
 * when no container uses it. @throws RuntimeOperationError when containers use such a network.
 */
export async function ensureNetwork(
  docker: Dockerode,
  name: string,
  internal: boolean,
  instanceId: string,
): Promise<void> {
  const options: Record<string, string> = internal ? { [INHIBIT_IPV4]: 'true' } : { [ICC]: 'false' };
  let info: Dockerode.NetworkInspectInfo | null = null;
  try {
    info = await docker.getNetwork(name).inspect();
  } catch (err) {
    if (dockerStatus(err) !== 404) throw err;
  }
  if (info) {
    const same =
      Boolean(info.Internal) === internal &&
      Object.entries(options).every(([k, v]) => info.Options?.[k] === v);
    if (same) return;
    if (Object.keys(info.Containers ?? {}).length)
      throw new RuntimeOperationError(
        'docker',
        'ensureGatewayRelay',
        `the network ${name} exists with other settings than Agent Desk's (${internal ? '--internal, no host address' : 'no container-to-container traffic'}) and containers use it; remove them and the network (\`docker network rm ${name}\`) and try again`,
      );
    await docker.getNetwork(name).remove();
  }
  try {
    await docker.createNetwork({
      Name: name,
      Driver: 'bridge',
      CheckDuplicate: true,
      Internal: internal,
      Labels: labels(null, instanceId),
      Options: options,
    });
  } catch (err) {
    if (dockerStatus(err) !== 409) throw err; // made meanwhile by a concurrent call
  }
}

/**
 * Makes sure the relay runs on this engine, as `spec` says: networks {@link REMOTE_AGENT_NETWORK}
 * (internal) and, for a TCP upstream, {@link RELAY_OUT_NETWORK}; the container {@link RELAY_CONTAINER}
 * with the alias {@link RELAY_ALIAS} on the internal network, running {@link RELAY_PROGRAM} from `image`
 * with a read-only root, no capabilities, no new privileges, an unprivileged user (65534, or the
 * tunnel folder's owner), 48 MiB and 32 tasks, restarted by the engine unless stopped. Idempotent: a
 * running relay with the same spec is left alone; a stopped one is started; a missing one, or one with
 * another spec, is created (again). Call it when an engine is added, at start, and whenever the relay is
 * found missing (reconcile).
 * @throws RuntimeOperationError for a bad spec, a network of that name with the other `internal`
 *   setting, or an engine error (the image missing: 404, as the engine says).
 */
export async function ensureGatewayRelay(docker: Dockerode, spec: RelaySpec): Promise<RelayState> {
  checkSpec(spec);
  await ensureNetwork(docker, REMOTE_AGENT_NETWORK, true, spec.instanceId);
  if (spec.upstream.kind === 'tcp') await ensureNetwork(docker, RELAY_OUT_NETWORK, false, spec.instanceId);
  const want = labels(spec, spec.instanceId)[RELAY_SPEC_LABEL];
  const c = docker.getContainer(RELAY_CONTAINER);
  let action: RelayState['action'] = 'running';
  let info: Dockerode.ContainerInspectInfo | null = null;
  try {
    info = await c.inspect();
  } catch (err) {
    if (dockerStatus(err) !== 404) throw err;
  }
  if (info && info.Config.Labels?.[RELAY_SPEC_LABEL] !== want) {
    await c.remove({ force: true });
    info = null;
  }
  if (!info) {
    await createRelay(docker, spec);
    action = 'created';
  }
  const now = await c.inspect();
  if (!now.State.Running) {
    await c.start().catch((err: unknown) => {
      if (dockerStatus(err) !== 304) throw err;
    });
    if (action === 'running') action = 'started';
  }
  const after = await c.inspect();
  const address = after.NetworkSettings.Networks[REMOTE_AGENT_NETWORK]?.IPAddress ?? '';
  return { action, address };
}

async function createRelay(docker: Dockerode, spec: RelaySpec): Promise<void> {
  const u = spec.upstream;
  const args =
    u.kind === 'tcp'
      ? [String(spec.port), 'tcp', u.host, String(u.port)]
      : [String(spec.port), 'unix', `${TUNNEL_MOUNT}/${u.socketName}`];
  const user = u.kind === 'unix' ? `${u.uid}:${u.gid}` : '65534:65534';
  const created = await docker.createContainer({
    name: RELAY_CONTAINER,
    Image: spec.image,
    Entrypoint: ['/usr/local/bin/node'],
    Cmd: ['-e', RELAY_PROGRAM, ...args],
    User: user,
    WorkingDir: '/',
    Env: ['PATH=/usr/local/bin:/usr/bin:/bin', 'NODE_OPTIONS='],
    Labels: labels(spec, spec.instanceId),
    NetworkingConfig: {
      EndpointsConfig: { [REMOTE_AGENT_NETWORK]: { Aliases: [RELAY_ALIAS] } },
    },
    HostConfig: {
      ...serviceHostConfig(RELAY_MEMORY_MIB, RELAY_PIDS),
      Tmpfs: {},
      Binds: u.kind === 'unix' ? [`${u.hostDir}:${TUNNEL_MOUNT}:ro`] : [],
    },
  });
  if (u.kind === 'tcp') await docker.getNetwork(RELAY_OUT_NETWORK).connect({ Container: created.id });
}

/**
 * Whether the relay runs with `spec` (`running`), exists otherwise (`stopped`: not running, or another
 * spec), or is `missing`: what a health probe or reconcile needs to decide on {@link ensureGatewayRelay}.
 */
export async function gatewayRelayStatus(
  docker: Dockerode,
  spec: RelaySpec,
): Promise<'running' | 'stopped' | 'missing'> {
  try {
    const info = await docker.getContainer(RELAY_CONTAINER).inspect();
    if (info.Config.Labels?.[RELAY_SPEC_LABEL] !== labels(spec, spec.instanceId)[RELAY_SPEC_LABEL])
      return 'stopped';
    return info.State.Running ? 'running' : 'stopped';
  } catch (err) {
    if (dockerStatus(err) === 404) return 'missing';
    throw err;
  }
}

/**
 * Removes the relay and both networks (when the engine is removed from Agent Desk). Missing parts are
 * skipped; a network some container still uses (an agent not purged yet) is left, and named in the
 * result. @returns the networks kept because they are in use.
 */
export async function removeGatewayRelay(docker: Dockerode): Promise<string[]> {
  try {
    await docker.getContainer(RELAY_CONTAINER).remove({ force: true });
  } catch (err) {
    if (dockerStatus(err) !== 404) throw err;
  }
  const kept: string[] = [];
  for (const name of [RELAY_OUT_NETWORK, REMOTE_AGENT_NETWORK])
    try {
      await docker.getNetwork(name).remove();
    } catch (err) {
      const s = dockerStatus(err);
      if (s === 404) continue;
      if (s === 403 || s === 409) kept.push(name);
      else throw err;
    }
  return kept;
}
