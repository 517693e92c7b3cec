// The Incus side of agent egress: a routed NIC per agent, host services on the project bridge's address (or proxy devices), the networks agents must not reach.
import os from 'node:os';
import { RuntimeOperationError } from '../container-runtime';
import type { EgressAttachment, EgressNetwork } from '../container-runtime';
import type { IncusClient } from './incus-client';
import type { IncusInstance } from './incus-config';

/**
 * Addresses of agents' routed NICs (a /16 outside Incus's and Docker's usual ranges). Each agent gets
 * one /32 route to its NIC on the host; `AGENTDESK_INCUS_AGENT_POOL` (a /16–/24 CIDR) replaces it when it
 * clashes with a network of the machine.
 */
export const DEFAULT_ROUTED_POOL = '10.214.0.0/16';

/** Names of the proxy devices forwarding the container's 127.0.0.1:53 to the host resolver. */
export const DNS_DEVICES = { udp: 'agentdesk-dns-udp', tcp: 'agentdesk-dns-tcp' } as const;

/**
 * Environment variable that, set to `1`, keeps the proxy devices (gateway and DNS on the container's
 * 127.0.0.1, the runtime on a unix socket) instead of routed access to the project bridge's address.
 */
export const PROXY_DEVICES_ENV = 'AGENTDESK_INCUS_PROXY_DEVICES';

/** The container's `/etc/resolv.conf` when it reaches its resolver over its routed NIC. */
export function resolvConf(hostAddress: string): string {
  return `nameserver ${hostAddress}\noptions attempts:2 timeout:2\n`;
}

/**
 * The host's address on the bridge of the default profile's NIC (`GET /1.0/networks?recursion=1`):
 * the managed network's `ipv4.address` without its prefix length, or null (no bridged NIC, an
 * unmanaged or IPv4-less network, or {@link PROXY_DEVICES_ENV} set). Routed agents reach host services
 * there: it is a local address of the host for as long as the bridge exists.
 */
export function bridgeHostAddress(
  networks: { name?: string; managed?: boolean; config?: Record<string, string> }[],
  profileDevices: Record<string, Record<string, string>>,
  env: Readonly<NodeJS.ProcessEnv>,
): string | null {
  if (env[PROXY_DEVICES_ENV] === '1') return null;
  for (const d of Object.values(profileDevices)) {
    if (d.type !== 'nic') continue;
    const name = d.network ?? (d.nictype === 'bridged' ? d.parent : undefined);
    const n = networks.find((x) => x.name === name);
    const cidr = n?.managed ? n.config?.['ipv4.address'] : undefined;
    const m = /^(\d{1,3}(?:\.\d{1,3}){3})\/\d{1,2}$/.exec(cidr ?? '');
    if (m) return m[1]!;
  }
  return null;
}

/** Config keys turning IPv6 off inside the container (agents have IPv4 only; the host also drops IPv6 from them). */
export const IPV6_OFF: Record<string, string> = {
  'linux.sysctl.net.ipv6.conf.all.disable_ipv6': '1',
  'linux.sysctl.net.ipv6.conf.default.disable_ipv6': '1',
};

/** The routed pool: the environment's override or {@link DEFAULT_ROUTED_POOL}. @throws RuntimeOperationError for a bad override. */
export function routedPool(env: Readonly<NodeJS.ProcessEnv>): string {
  const pool = env.AGENTDESK_INCUS_AGENT_POOL?.trim() || DEFAULT_ROUTED_POOL;
  const m = /^(\d{1,3}(?:\.\d{1,3}){3})\/(\d{1,2})$/.exec(pool);
  if (!m || Number(m[2]) < 16 || Number(m[2]) > 24)
    throw new RuntimeOperationError(
      'incus',
      'egressNetwork',
      `AGENTDESK_INCUS_AGENT_POOL "${pool}" is not valid: use an IPv4 CIDR from /16 to /24, e.g. ${DEFAULT_ROUTED_POOL}`,
    );
  return pool;
}

function inPool(address: string, pool: string): boolean {
  const [base, bits] = pool.split('/');
  const toInt = (a: string) => a.split('.').reduce((n, p) => n * 256 + Number(p), 0);
  const mask = (0xffffffff << (32 - Number(bits))) >>> 0;
  return (toInt(address) & mask) >>> 0 === (toInt(base!) & mask) >>> 0;
}

/**
 * The devices that attach an agent for egress, replacing the profile's NICs: `eth0` routed (Incus docs,
 * "Type: nic", routed: Incus gives the container its address and a default route through the host-side
 * interface at start, so the image needs no DHCP client), every other NIC of the profile masked
 * (`type: none`). Without `egress.hostAddress`, the container's 127.0.0.1:53 (UDP and TCP) is forwarded
 * to the host resolver by proxy devices; with it, DNS goes over the NIC (see {@link resolvConf}).
 */
