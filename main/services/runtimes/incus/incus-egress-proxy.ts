// The egress proxy on a remote Incus (docs/decisions/023-remote-egress.md, "Incus"): one instance with a NIC on a managed bridge, agents reaching it only through their proxy device, each on its own port.
import { LABELS } from '../container-runtime';
import type { ContainerSpec } from '../container-runtime';
import { EGRESS_PROXY_SOURCE } from '../../egress/remote/egress-proxy-table';
import type { EgressTable } from '../../egress/remote/egress-proxy-table';
import { EGRESS_PROXY_PORT, egressProxySpec } from '../remote/egress-proxy-container';
import type { IncusClient } from './incus-client';
import { isNotFound } from './incus-client';
import { instanceBody } from './incus-config';
import { resolvConf } from './incus-egress';

/** The proxy instance's name. */
export const INCUS_EGRESS_INSTANCE = 'agentdesk-egress-proxy';
/** The agent's proxy device: listens on 127.0.0.1:3128 inside, connects (from the remote host) to the agent's port of the proxy. */
export const INCUS_EGRESS_DEVICE = 'agentdesk-egress';
/** The first per-agent port of the proxy (each agent gets the lowest free one from here). */
export const FIRST_AGENT_PORT = 4001;
/** The last per-agent port. */
export const LAST_AGENT_PORT = 8999;
/** The program inside the instance (pushed by the core, root-owned, 0644). */
const PROGRAM = '/usr/local/lib/agentdesk-egress-proxy.cjs';
const TABLE_DIR = '/var/lib/agentdesk-egress';
const TABLE = `${TABLE_DIR}/table.json`;
/** Config of the proxy instance: container name → its port (JSON), the proxy's address, its settings. */
const PORTS_KEY = 'user.agentdesk.egress_ports';
const ADDRESS_KEY = 'user.agentdesk.egress_address';
const SPEC_KEY = 'user.agentdesk.egress_proxy';

/** The remote has no managed bridge with an IPv4 address in its default profile: nowhere for the proxy. */
export class NoEgressNetworkError extends Error {}

/** What the agents' devices and the table need to know of the running proxy. */
export interface IncusEgressProxy {
  /** The proxy's IPv4 address on its network (where agents' devices connect). */
  address: string;
  /** The remote host's addresses towards the proxy: where forkproxy connects from (the table's `portSources`). */
  hostAddresses: string[];
  /** The network's subnet, `a.b.c.d/p` (refused as the engine's own network). */
  subnet: string;
  /** Container name → its port on the proxy. */
  ports: Record<string, number>;
}

interface Instance {
  status: string;
  config: Record<string, string>;
  devices?: Record<string, Record<string, string>>;
  expanded_devices?: Record<string, Record<string, string>>;
}

const path = (name: string) => `/1.0/instances/${encodeURIComponent(name)}`;

async function get<T>(client: IncusClient, p: string, what: string): Promise<T | null> {
  try {
    return await client.get<T>(p, what);
  } catch (err) {
    if (isNotFound(err)) return null;
    throw err;
  }
}

/**
 * Where the proxy's NIC goes: the first NIC of the default profile naming a managed network with an
 * IPv4 address. The proxy gets a `routed` NIC on that bridge (parent) with a fixed address, the
 * subnet's last usable one (the agent image has no DHCP client; LXC configures a routed NIC's address
 * and its gateway {@link ROUTED_HOST_ADDRESS} itself); the bridge's NAT covers its subnet's sources.
 * @throws NoEgressNetworkError naming what the remote lacks and how to add it.
 */
