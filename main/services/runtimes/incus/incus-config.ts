// Pure mapping between ContainerSpec/ContainerInfo and Incus instance config, devices and state (no I/O).
import { LABELS } from '../container-runtime';
import { MAX_SOCKET_PATH } from '../exec-pipe';
import type { ContainerInfo, ContainerSpec, ContainerState, PortForward } from '../container-runtime';

/** Where a container reaches the host service (the gateway): a proxy device listening inside on this port. */
export const INCUS_GATEWAY_PORT = 4000;
/** Name of the proxy device container → host service. */
export const GATEWAY_DEVICE = 'agentdesk-gateway';
/** Config key holding the image ref the container was created from (Incus keeps only the fingerprint). */
export const IMAGE_REF_KEY = 'image.agentdesk.ref';
/** Environment variable carrying {@link ContainerSpec.command} for the image's init (run with `sh -c`). */
export const COMMAND_ENV = 'AGENTDESK_COMMAND';
/** Name of the proxy device host → {@link ContainerSpec.reach} (a unix socket on the host). */
export const REACH_DEVICE = 'agentdesk-runtime';
/** Longest unix socket path Linux accepts (`sun_path` is 108 bytes with its NUL). */
export { MAX_SOCKET_PATH };

/** S_ISUID and S_ISGID, refused one by one (a masked comparison tests all bits of its mask). */
const SET_ID = [0o4000, 0o2000];
/** open flags that create a file with the mode argument: O_CREAT, __O_TMPFILE. */
const CREATING = [0o100, 0o20000000];
const masked = (index: number, bits: number) => `[${index},${bits},SCMP_CMP_MASKED_EQ,${bits}]`;

/**
 * Lines appended to Incus's own seccomp denylist (`security.syscalls.deny`, LXC's policy syntax with
 * argument filters; measured on Incus 6.0.4): no setuid/setgid bit set by chmod (all variants,
 * `fchmodat2` included), mknod, creat or a creating open; no new user namespace (unshare, clone with
 * CLONE_NEWUSER; clone3 answers ENOSYS so the C library falls back to clone).
 */
export const INCUS_SYSCALL_DENY: readonly string[] = [
  ...SET_ID.flatMap((bit) => [
    `chmod errno 1 ${masked(1, bit)}`,
    `fchmod errno 1 ${masked(1, bit)}`,
    `fchmodat errno 1 ${masked(2, bit)}`,
    `fchmodat2 errno 1 ${masked(2, bit)}`,
    `mknod errno 1 ${masked(1, bit)}`,
    `mknodat errno 1 ${masked(2, bit)}`,
    `creat errno 1 ${masked(1, bit)}`,
    ...CREATING.flatMap((flag) => [
      `open errno 1 ${masked(1, flag)} ${masked(2, bit)}`,
      `openat errno 1 ${masked(2, flag)} ${masked(3, bit)}`,
    ]),
  ]),
  'openat2 errno 38',
  'unshare errno 1',
  `clone errno 1 ${masked(0, 0x10000000)}`,
  'clone3 errno 38',
];

/**
 * Instance config of {@link ContainerSpec.security} (docs/decisions/010-agent-containment.md): an
 * unprivileged container without nesting, `limits.processes`, and the uid/gid the image's init drops
 * to (with every capability, `setpriv --no-new-privs`) before it runs the agent, plus a seccomp policy
 * refusing setuid/setgid bits and new user namespaces (appended to Incus's own denylist). The
 * container's root (the init alone) keeps only CAP_SETUID, CAP_SETGID and CAP_SETPCAP, to drop to the
 * agent's user, and CAP_KILL, to pass a stop on to the agent's process (another uid: without it the
 * init's SIGTERM is refused and every stop waits out its timeout) (`raw.lxc` `lxc.cap.keep`; measured on
 * Incus 6.0.4: PID 1's CapEff is 0x1e0).
 */
export function securityConfig(spec: ContainerSpec): Record<string, string> {
  const s = spec.security;
  if (!s) return {};
  return {
    'security.privileged': 'false',
    'security.nesting': 'false',
    'limits.processes': String(s.pidsLimit),
    'security.syscalls.deny': INCUS_SYSCALL_DENY.join('\n'),
    // Root inside (only the image's init) keeps just what dropping to the agent's user needs.
    'raw.lxc': 'lxc.cap.keep = setuid setgid setpcap kill',
    'environment.AGENTDESK_UID': String(s.uid),
    'environment.AGENTDESK_GID': String(s.gid),
  };
}

