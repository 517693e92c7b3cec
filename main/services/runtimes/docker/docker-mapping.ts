// Pure translations between the runtime's shapes and Docker Engine API bodies (create, inspect, states, refs).
import path from 'node:path';
import type Dockerode from 'dockerode';
import { LABELS } from '../container-runtime';
import type { ContainerInfo, ContainerSpec, ContainerState, PortForward } from '../container-runtime';
import { agentSeccompProfile } from './docker-seccomp';
import { VOLUMES_LABEL } from './docker-volumes';
import type { VolumeMount } from './docker-volumes';

const MiB = 1024 * 1024;
/** Docker's own minimum memory limit (daemon: "Minimum memory limit allowed is 6MB"). */
const MIN_MEMORY_MIB = 6;
const NAME_RE = /^[a-z0-9][a-z0-9-]{0,62}$/;
/**
 * Image reference grammar of distribution/reference (simplified): optional registry host[:port],
 * lower-case path components separated by `/`, optional `:tag` of ≤ 128 word characters, `.` and `-`.
 */
const REPO_RE =
  /^(?:[a-zA-Z0-9.-]+(?::[0-9]+)?\/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;
const TAG_RE = /^[\w][\w.-]{0,127}$/;

/**
 * Checks a container name against the rule both engines accept: `[a-z0-9-]`, first character a letter
 * or digit, at most 63 characters.
 * @throws Error naming the bad value and the rule.
 */
export function assertContainerName(name: string): void {
  if (!NAME_RE.test(name)) {
    throw new Error(
      `Container name "${name}" is not valid: use 1–63 characters of a-z, 0-9 and "-", starting with a letter or digit`,
    );
  }
}

/**
 * Splits `repo[:tag]` (tag defaults to `latest`; a `:port` in the registry host is not a tag).
 * @throws Error for a reference Docker would refuse, with the expected form.
 */
export function parseImageRef(ref: string): { repo: string; tag: string } {
  const slash = ref.lastIndexOf('/');
  const colon = ref.lastIndexOf(':');
  const hasTag = colon > slash;
  const repo = hasTag ? ref.slice(0, colon) : ref;
  const tag = hasTag ? ref.slice(colon + 1) : 'latest';
  if (!REPO_RE.test(repo) || !TAG_RE.test(tag) || ref.includes('@')) {
    throw new Error(
      `Image reference "${ref}" is not valid: use lower-case "name[:tag]", e.g. "agentdesk/agent-base:1"`,
    );
  }
  return { repo, tag };
}

/**
 * Checks a spec before anything reaches the engine.
 * @throws Error naming the first bad field and what is valid.
 */
export function validateSpec(spec: ContainerSpec): void {
  assertContainerName(spec.name);
  parseImageRef(spec.image);
  if (!Number.isFinite(spec.memoryMiB) || spec.memoryMiB < MIN_MEMORY_MIB) {
    throw new Error(
      `memoryMiB ${spec.memoryMiB} is not valid: give a limit of at least ${MIN_MEMORY_MIB} MiB`,
    );
  }
  if (!Number.isFinite(spec.cpus) || spec.cpus < 0.01) {
    throw new Error(`cpus ${spec.cpus} is not valid: give a CPU limit of at least 0.01`);
  }
  for (const key of Object.keys(spec.env)) {
    if (!key || key.includes('=') || key.includes('\0')) {
      throw new Error(
        `Environment variable name "${key}" is not valid: it must be non-empty and contain no "="`,
      );
    }
  }
  for (const m of spec.mounts) {
    if (!path.isAbsolute(m.hostPath) || !path.posix.isAbsolute(m.containerPath)) {
      throw new Error(
        `Mount ${m.hostPath} → ${m.containerPath} is not valid: both paths must be absolute (e.g. /home/agent)`,
      );
    }
  }
  if (spec.egress && !/^\d{1,3}(\.\d{1,3}){3}$/.test(spec.egress.address))
    throw new Error(
      `egress address "${spec.egress.address}" is not valid: use an IPv4 address of the agents' network`,
    );
  for (const p of spec.ports) {
    const okContainer = Number.isInteger(p.containerPort) && p.containerPort >= 1 && p.containerPort <= 65535;
    const okHost = Number.isInteger(p.hostPort) && p.hostPort >= 0 && p.hostPort <= 65535;
    if (!okContainer || !okHost) {
      throw new Error(
        `Port forward ${p.hostPort} → ${p.containerPort} is not valid: containerPort 1–65535, hostPort 0–65535 (0 = any free port)`,
      );
    }
  }
}

/** How the driver lays out a container beyond its spec (decided from the engine, see DockerRuntime). */
export interface DockerCreateOptions {
  /** Publish {@link ContainerSpec.reach} on 127.0.0.1 (the host cannot route to container addresses). */
  publishReach: boolean;
  /** Apply the agent seccomp profile (x86_64 engines; elsewhere Docker's default profile stays). */
  seccomp: boolean;
  /**
   * A remote engine: the spec's host folders are these named volumes (docker-volumes.ts), listed in the
   * container's {@link VOLUMES_LABEL} so a start can fill the read-only ones again. Absent: bind mounts.
   */
  volumes?: VolumeMount[];
  /**
   * The engine restarts the container after its daemon or host restarts, unless it was stopped (a remote
   * engine: the core may be away when that happens). Default: never (this machine's core decides).
   */
  restartUnlessStopped?: boolean;
}

/**
 * The `HostConfig` fields of {@link ContainerSpec.security} (docs/decisions/010-agent-containment.md):
 * the unprivileged user, every capability dropped, no new privileges, the agent seccomp profile
 * (no setuid/setgid bit, no namespaces), a pids limit, a read-only root with `nosuid,nodev` tmpfs mounts.
 */
export function securityOptions(
  spec: ContainerSpec,
  seccomp: boolean,
): { User?: string; HostConfig: Partial<Dockerode.HostConfig> } {
  const s = spec.security;
  if (!s) return { HostConfig: {} };
  const tmpfs: Record<string, string> = {};
  for (const [p, mib] of Object.entries(s.tmpfs))
    tmpfs[p] = `rw,nosuid,nodev,size=${Math.round(mib)}m,mode=1777`;
  return {
    User: `${s.uid}:${s.gid}`,
    HostConfig: {
      CapDrop: ['ALL'],
      SecurityOpt: ['no-new-privileges:true', ...(seccomp ? [`seccomp=${agentSeccompProfile()}`] : [])],
      PidsLimit: s.pidsLimit,
      ReadonlyRootfs: true,
      Tmpfs: tmpfs,
    },
  };
}

/**
 * The Docker Engine API body of `POST /containers/create` for a spec (API v1.41 ContainerConfig +
 * HostConfig). Ports are published on 127.0.0.1 only; {@link ContainerSpec.reach} is published only
 * when `opts.publishReach`; the entrypoint comes from the image; mounts are bind `Mounts` (not
 * `Binds`), so a missing host folder is an error instead of a root-owned folder Docker creates silently.
 */
export function toCreateOptions(
  spec: ContainerSpec,
  networkName: string,
  opts: DockerCreateOptions = { publishReach: true, seccomp: false },
): Dockerode.ContainerCreateOptions {
  const exposed: Record<string, object> = {};
  const bindings: Dockerode.PortMap = {};
  const forwards = [...spec.ports];
  if (spec.reach && opts.publishReach && !forwards.some((p) => p.containerPort === spec.reach!.containerPort))
    forwards.push({ containerPort: spec.reach.containerPort, hostPort: 0 });
  for (const p of forwards) {
    const key = `${p.containerPort}/tcp`;
    exposed[key] = {};
    bindings[key] = [{ HostIp: '127.0.0.1', HostPort: p.hostPort ? String(p.hostPort) : '' }];
  }
  if (spec.reach) exposed[`${spec.reach.containerPort}/tcp`] = {};
  const security = securityOptions(spec, opts.seccomp);
  return {
    name: spec.name,
    Image: spec.image,
    Env: Object.entries(spec.env).map(([k, v]) => `${k}=${v}`),
    Labels: {
      ...spec.labels,
      [LABELS.managed]: '1',
      ...(opts.volumes ? { [VOLUMES_LABEL]: JSON.stringify(opts.volumes) } : {}),
    },
    ...(spec.command.length ? { Cmd: spec.command } : {}),
    Tty: false,
    ExposedPorts: exposed,
    ...(security.User ? { User: security.User } : {}),
    HostConfig: {
      ...security.HostConfig,
      Mounts: opts.volumes
        ? opts.volumes.map((v) => ({
            Type: 'volume' as const,
            Source: v.volume,
            Target: v.containerPath,
            ReadOnly: v.readOnly,
            // Never Docker's copy-up of the image's files into a volume it finds empty (a fresh home):
            // it would also take the image folder's owner and mode.
            // dockerode's type requires Labels and DriverConfig, which the Engine API leaves optional.
            VolumeOptions: { NoCopy: true } as Dockerode.MountSettings['VolumeOptions'],
          }))
        : spec.mounts.map((m) => ({
            Type: 'bind' as const,
            Source: m.hostPath,
            Target: m.containerPath,
            ReadOnly: m.readOnly,
          })),
      Memory: Math.round(spec.memoryMiB * MiB),
      NanoCpus: Math.round(spec.cpus * 1e9),
      PortBindings: bindings,
      NetworkMode: networkName,
      RestartPolicy: { Name: opts.restartUnlessStopped ? 'unless-stopped' : 'no' },
      Init: false,
      ...(spec.egress?.dnsServer ? { Dns: [spec.egress.dnsServer] } : {}),
    },
    // Egress: a fixed address on the agents' bridge, which the host firewall keys the agent's rules on.
    ...(spec.egress
      ? {
          NetworkingConfig: {
            EndpointsConfig: { [networkName]: { IPAMConfig: { IPv4Address: spec.egress.address } } },
          },
        }
      : {}),
  };
}

/** Docker's `State.Status` → the app's state (`exited`/`dead`/`removing` → `stopped`). */
export function mapState(status: string | undefined): ContainerState {
  switch (status) {
    case 'created':
      return 'created';
    case 'running':
      return 'running';
    case 'paused':
      return 'paused';
    case 'restarting':
      return 'restarting';
    case 'exited':
    case 'dead':
    case 'removing':
      return 'stopped';
    default:
      return 'unknown';
  }
}

/** Host ports of the published container ports: resolved ones once running, the requested ones before. */
function portsOf(info: Dockerode.ContainerInspectInfo): PortForward[] {
  const live = info.NetworkSettings?.Ports ?? {};
  const requested = (info.HostConfig?.PortBindings ?? {}) as Dockerode.PortMap;
  const out: PortForward[] = [];
  for (const [key, binds] of Object.entries(requested)) {
    const [port, proto] = key.split('/');
    if (proto !== 'tcp' || !port) continue;
    const resolved = live[key]?.find((b) => b.HostIp === '127.0.0.1') ?? live[key]?.[0];
    const hostPort = Number(resolved?.HostPort || binds?.[0]?.HostPort || 0);
    out.push({ containerPort: Number(port), hostPort });
  }
  return out.sort((a, b) => a.containerPort - b.containerPort);
}

function epochMs(iso: string | undefined): number | null {
  if (!iso || iso.startsWith('0001-')) return null;
  const t = Date.parse(iso);
  return Number.isFinite(t) ? t : null;
}

/** `GET /containers/{name}/json` → ContainerInfo (limits read back: bytes → MiB, NanoCpus → CPUs). */
export function toContainerInfo(info: Dockerode.ContainerInspectInfo): ContainerInfo {
  const state = mapState(info.State?.Status);
  const memory = info.HostConfig?.Memory ?? 0;
  const nanoCpus = info.HostConfig?.NanoCpus ?? 0;
  return {
    id: info.Id,
    name: info.Name.replace(/^\//, ''),
    image: info.Config?.Image ?? info.Image,
    state,
    labels: { ...(info.Config?.Labels ?? {}) },
    ports: portsOf(info),
    memoryMiB: memory > 0 ? memory / MiB : null,
    cpus: nanoCpus > 0 ? nanoCpus / 1e9 : null,
    startedAt: state === 'running' || state === 'paused' ? epochMs(info.State?.StartedAt) : null,
    exitCode: state === 'stopped' ? (info.State?.ExitCode ?? null) : null,
  };
}