async function proxyNetwork(
  client: IncusClient,
  profile: Record<string, Record<string, string>>,
): Promise<{ nic: string; network: string; hostAddress: string; subnet: string; address: string }> {
  for (const [nic, d] of Object.entries(profile)) {
    if (d.type !== 'nic' || !d.network) continue;
    const n = await get<{ managed?: boolean; type?: string; config?: Record<string, string> }>(
      client,
      `/1.0/networks/${encodeURIComponent(d.network)}`,
      'egress proxy network',
    );
    const cidr = n?.managed && n.type === 'bridge' ? (n.config?.['ipv4.address'] ?? '') : '';
    const m = /^(\d{1,3}(?:\.\d{1,3}){3})\/(\d{1,2})$/.exec(cidr);
    if (!m || Number(m[2]) > 30) continue;
    const prefix = Number(m[2]);
    const host = m[1]!.split('.').reduce((x, o) => x * 256 + Number(o), 0);
    const size = 2 ** (32 - prefix);
    const base = host - (host % size);
    const dotted = (v: number) => [v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255].join('.');
    return {
      nic,
      network: d.network,
      hostAddress: m[1]!,
      subnet: `${dotted(base)}/${prefix}`,
      address: dotted(base + size - 2),
    };
  }
  throw new NoEgressNetworkError(
    "The remote Incus has no way out for agents' egress: its default profile needs a NIC on a managed bridge with an IPv4 address (e.g. `incus network create agentdesk-egress` and `incus profile device add default eth0 nic network=agentdesk-egress`)",
  );
}

/** The remote host's address on the proxy's routed NIC (Incus's default `ipv4.host_address`): where forkproxy connects from. */
export const ROUTED_HOST_ADDRESS = '169.254.0.1';

/**
 * Makes sure the proxy instance {@link INCUS_EGRESS_INSTANCE} runs: from `image` (with
 * /usr/local/bin/node), the default profile's NIC on a managed bridge, the agent's containment
 * (unprivileged, the image's init dropping to 65534:65534 with no capabilities, 64 MiB, 32 tasks),
 * running egress-proxy.cjs pushed as a file with its table in {@link TABLE}. Made again when its image
 * or program changed. Then assigns each container of `containers` a port (kept while it is listed; new
 * ones get the lowest free port from {@link FIRST_AGENT_PORT}), recorded in the instance's config.
 * @param start starts an instance (the runtime's start).
 * @returns the proxy's address, the host's address and subnet of its network, and the ports.
 * @throws NoEgressNetworkError when the remote has no managed bridge for it (checked before anything is
 *   made); Incus errors.
 */
export async function ensureIncusEgressProxy(
  client: IncusClient,
  o: {
    image: string;
    instanceId: string;
    profile: Record<string, Record<string, string>>;
    containers: string[];
    start: (name: string) => Promise<void>;
    remove: (name: string) => Promise<void>;
  },
): Promise<IncusEgressProxy> {
  const want = egressProxySpec(o.image);
  let inst = await get<Instance>(client, path(INCUS_EGRESS_INSTANCE), 'egress proxy');
  if (inst && inst.config[SPEC_KEY] !== want) {
    await o.remove(INCUS_EGRESS_INSTANCE);
    inst = null;
  }
  const net = await proxyNetwork(client, o.profile);
  if (!inst) {
    const spec: ContainerSpec = {
      name: INCUS_EGRESS_INSTANCE,
      image: o.image,
      env: { NODE_OPTIONS: '' },
      labels: { [LABELS.instance]: o.instanceId },
      mounts: [],
      memoryMiB: 64,
      cpus: 1,
      ports: [],
      command: [
        'node',
        '-e',
        `require(${JSON.stringify(PROGRAM)})`,
        'agentdesk-egress-proxy',
        String(EGRESS_PROXY_PORT),
        TABLE,
      ],
      security: { uid: 65534, gid: 65534, pidsLimit: 32, tmpfs: {} },
    };
    const body = instanceBody(spec, [], {
      [net.nic]: {
        type: 'nic',
        nictype: 'routed',
        parent: net.network,
        'ipv4.address': net.address,
        'ipv4.host_address': ROUTED_HOST_ADDRESS,
        name: 'eth0',
      },
    }) as { config: Record<string, string> };
    body.config[SPEC_KEY] = want;
    body.config['linux.sysctl.net.ipv6.conf.all.disable_ipv6'] = '1';
    await client.run('POST', '/1.0/instances', body, 'egress proxy', 120_000);
    await client.putFile(path(INCUS_EGRESS_INSTANCE), PROGRAM, EGRESS_PROXY_SOURCE, 'egress proxy');
    // The proxy looks names up itself: through the bridge's own DNS (Incus's dnsmasq on the host's
    // address on that bridge, forwarding to the remote host's resolvers), as a container on it would.
    await client.putFile(
      path(INCUS_EGRESS_INSTANCE),
      '/etc/resolv.conf',
      resolvConf(net.hostAddress),
      'egress proxy',
    );
    await client.putPath(
      path(INCUS_EGRESS_INSTANCE),
      TABLE_DIR,
      { type: 'directory', uid: 0, gid: 0, mode: 0o755 },
      'egress proxy',
    );
    inst = (await get<Instance>(client, path(INCUS_EGRESS_INSTANCE), 'egress proxy'))!;
  }
  if (inst.status !== 'Running') await o.start(INCUS_EGRESS_INSTANCE);
  const address = net.address;
  const ports = assignPorts(parsePorts(inst.config[PORTS_KEY]), o.containers);
  const config: Record<string, string> = {};
  if (JSON.stringify(ports) !== (inst.config[PORTS_KEY] ?? '')) config[PORTS_KEY] = JSON.stringify(ports);
  if (inst.config[ADDRESS_KEY] !== address) config[ADDRESS_KEY] = address;
  if (Object.keys(config).length)
    await client.run('PATCH', path(INCUS_EGRESS_INSTANCE), { config }, 'egress proxy', 60_000);
  return { address, hostAddresses: [ROUTED_HOST_ADDRESS, net.hostAddress], subnet: net.subnet, ports };
}