/**
 * The proxy device that makes {@link ContainerSpec.reach} reachable from the host: Incus listens on the
 * unix socket `reach.socketPath` (mode 0600, owned by `owner`), and connects to the port on the
 * container's loopback. No TCP port on the host, so no other local user reaches the runtime.
 */
export function reachDevice(
  reach: NonNullable<ContainerSpec['reach']>,
  owner: { uid: number; gid: number },
): Record<string, string> {
  return {
    type: 'proxy',
    listen: `unix:${reach.socketPath}`,
    connect: `tcp:127.0.0.1:${reach.containerPort}`,
    bind: 'host',
    mode: '0600',
    uid: String(owner.uid),
    gid: String(owner.gid),
  };
}

/** The parts of an Incus instance (`GET /1.0/instances?recursion=1`) this driver reads. */
export interface IncusInstance {
  name: string;
  type: string;
  status: string;
  last_used_at?: string;
  config: Record<string, string>;
  expanded_config?: Record<string, string>;
  devices: Record<string, Record<string, string>>;
  expanded_devices?: Record<string, Record<string, string>>;
}

const NAME = /^[a-z][a-z0-9-]{0,61}[a-z0-9]$/;
const ENV_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;
const LABEL_KEY = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/**
 * The Incus image alias of an image ref. Identity: Incus 6.0.4 accepts `/` and `:` in alias names over
 * the REST API (`POST /1.0/images/aliases {"name":"agentdesk/agent-base:1"}` succeeds and
 * `GET /1.0/images/aliases/agentdesk%2Fagent-base:1` finds it; measured). On the `incus` command line
 * the ref needs the remote prefix: `incus launch local:agentdesk/agent-base:1 NAME`.
 * @throws Error when the ref is empty or holds whitespace or control characters.
 */
export function incusImageAlias(ref: string): string {
  // eslint-disable-next-line no-control-regex
  if (!ref || /[\s\u0000-\u001f]/.test(ref))
    throw new Error(
      `Image ref ${JSON.stringify(ref)} is not valid: use a non-empty name like agentdesk/agent-base:1`,
    );
  return ref;
}

/**
 * Checks a container name against the Incus instance name rules (a hostname label) as the app uses them.
 * @throws Error naming the bad name and what is valid.
 */
export function validateName(name: string): void {
  if (!NAME.test(name))
    throw new Error(
      `Container name ${JSON.stringify(name)} is not valid: use 2-63 characters a-z, 0-9 and '-', ` +
        'starting with a letter and not ending with -',
    );
}

/**
 * Checks a spec before anything is sent to Incus.
 * @throws Error naming the first bad field and what is valid.
 */
export function validateSpec(spec: ContainerSpec): void {
  validateName(spec.name);
  incusImageAlias(spec.image);
  if (!Number.isFinite(spec.memoryMiB) || spec.memoryMiB < 16)
    throw new Error(`memoryMiB ${spec.memoryMiB} is not valid: use a number of MiB ≥ 16`);
  if (!Number.isFinite(spec.cpus) || spec.cpus <= 0)
    throw new Error(`cpus ${spec.cpus} is not valid: use a number > 0`);
  for (const key of Object.keys(spec.env))
    if (!ENV_KEY.test(key))
      throw new Error(`Environment name ${JSON.stringify(key)} is not valid: use [A-Za-z_][A-Za-z0-9_]*`);
  for (const key of Object.keys(spec.labels))
    if (!LABEL_KEY.test(key))
      throw new Error(`Label ${JSON.stringify(key)} is not valid: use letters, digits, '.', '_' and '-'`);
  for (const m of spec.mounts)
    if (!m.hostPath.startsWith('/') || !m.containerPath.startsWith('/'))
      throw new Error(`Mount ${m.hostPath} → ${m.containerPath} is not valid: both paths must be absolute`);
  for (const p of spec.ports) {
    if (!isPort(p.containerPort))
      throw new Error(`containerPort ${p.containerPort} is not valid: use 1-65535`);
    if (p.hostPort !== 0 && !isPort(p.hostPort))
      throw new Error(`hostPort ${p.hostPort} is not valid: use 0 (any) or 1-65535`);
  }
  if (spec.hostServicePort !== undefined && !isPort(spec.hostServicePort))
    throw new Error(`hostServicePort ${spec.hostServicePort} is not valid: use 1-65535`);
  if (spec.reach) {
    if (!isPort(spec.reach.containerPort))
      throw new Error(`reach.containerPort ${spec.reach.containerPort} is not valid: use 1-65535`);
    if (!spec.reach.socketPath.startsWith('/') || Buffer.byteLength(spec.reach.socketPath) > MAX_SOCKET_PATH)
      throw new Error(
        `reach.socketPath ${spec.reach.socketPath} is not valid: use an absolute path of at most ${MAX_SOCKET_PATH} bytes`,
      );
  }
}