export function egressDevices(
  egress: EgressAttachment,
  profileDevices: Record<string, Record<string, string>>,
): Record<string, Record<string, string>> {
  if (!egress.hostInterface || !egress.dnsHostPort)
    throw new Error('an Incus egress attachment needs hostInterface and dnsHostPort');
  const out: Record<string, Record<string, string>> = {};
  for (const [name, d] of Object.entries(profileDevices)) if (d.type === 'nic') out[name] = { type: 'none' };
  out.eth0 = {
    type: 'nic',
    nictype: 'routed',
    name: 'eth0',
    'ipv4.address': egress.address,
    host_name: egress.hostInterface,
  };
  if (!egress.hostAddress)
    for (const proto of ['udp', 'tcp'] as const)
      out[DNS_DEVICES[proto]] = {
        type: 'proxy',
        listen: `${proto}:127.0.0.1:53`,
        connect: `${proto}:127.0.0.1:${egress.dnsHostPort}`,
        bind: 'instance',
      };
  return out;
}

/**
 * The routed pool and every managed network's IPv4 subnet (`GET /1.0/networks?recursion=1`), which
 * agents must not reach. @throws RuntimeOperationError when a host interface sits in the pool.
 */
export function incusEgressNetwork(
  networks: { name?: string; managed?: boolean; config?: Record<string, string> }[],
  env: Readonly<NodeJS.ProcessEnv>,
  profileDevices: Record<string, Record<string, string>> = {},
): EgressNetwork {
  const pool = routedPool(env);
  for (const addrs of Object.values(os.networkInterfaces()))
    for (const a of addrs ?? [])
      if (a.family === 'IPv4' && !a.internal && inPool(a.address, pool))
        throw new RuntimeOperationError(
          'incus',
          'egressNetwork',
          `the agents' address pool ${pool} overlaps a network of this machine (${a.address}); set AGENTDESK_INCUS_AGENT_POOL to a free /16–/24`,
        );
  const protectedRanges = new Set<string>([pool]);
  for (const n of networks) {
    const cidr = n.config?.['ipv4.address'];
    if (!n.managed || !cidr || cidr === 'none') continue;
    const [address, bits] = cidr.split('/');
    const prefix = Number(bits);
    const toInt = (a: string) => a.split('.').reduce((x, p) => x * 256 + Number(p), 0);
    const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
    const v = (toInt(address!) & mask) >>> 0;
    protectedRanges.add(`${[24, 16, 8, 0].map((s) => (v >>> s) & 255).join('.')}/${prefix}`);
  }
  return {
    kind: 'routed',
    pool,
    protectedRanges: [...protectedRanges],
    hostAddress: bridgeHostAddress(networks, profileDevices, env),
  };
}

/** Addresses of routed NICs of every instance: address → instance name. */
export function routedAddresses(instances: IncusInstance[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const inst of instances)
    for (const d of Object.values(inst.expanded_devices ?? inst.devices))
      if (d.type === 'nic' && d.nictype === 'routed' && d['ipv4.address'])
        for (const a of d['ipv4.address'].split(',')) out.set(a.trim(), inst.name);
  return out;
}

/** True when the instance's devices already are what {@link egressDevices} would make. */
export function hasEgress(inst: IncusInstance, wanted: Record<string, Record<string, string>>): boolean {
  return Object.entries(wanted).every(([name, d]) => {
    const have = inst.devices[name];
    return !!have && Object.entries(d).every(([k, v]) => have[k] === v);
  });
}

/**
 * Gives instance `inst` (at `path`) the devices of {@link egressDevices} for the default profile and
 * turns IPv6 off, unless it has them already (`PATCH`, devices and config merged). A container made
 * with DNS proxy devices keeps them, pointed at the resolver's new address, until it is created again;
 * one reaching host services over its NIC gets its `/etc/resolv.conf` written.
 */
export async function attachIncusEgress(
  client: IncusClient,
  path: string,
  inst: IncusInstance,
  egress: EgressAttachment,
  deadlineMs: number,
): Promise<void> {
  const profile = await client.get<{ devices?: Record<string, Record<string, string>> }>(
    '/1.0/profiles/default',
    'attachEgress',
  );
  const wanted = egressDevices(egress, profile.devices ?? {});
  let proxied = false;
  if (egress.hostAddress)
    for (const proto of ['udp', 'tcp'] as const)
      if (inst.devices[DNS_DEVICES[proto]]) {
        proxied = true;
        wanted[DNS_DEVICES[proto]] = {
          ...inst.devices[DNS_DEVICES[proto]],
          connect: `${proto}:${egress.hostAddress}:${egress.dnsHostPort}`,
        };
      }
  if (hasEgress(inst, wanted)) return;
  if (egress.hostAddress && !proxied)
    await client.putFile(path, '/etc/resolv.conf', resolvConf(egress.hostAddress), 'attachEgress');
  await client.run(
    'PATCH',
    path,
    { devices: { ...inst.devices, ...wanted }, config: { ...inst.config, ...IPV6_OFF } },
    'attachEgress',
    deadlineMs,
  );
}
