// Pure mapping of a ContainerSpec to an instance on a remote Incus: no network but loopback, the gateway through one proxy device, homes on custom volumes.
import crypto from 'node:crypto';
import { LABELS } from '../container-runtime';
import type { ContainerSpec } from '../container-runtime';
import { EGRESS_PROXY_ALIAS } from '../remote/egress-proxy-container';
import { GATEWAY_DEVICE, INCUS_GATEWAY_PORT, instanceBody } from './incus-config';

/** Where remote agents' gateway proxy devices connect: the core's TLS gateway listener as the remote host reaches it. */
export interface RemoteGatewayConnect {
  /** An address of this machine the remote host routes to, e.g. `10.0.0.5`. */
  connectHost: string;
  /** The TLS listener's port. */
  connectPort: number;
  /**
   * The port the proxy device listens on inside (127.0.0.1), default 4000. The core's TLS listener
   * accepts only `Host: agentdesk-gateway:<its port>`, so the core passes its TLS port here.
   */
  listenPort?: number;
  /** The certificate agents pin for the gateway (then hostServiceAddress gives a RemoteGatewayAddress). */
  caPem?: string;
}

/** Config key of a remote agent's read-only mounts, pushed again at every start: JSON `{gid, mounts: [[host, container]]}`. */
export const PUSHED_MOUNTS_KEY = 'user.agentdesk.pushed_mounts';
/** Config key of a custom volume naming the agent it belongs to (purge deletes them). */
export const VOLUME_AGENT_KEY = 'user.agentdesk.agent_id';

/** Device name of the NIC that exists only so that LXC brings the container's loopback up (see {@link remoteInstanceBody}). */
export const LOOPBACK_NIC = 'agentdesk-loopback';
/** Name the gateway's certificate carries; remote agents resolve it to 127.0.0.1 (their proxy device). */
export const GATEWAY_HOST_NAME = 'agentdesk-gateway';
/** No IPv6 inside: the loopback NIC's link-local address would otherwise reach the remote host. */
export const REMOTE_SYSCTLS: Readonly<Record<string, string>> = {
  'linux.sysctl.net.ipv6.conf.all.disable_ipv6': '1',
  'linux.sysctl.net.ipv6.conf.default.disable_ipv6': '1',
};

/**
 * The custom storage volume holding a writable mount's files on the remote, `agentdesk-<12 hex of
 * SHA-256>`: of the agent id and the container path when the container is labelled with an agent id
 * (so it survives re-creation, archive and restore, wherever the host folder moves), else of the host path.
 */
export function remoteVolumeName(
  agentId: string | undefined,
  mount: { hostPath: string; containerPath: string },
): string {
  const key = agentId ? `agent:${agentId}:${mount.containerPath}` : `path:${mount.hostPath}`;
  return `agentdesk-${crypto.createHash('sha256').update(key).digest('hex').slice(0, 12)}`;
}

/**
 * The body of `POST /1.0/instances` for an agent on a remote Incus.
 * - Network: the profile's NICs are removed (`type: none`) and one `p2p` NIC without any address is
 *   added, only because LXC leaves the loopback down in a container without NICs (measured on Incus
 *   6.0.4: connecting to 127.0.0.1 inside fails with ENETUNREACH) and raw.lxc may not set
 *   `lxc.net.*.type`. Its host end has no address and no route, IPv6 is off inside
 *   ({@link REMOTE_SYSCTLS}), and the agent's init keeps no CAP_NET_ADMIN/CAP_NET_RAW to give it one,
 *   so the container has no way out but the proxy device.
 * - Gateway: with `hostServicePort`, the proxy device `agentdesk-gateway` (`bind=container`) listening
 *   on `tcp:127.0.0.1:<listenPort, default 4000>` inside, connecting from the remote host to `gateway`.
 * - Writable mounts: the custom volume {@link remoteVolumeName} of `pool` at the container path (the
 *   caller creates it); read-only mounts: nothing (their files are pushed after create and at every
 *   start, from {@link PUSHED_MOUNTS_KEY})).
 * @throws Error for what a remote engine cannot do: a local egress attachment, port forwards, a gateway port
 *   without a gateway address.
 */
export function remoteInstanceBody(
  spec: ContainerSpec,
  profileDevices: Record<string, Record<string, string>>,
  gateway: RemoteGatewayConnect | null,
  pool: string | null,
): Record<string, unknown> {
  if (spec.egress)
    throw new Error(
      "A local egress attachment cannot apply on a remote Incus: remote agents' policies go through the remote's egress proxy (applyRemoteEgress), leave spec.egress out",
    );
  if (spec.ports.length > 0)
    throw new Error(
      'Port forwards are not available on a remote Incus: the core reaches agents through endpoint()',
    );
  if (spec.hostServicePort !== undefined && !gateway)
    throw new Error(
      'No gateway address for agents on a remote Incus: the core must give its TLS listener (connectHost, connectPort)',
    );
  const devices: Record<string, Record<string, string>> = {};
  for (const [name, d] of Object.entries(profileDevices))
    if (d.type === 'nic') devices[name] = { type: 'none' };
  devices[LOOPBACK_NIC] = { type: 'nic', nictype: 'p2p', name: 'lo0' };
  const body = instanceBody(
    { ...spec, mounts: [], reach: undefined, hostServicePort: undefined },
    [],
    devices,
  );
  const out = body as { config: Record<string, string>; devices: Record<string, Record<string, string>> };
  Object.assign(out.config, REMOTE_SYSCTLS);
  const pushed = spec.mounts.filter((m) => m.readOnly).map((m) => [m.hostPath, m.containerPath]);
  if (pushed.length)
    out.config[PUSHED_MOUNTS_KEY] = JSON.stringify({ gid: spec.security?.gid ?? 0, mounts: pushed });
  if (spec.hostServicePort !== undefined && gateway)
    out.devices[GATEWAY_DEVICE] = {
      type: 'proxy',
      listen: `tcp:127.0.0.1:${gateway.listenPort ?? INCUS_GATEWAY_PORT}`,
      connect: `tcp:${gateway.connectHost}:${gateway.connectPort}`,
      bind: 'container',
    };
  spec.mounts.forEach((m, i) => {
    if (m.readOnly) return;
    out.devices[`mount-${i}`] = {
      type: 'disk',
      pool: pool ?? 'default',
      source: remoteVolumeName(spec.labels[LABELS.agentId], m),
      path: m.containerPath,
    };
  });
  return body;
}

/**
 * `/etc/hosts` of a remote agent: the gateway's certificate name and the egress proxy's name
 * (`agentdesk-egress`, as agents on remote Docker call it) on loopback, where their proxy devices listen.
 */
export function remoteHosts(): string {
  return `127.0.0.1 localhost ${GATEWAY_HOST_NAME} ${EGRESS_PROXY_ALIAS}\n::1 localhost\n`;
}