/**
 * The body of `POST /1.0/instances` for a spec whose host ports are already resolved (no 0 left).
 * Config: `limits.memory=<n>MiB`, `limits.cpu=ceil(cpus)`, `environment.<K>`, `user.<label>` plus
 * `user.agentdesk.managed=1`, `environment.AGENTDESK_COMMAND` (shell-quoted) when a command is given.
 * Devices: `mount-<i>` disks (`shift=true` when writable, an idmapped mount: root inside owns the files;
 * read-only mounts are not shifted, so they work on filesystems without idmapped mounts), the
 * `agentdesk-gateway` proxy (`bind=instance`) and the `agentdesk-runtime` proxy of `spec.reach`, unless
 * the egress attachment has a `hostAddress` (the container reaches the gateway there over its routed
 * NIC and the core reaches it at its address: each proxy device adds about a second to every start,
 * measured on Incus 6.0.4), and one `agentdesk-port-<containerPort>` proxy per forward (`bind=host`,
 * listening on 127.0.0.1 only).
 */
export function instanceBody(
  spec: ContainerSpec,
  ports: PortForward[],
  isolatedNics: Record<string, Record<string, string>> = {},
  socketOwner: { uid: number; gid: number } = { uid: 0, gid: 0 },
): Record<string, unknown> {
  const config: Record<string, string> = {
    'limits.memory': `${Math.round(spec.memoryMiB)}MiB`,
    'limits.cpu': String(Math.ceil(spec.cpus)),
    [IMAGE_REF_KEY]: spec.image,
    ...securityConfig(spec),
  };
  for (const [k, v] of Object.entries(spec.env)) config[`environment.${k}`] = v;
  if (spec.command.length > 0) config[`environment.${COMMAND_ENV}`] = shellQuote(spec.command);
  for (const [k, v] of Object.entries(spec.labels)) config[`user.${k}`] = v;
  config[`user.${LABELS.managed}`] = '1';
  const devices: Record<string, Record<string, string>> = { ...isolatedNics };
  spec.mounts.forEach((m, i) => {
    devices[`mount-${i}`] = {
      type: 'disk',
      source: m.hostPath,
      path: m.containerPath,
      readonly: String(m.readOnly),
      ...(m.readOnly && !m.idmapped ? {} : { shift: 'true' }),
    };
  });
  const routed = !!spec.egress?.hostAddress;
  if (spec.reach && !routed) devices[REACH_DEVICE] = reachDevice(spec.reach, socketOwner);
  if (spec.hostServicePort !== undefined && !routed)
    devices[GATEWAY_DEVICE] = {
      type: 'proxy',
      listen: `tcp:127.0.0.1:${INCUS_GATEWAY_PORT}`,
      connect: `tcp:127.0.0.1:${spec.hostServicePort}`,
      bind: 'instance',
    };
  for (const p of ports)
    devices[`agentdesk-port-${p.containerPort}`] = {
      type: 'proxy',
      listen: `tcp:127.0.0.1:${p.hostPort}`,
      connect: `tcp:127.0.0.1:${p.containerPort}`,
      bind: 'host',
    };
  return {
    name: spec.name,
    type: 'container',
    source: { type: 'image', alias: incusImageAlias(spec.image) },
    config,
    devices,
  };
}

/**
 * The bridged NICs of a profile, each overridden with `security.port_isolation=true` (Incus docs,
 * "Type: nic", bridged: "Prevent the NIC from communicating with other NICs in the network that
 * have port isolation enabled"), so two agents on the same bridge cannot reach each other (IPv4 or
 * IPv6 link-local) while each keeps its route out. Other device types are left to the profile.
 * @param profileDevices `devices` of the profile the instance uses (`GET /1.0/profiles/default`).
 * @returns instance-level devices with the same names, which take precedence over the profile's.
 */
export function isolatedNicsOf(
  profileDevices: Record<string, Record<string, string>>,
): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  for (const [name, d] of Object.entries(profileDevices)) {
    const bridged = d.type === 'nic' && (d.nictype === 'bridged' || (d.network !== undefined && !d.nictype));
    if (bridged) out[name] = { ...d, 'security.port_isolation': 'true' };
  }
  return out;
}

/** The address of the instance's routed NIC (the first one), or null. */
export function routedAddressOf(inst: IncusInstance): string | null {
  for (const d of Object.values(inst.expanded_devices ?? inst.devices))
    if (d.type === 'nic' && d.nictype === 'routed' && d['ipv4.address'])
      return d['ipv4.address'].split(',')[0]!.trim();
  return null;
}