function parsePorts(text: string | undefined): Record<string, number> {
  try {
    const v = JSON.parse(text ?? '{}') as unknown;
    if (!v || typeof v !== 'object') return {};
    const out = Object.create(null) as Record<string, number>;
    for (const [k, p] of Object.entries(v))
      if (Number.isInteger(p) && (p as number) >= FIRST_AGENT_PORT && (p as number) <= LAST_AGENT_PORT)
        out[k] = p as number;
    return out;
  } catch {
    return {};
  }
}

/**
 * Ports of `containers`: the ones already held kept, new ones the lowest free port from
 * {@link FIRST_AGENT_PORT}; containers no longer listed give theirs up.
 * @throws Error when more agents than ports ({@link LAST_AGENT_PORT}).
 */
export function assignPorts(held: Record<string, number>, containers: string[]): Record<string, number> {
  // No prototype: a container name is a plain key, never `__proto__`'s setter.
  const out = Object.create(null) as Record<string, number>;
  for (const c of containers) if (Object.prototype.hasOwnProperty.call(held, c)) out[c] = held[c]!;
  const used = new Set(Object.values(out));
  let next = FIRST_AGENT_PORT;
  for (const c of containers) {
    if (c in out) continue;
    while (used.has(next)) next++;
    if (next > LAST_AGENT_PORT)
      throw new Error(
        `more than ${LAST_AGENT_PORT - FIRST_AGENT_PORT + 1} agents on this remote's egress proxy`,
      );
    out[c] = next;
    used.add(next);
  }
  return out;
}

/**
 * The agent's proxy device when the proxy holds a port for `container` (else null: the agent has no
 * way out but the gateway): listens on 127.0.0.1:3128 inside (`bind=container`), incusd's forkproxy
 * connects from the remote host to the proxy's address at the agent's port. Read from the proxy
 * instance's config (written by {@link ensureIncusEgressProxy}).
 */
export async function egressDeviceFor(
  client: IncusClient,
  container: string,
): Promise<Record<string, string> | null> {
  const inst = await get<Instance>(client, path(INCUS_EGRESS_INSTANCE), 'egress proxy');
  const port = parsePorts(inst?.config[PORTS_KEY])[container];
  const address = inst?.config[ADDRESS_KEY] ?? '';
  if (!port || !/^\d{1,3}(\.\d{1,3}){3}$/.test(address)) return null;
  return {
    type: 'proxy',
    listen: `tcp:127.0.0.1:${EGRESS_PROXY_PORT}`,
    connect: `tcp:${address}:${port}`,
    bind: 'container',
  };
}

/** Writes the proxy's table (the proxy reads it again within 2 s: it watches the file). */
export async function writeIncusEgressTable(client: IncusClient, table: EgressTable): Promise<void> {
  await client.putFile(path(INCUS_EGRESS_INSTANCE), TABLE, JSON.stringify(table), 'egress table');
}
