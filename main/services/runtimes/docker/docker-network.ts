// Ensures the user-defined bridge network agent containers join, and finds its gateway address on the host.
import net from 'node:net';
import os from 'node:os';
import type Dockerode from 'dockerode';
import { LABELS, RuntimeOperationError } from '../container-runtime';
import { dockerMessage, dockerStatus } from './docker-errors';

/**
 * Subnets tried, in order, when Docker cannot or does not assign one itself (its default pools
 * exhausted, or an engine that leaves the gateway empty). /24s in 10.213.0.0/16, skipped when a host
 * interface already sits in one.
 */
const FALLBACK_SUBNETS = Array.from({ length: 16 }, (_, i) => `10.213.${i * 16 + 7}.0/24`);

/** The IPv4 gateway of a network: IPAM's `Gateway`, else the first host address of its IPv4 `Subnet`. */
export function ipv4Gateway(info: Dockerode.NetworkInspectInfo): string | null {
  for (const c of info.IPAM?.Config ?? []) {
    const gw = (c as { Gateway?: string }).Gateway?.split('/')[0];
    if (gw && net.isIPv4(gw)) return gw;
  }
  for (const c of info.IPAM?.Config ?? []) {
    const subnet = (c as { Subnet?: string }).Subnet;
    const base = subnet?.split('/')[0];
    if (base && net.isIPv4(base)) {
      const parts = base.split('.').map(Number);
      parts[3] = (parts[3] ?? 0) + 1; // Docker's IPAM gives the bridge the first address of the subnet
      return parts.join('.');
    }
  }
  return null;
}

function hostUses(subnet: string): boolean {
  const prefix = subnet.split('.').slice(0, 3).join('.') + '.';
  return Object.values(os.networkInterfaces())
    .flat()
    .some((a) => a?.family === 'IPv4' && a.address.startsWith(prefix));
}

async function inspectOrNull(docker: Dockerode, name: string): Promise<Dockerode.NetworkInspectInfo | null> {
  try {
    return await docker.getNetwork(name).inspect();
  } catch (err) {
    if (dockerStatus(err) === 404) return null;
    throw err;
  }
}

function fail(message: string, status: number | null = null): RuntimeOperationError {
  return new RuntimeOperationError('docker', 'prepareNetwork', message, status);
}

/**
 * Bridge driver option that stops container-to-container traffic on the network (Docker docs, "Bridge
 * network driver", options): each agent reaches the host (the gateway) but not another agent's runtime.
 */
export const ICC_OPTION = 'com.docker.network.bridge.enable_icc';

/** True when containers on the network cannot talk to each other. */
export function iccDisabled(info: Dockerode.NetworkInspectInfo): boolean {
  return info.Options?.[ICC_OPTION] === 'false';
}

type IpamConfig = { Subnet?: string; Gateway?: string; IPRange?: string };

/**
 * The lower half of an IPv4 subnet (`10.1.2.0/24` → `10.1.2.0/25`): the range Docker assigns addresses
 * from by itself. The upper half is left for fixed addresses (agents get theirs from the egress service),
 * so the two never collide. null for a subnet too small to split (/31, /32) or not IPv4.
 */
export function dynamicHalf(subnet: string): string | null {
  const [base, bits] = subnet.split('/');
  const prefix = Number(bits);
  if (!base || !net.isIPv4(base) || !Number.isInteger(prefix) || prefix > 30) return null;
  return `${base}/${prefix + 1}`;
}

/** True when the network has an IPv4 subnet with Docker's own assignments kept to its lower half. */
export function pinned(info: Dockerode.NetworkInspectInfo): boolean {
  return (info.IPAM?.Config ?? []).some((c) => {
    const { Subnet, IPRange } = c as IpamConfig;
    return !!Subnet && net.isIPv4(Subnet.split('/')[0]!) && IPRange === dynamicHalf(Subnet);
  });
}