/** Joins arguments into one `sh -c` string; arguments with other than `[A-Za-z0-9_./:=@%+,-]` are single-quoted. */
export function shellQuote(args: string[]): string {
  return args
    .map((a) => (/^[A-Za-z0-9_./:=@%+,-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`))
    .join(' ');
}

/** The labels of an instance: its `user.*` config keys without the prefix. */
export function labelsOf(config: Record<string, string>): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const [k, v] of Object.entries(config)) if (k.startsWith('user.')) labels[k.slice(5)] = v;
  return labels;
}

/** True when every given label is present with the same value. */
export function hasLabels(labels: Record<string, string>, wanted: Record<string, string>): boolean {
  return Object.entries(wanted).every(([k, v]) => labels[k] === v);
}

/** Maps an Incus instance (recursion=1) to the driver-neutral {@link ContainerInfo}. */
export function toContainerInfo(inst: IncusInstance): ContainerInfo {
  const config = inst.expanded_config ?? inst.config;
  const devices = inst.expanded_devices ?? inst.devices;
  const running = inst.status === 'Running';
  const neverStarted = !inst.last_used_at || inst.last_used_at.startsWith('1970-');
  return {
    id: inst.name,
    name: inst.name,
    image: config[IMAGE_REF_KEY] ?? config['volatile.base_image'] ?? '',
    state: stateOf(inst.status, neverStarted),
    labels: labelsOf(inst.config),
    ports: forwardsOf(devices),
    memoryMiB: parseMemoryMiB(config['limits.memory']),
    cpus: parseCpus(config['limits.cpu']),
    startedAt: running && !neverStarted ? Date.parse(inst.last_used_at ?? '') || null : null,
    exitCode: null,
  };
}

/** Incus status → app state: Running, Stopped (never started = created), Frozen = paused. */
export function stateOf(status: string, neverStarted = false): ContainerState {
  switch (status) {
    case 'Running':
      return 'running';
    case 'Stopped':
      return neverStarted ? 'created' : 'stopped';
    case 'Frozen':
      return 'paused';
    case 'Restarting':
      return 'restarting';
    default:
      return 'unknown';
  }
}

/** Port forwards from `bind=host` proxy devices `listen=tcp:127.0.0.1:<host> connect=tcp:…:<container>`. */
export function forwardsOf(devices: Record<string, Record<string, string>>): PortForward[] {
  const out: PortForward[] = [];
  for (const d of Object.values(devices)) {
    if (d.type !== 'proxy' || d.bind !== 'host') continue;
    const hostPort = Number(/:(\d+)$/.exec(d.listen ?? '')?.[1]);
    const containerPort = Number(/:(\d+)$/.exec(d.connect ?? '')?.[1]);
    if (hostPort && containerPort) out.push({ containerPort, hostPort });
  }
  return out.sort((a, b) => a.containerPort - b.containerPort);
}

/**
 * `limits.memory` in MiB: `256MiB`, `1GiB`, `512MB`, `1073741824` (bytes); null when unset or a percentage.
 * Units per Incus docs ("limits.memory": a size with a unit suffix, or a percentage).
 */
export function parseMemoryMiB(value: string | undefined): number | null {
  const m = /^(\d+(?:\.\d+)?)\s*([KMGTP]i?B)?$/.exec(value?.trim() ?? '');
  if (!m) return null;
  const units: Record<string, number> = {
    KB: 1e3,
    MB: 1e6,
    GB: 1e9,
    TB: 1e12,
    PB: 1e15,
    KiB: 2 ** 10,
    MiB: 2 ** 20,
    GiB: 2 ** 30,
    TiB: 2 ** 40,
    PiB: 2 ** 50,
  };
  const bytes = Number(m[1]) * (m[2] ? (units[m[2]] ?? 1) : 1);
  return Math.round(bytes / 2 ** 20);
}

/** `limits.cpu` as a CPU count: `2` → 2, a pinned set `0-1,4` → 3; null when unset or unreadable. */
export function parseCpus(value: string | undefined): number | null {
  const v = value?.trim() ?? '';
  if (/^\d+$/.test(v)) return Number(v);
  if (!/^[\d,-]+$/.test(v)) return null;
  let n = 0;
  for (const part of v.split(',')) {
    const [a, b] = part.split('-').map(Number);
    if (a === undefined || Number.isNaN(a)) return null;
    n += b === undefined ? 1 : b - a + 1;
  }
  return n;
}

function isPort(n: number): boolean {
  return Number.isInteger(n) && n >= 1 && n <= 65535;
}
