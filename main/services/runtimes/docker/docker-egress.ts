// The Docker side of agent egress: the agents' bridge as the firewall sees it, fixed addresses in use, re-attaching a container.
import net from 'node:net';
import type Dockerode from 'dockerode';
import { RuntimeNotFoundError, RuntimeOperationError } from '../container-runtime';
import type { EgressAttachment, EgressNetwork } from '../container-runtime';
import { dockerStatus } from './docker-errors';
import { dynamicHalf, ipv4Gateway } from './docker-network';

/** Bridge driver option naming the host interface (Docker docs, "Bridge network driver" options). */
const BRIDGE_NAME_OPTION = 'com.docker.network.bridge.name';

function toInt(a: string): number {
  return a.split('.').reduce((n, p) => n * 256 + Number(p), 0);
}

function toDotted(n: number): string {
  return [24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.');
}

/**
 * The network `name` (already prepared by ensureBridgeNetwork) as the egress firewall needs it: its host
 * interface (`com.docker.network.bridge.name`, else Docker's `br-<first 12 of the id>`), subnet,
 * gateway, the fixed-address pool (the subnet's upper half, broadcast excluded) and every Docker
 * network's IPv4 subnet (agents must reach none of them).
 * @throws RuntimeOperationError when the network has no pinned IPv4 subnet.
 */
export async function dockerEgressNetwork(docker: Dockerode, name: string): Promise<EgressNetwork> {
  const info = await docker.getNetwork(name).inspect();
  const config = (info.IPAM?.Config ?? []) as { Subnet?: string; IPRange?: string }[];
  const pinnedConfig = config.find((c) => c.Subnet && c.IPRange && c.IPRange === dynamicHalf(c.Subnet));
  const gateway = ipv4Gateway(info);
  if (!pinnedConfig?.Subnet || !gateway)
    throw new RuntimeOperationError(
      'docker',
      'egressNetwork',
      `network "${name}" has no IPv4 subnet with a fixed-address range; prepare it first (it is migrated then)`,
    );
  const [base, bits] = pinnedConfig.Subnet.split('/');
  const prefix = Number(bits);
  const size = 2 ** (32 - prefix);
  const start = toInt(base!);
  const networks = await docker.listNetworks();
  const protectedRanges = new Set<string>();
  for (const n of networks)
    for (const c of (n.IPAM?.Config ?? []) as { Subnet?: string }[])
      if (c.Subnet && net.isIPv4(c.Subnet.split('/')[0]!)) protectedRanges.add(c.Subnet);
  return {
    kind: 'bridge',
    bridge: info.Options?.[BRIDGE_NAME_OPTION] ?? `br-${info.Id.slice(0, 12)}`,
    subnet: pinnedConfig.Subnet,
    gateway,
    pool: { first: toDotted(start + size / 2), last: toDotted(start + size - 2) },
    protectedRanges: [...protectedRanges],
  };
}

/** The addresses held on network `name` (a fixed one configured, else the one assigned now): address → container. */
export async function dockerAddressesInUse(docker: Dockerode, name: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const info = await docker.getNetwork(name).inspect();
  const members = await docker.listContainers({ all: true, filters: { network: [info.Id] } });
  for (const m of members) {
    const ep = Object.values(m.NetworkSettings?.Networks ?? {}).find((n) => n.NetworkID === info.Id) as
      { IPAMConfig?: { IPv4Address?: string } | null; IPAddress?: string } | undefined;
    const address = ep?.IPAMConfig?.IPv4Address || ep?.IPAddress;
    if (address) out.set(address, (m.Names[0] ?? m.Id).replace(/^\//, ''));
  }
  return out;
}

/**
 * Gives container `container` the fixed address of `egress` on network `name` (disconnect, then connect
 * with the address; works stopped or running). A no-op when it has it already. The DNS server is part
 * of the container's config and only set at creation.
 * @throws RuntimeNotFoundError when the container does not exist.
 */
export async function dockerAttachEgress(
  docker: Dockerode,
  name: string,
  container: string,
  egress: EgressAttachment,
): Promise<void> {
  let info: Dockerode.ContainerInspectInfo;
  try {
    info = await docker.getContainer(container).inspect();
  } catch (err) {
    if (dockerStatus(err) === 404) throw new RuntimeNotFoundError('docker', 'container', container);
    throw err;
  }
  const networks = (info.NetworkSettings?.Networks ?? {}) as Record<
    string,
    { IPAMConfig?: { IPv4Address?: string } | null } | undefined
  >;
  const ep = networks[name];
  if (ep?.IPAMConfig?.IPv4Address === egress.address) return;
  const network = docker.getNetwork(name);
  if (ep) await network.disconnect({ Container: info.Id, Force: true });
  await network.connect({
    Container: info.Id,
    EndpointConfig: { IPAMConfig: { IPv4Address: egress.address } },
  });
}