async function create(docker: Dockerode, name: string, subnet?: string | IpamConfig[]): Promise<void> {
  const config =
    typeof subnet === 'string'
      ? [{ Subnet: subnet, ...(dynamicHalf(subnet) ? { IPRange: dynamicHalf(subnet)! } : {}) }]
      : subnet;
  await docker.createNetwork({
    Name: name,
    Driver: 'bridge',
    CheckDuplicate: true,
    Labels: { [LABELS.managed]: '1' },
    Options: { [ICC_OPTION]: 'false' },
    ...(config?.length ? { IPAM: { Driver: 'default', Config: config } } : {}),
  });
}

/**
 * Replaces a network of ours that allows container-to-container traffic (made before that option was
 * set), or whose subnet Docker chose (fixed addresses need a subnet given at creation, and a range that
 * keeps Docker's own assignments to its lower half: {@link dynamicHalf}), by one that has both, keeping
 * its subnet and gateway, so the gateway's bind address and every agent's `OPENAI_BASE_URL` stay valid.
 * Its containers, running or stopped, are disconnected and connected again to the new network with the
 * fixed address they had, if any (a running agent keeps running; in-flight connections to other
 * containers on the bridge break, which is the point). When the old network cannot be removed (another
 * process attached a container meanwhile), the containers are connected back and it is kept for now.
 * @returns true when migrated (or gone meanwhile: the caller looks again), false when kept as it is.
 * @throws RuntimeOperationError when the new network cannot be created (naming the containers left out).
 */
async function migrateToIsolated(
  docker: Dockerode,
  name: string,
  info: Dockerode.NetworkInspectInfo,
): Promise<boolean> {
  const members = await docker.listContainers({ all: true, filters: { network: [info.Id] } });
  const fixed = new Map<string, string>();
  for (const m of members) {
    const ep = Object.values(m.NetworkSettings?.Networks ?? {}).find((n) => n.NetworkID === info.Id) as
      { IPAMConfig?: { IPv4Address?: string } | null } | undefined;
    const address = ep?.IPAMConfig?.IPv4Address;
    if (address) fixed.set(m.Id, address);
  }
  const old = docker.getNetwork(info.Id);
  try {
    for (const m of members) await old.disconnect({ Container: m.Id, Force: true });
    await old.remove();
  } catch (err) {
    if (dockerStatus(err) === 404) return true; // another core migrated it meanwhile: look again
    for (const m of members) await old.connect({ Container: m.Id }).catch(() => undefined);
    if (dockerStatus(err) === 403 || dockerStatus(err) === 409) return false;
    throw err;
  }
  const config = (info.IPAM?.Config ?? [])
    .map((c) => c as IpamConfig)
    .filter((c) => c.Subnet)
    .map((c) => {
      const half = net.isIPv4(c.Subnet!.split('/')[0]!) ? dynamicHalf(c.Subnet!) : null;
      return {
        Subnet: c.Subnet,
        ...(c.Gateway ? { Gateway: c.Gateway } : {}),
        ...(half ? { IPRange: half } : c.IPRange ? { IPRange: c.IPRange } : {}),
      };
    });
  // Docker's own gateway of a subnet it chose is its first address; keep it explicitly.
  const gw = ipv4Gateway(info);
  if (gw && config[0] && !config[0].Gateway && net.isIPv4(config[0].Subnet!.split('/')[0]!))
    config[0].Gateway = gw;
  try {
    await create(docker, name, config);
  } catch (err) {
    const names = members.map((m) => m.Names[0]?.replace(/^\//, '') ?? m.Id).join(', ') || 'none';
    throw fail(
      `network "${name}" was removed to turn off container-to-container traffic but could not be created again with subnet ${config.map((c) => c.Subnet).join(', ')} (${dockerMessage(err)}); containers left without it: ${names}. Free the subnet and restart Agent Desk.`,
    );
  }
  const fresh = docker.getNetwork(name);
  for (const m of members) {
    const address = fixed.get(m.Id);
    await fresh.connect({
      Container: m.Id,
      ...(address ? { EndpointConfig: { IPAMConfig: { IPv4Address: address } } } : {}),
    });
  }
  return true;
}

/**
 * Makes sure the bridge network `name` exists with container-to-container traffic off
 * ({@link ICC_OPTION}) and a pinned subnet ({@link pinned}: fixed addresses possible in its upper half),
 * and returns its IPv4 gateway address (the host's address on that bridge, where a container reaches
 * host services). An existing network of that name is reused; one of ours made without either is
 * migrated in place (same subnet and gateway). A new one is created with the subnet Docker picks from
 * its pools, then pinned at once; only when that fails for lack of an address pool, or comes back
 * without a gateway, it is (re)created with a fixed /24 from {@link FALLBACK_SUBNETS}.
 * @throws RuntimeOperationError when the existing network is not a bridge, is not ours and allows
 *   container-to-container traffic, or no subnet works;
 *   socket errors are rethrown as they are (the caller maps them).
 */
export async function ensureBridgeNetwork(docker: Dockerode, name: string, attempt = 0): Promise<string> {
  const existing = await inspectOrNull(docker, name);
  if (existing) {
    if (existing.Driver !== 'bridge') {
      throw fail(
        `network "${name}" exists with driver "${existing.Driver}": remove it (\`docker network rm ${name}\`) so a bridge can be created`,
      );
    }
    const gw = ipv4Gateway(existing);
    if (!gw)
      throw fail(
        `network "${name}" has no IPv4 gateway: remove it (\`docker network rm ${name}\`) and retry`,
      );
    if (!iccDisabled(existing) || !pinned(existing)) {
      if (existing.Labels?.[LABELS.managed] !== '1')
        throw fail(
          iccDisabled(existing)
            ? `network "${name}" was not made by Agent Desk and has no subnet with a fixed-address range (agents need fixed addresses for their egress rules): remove it (\`docker network rm ${name}\`) so Agent Desk creates its own`
            : `network "${name}" was not made by Agent Desk and lets containers reach each other: remove it (\`docker network rm ${name}\`) so Agent Desk creates one with ${ICC_OPTION}=false`,
        );
      // false: kept for now (another process holds it); the next preparation tries again.
      if (await migrateToIsolated(docker, name, existing)) return ensureBridgeNetwork(docker, name, attempt);
    }
    return gw;
  }
  let firstError: unknown = null;
  try {
    await create(docker, name);
  } catch (err) {
    if (dockerStatus(err) === 409 && attempt < 2) return ensureBridgeNetwork(docker, name, attempt + 1); // created meanwhile by another process
    if (!/address pool|overlap/i.test(dockerMessage(err))) throw err;
    firstError = err;
  }
  if (!firstError) {
    const created = await inspectOrNull(docker, name);
    const gw = created && ipv4Gateway(created);
    // Docker chose the subnet: pin it (given subnet, fixed-address half) before anything joins it.
    if (gw) return ensureBridgeNetwork(docker, name, attempt);
    await docker
      .getNetwork(name)
      .remove()
      .catch(() => undefined);
  }
  for (const subnet of FALLBACK_SUBNETS) {
    if (hostUses(subnet)) continue;
    try {
      await create(docker, name, subnet);
    } catch (err) {
      if (dockerStatus(err) === 409 && attempt < 2) return ensureBridgeNetwork(docker, name, attempt + 1);
      if (/overlap/i.test(dockerMessage(err))) continue;
      throw err;
    }
    const created = await inspectOrNull(docker, name);
    const gw = created && ipv4Gateway(created);
    if (gw) return gw;
  }
  const why = firstError ? dockerMessage(firstError) : 'Docker assigned no gateway';
  throw fail(`could not create network "${name}" (${why}); every fallback subnet overlaps another network`);
}
