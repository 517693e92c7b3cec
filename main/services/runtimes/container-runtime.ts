// The ContainerRuntime interface: one shape for Docker (dockerode) and Incus (REST over its unix socket).
import type { RemoteGatewayAddress } from './engine-target';

/** Which engine a runtime drives. */
export type RuntimeKind = 'docker' | 'incus';

/** The valid runtime kinds, for error messages and schemas. */
export const RUNTIME_KINDS: readonly RuntimeKind[] = ['docker', 'incus'];

/** What an engine says about itself. */
export interface RuntimeInfo {
  kind: RuntimeKind;
  /** Engine version, e.g. `20.10.24` or `6.0.4`. */
  version: string;
  /** API version, e.g. `1.41` (Docker) or `1.0` (Incus). */
  apiVersion: string;
  /** Where the engine was reached, e.g. `/var/run/docker.sock`. */
  endpoint: string;
  /** Host CPUs and memory the engine reports (bytes), 0 when unknown. */
  cpus: number;
  memoryBytes: number;
}

/** A host folder mounted into the container. */
export interface MountSpec {
  hostPath: string;
  containerPath: string;
  readOnly: boolean;
  /**
   * Incus: shift ids (idmapped mount) even when read-only, so host owners and groups appear as the same
   * ids inside (the config folder is readable by the agent's group only). Writable mounts always shift.
   */
  idmapped?: boolean;
}

/**
 * A TCP port of the container made reachable from the host, on 127.0.0.1 only (never another host
 * address). Docker: published port; Incus: proxy device with `bind=host`.
 */
export interface PortForward {
  containerPort: number;
  /** Host port on 127.0.0.1; 0 = a free one chosen by the driver (read it back from {@link ContainerInfo.ports}). */
  hostPort: number;
}

/** One agent's policy as a remote engine's egress proxy gets it: its container, id, mode and entries. */
export interface RemoteEgressAgent {
  container: string;
  agentId: string;
  mode: 'none' | 'allowlist' | 'open';
  allow: string[];
}

/**
 * How an agent container is attached for egress control (main/services/egress, docs/decisions/009-egress.md).
 * The host firewall recognises the agent's packets by it, so it is fixed by the core, never by the engine.
 */
export interface EgressAttachment {
  /** Its IPv4 address: Docker, a fixed address on the agents' bridge; Incus, the address of its routed NIC. */
  address: string;
  /** Incus: host-side name of its routed NIC (≤ 15 characters), which the firewall rules match. */
  hostInterface?: string;
  /** Docker: the DNS server the container is given (the bridge's gateway address). */
  dnsServer?: string;
  /**
   * Incus: the agent's own resolver port on the host: on {@link hostAddress} when set (the host redirects
   * every DNS packet of the agent's NIC to it), else on 127.0.0.1, where proxy devices forward the
   * container's 127.0.0.1:53 (UDP and TCP).
   */
  dnsHostPort?: number;
  /**
   * Incus: the host's address on the project's bridge, where the agent reaches the gateway and its
   * resolver over its routed NIC, and the core reaches the agent at {@link address}: no proxy devices.
   * Absent: proxy devices (gateway and DNS on the container's 127.0.0.1, the runtime on a unix socket).
   */
  hostAddress?: string;
}

/**
 * The engine's network for agents as the egress firewall sees it. `bridge` (Docker): agents share one
 * bridge and are told apart by source address; fixed addresses come from `pool` (the half of the subnet
 * Docker never assigns itself). `routed` (Incus): each agent has its own routed NIC (a host interface)
 * with an address from `pool` (a CIDR). `protectedRanges`: the engine's networks (CIDRs), which agents
 * must never reach.
 */
export type EgressNetwork =
  | {
      kind: 'bridge';
      bridge: string;
      subnet: string;
      gateway: string;
      pool: { first: string; last: string };
      protectedRanges: string[];
    }
  | {
      kind: 'routed';
      pool: string;
      protectedRanges: string[];
      /** The host's address on the project's bridge that agents reach host services at; null = proxy devices. */
      hostAddress?: string | null;
    };

/**
 * What the container's processes may do (docs/decisions/010-agent-containment.md): an unprivileged
 * user, no capabilities, no new privileges, a pids limit, a read-only root where the engine offers one,
 * and no setuid/setgid bit set by the agent (seccomp).
 */
export interface ContainerSecurity {
  /** uid/gid of the agent's processes (Docker: the container's `User`; Incus: the init drops to it). */
  uid: number;
  gid: number;
  /** Most tasks (processes and threads) the container may hold (Docker `PidsLimit`, Incus `limits.processes`). */
  pidsLimit: number;
  /** Writable tmpfs mounts over the read-only root: container path → size in MiB. */
  tmpfs: Record<string, number>;
}

/**
 * Where a container reaches a service of the core: `{host, port}` over plain HTTP (an engine on this
 * machine: a bridge or loopback address no other host sees), or a {@link RemoteGatewayAddress} (an
 * engine elsewhere: HTTPS to `host`, trusting only `caPem`). Tell them apart with {@link isRemoteGateway}.
 */
export type HostServiceAddress = { host: string; port: number } | RemoteGatewayAddress;

/** True when `a` is reached over TLS with a pinned certificate (a remote engine's agent). */
export function isRemoteGateway(a: HostServiceAddress): a is RemoteGatewayAddress {
  return typeof (a as Partial<RemoteGatewayAddress>).caPem === 'string';
}

/**
 * How the core reaches a port of a container (never a host port other users could guess, where the
 * engine allows it): TCP to an address (the container's own on a bridge the host routes to, or a
 * 127.0.0.1 fallback), or a unix socket on the host.
 */
export type RuntimeEndpoint =
  { kind: 'tcp'; host: string; port: number } | { kind: 'unix'; socketPath: string };

/** Everything needed to create an agent container. */
export interface ContainerSpec {
  /** Container name, e.g. `agentdesk-my-agent` (Docker and Incus naming rules: [a-z0-9-], ≤ 63 chars). */
  name: string;
  /** Image reference, e.g. `agentdesk/agent-base:2` (Incus: the image alias of the same string). */
  image: string;
  /** Environment of the container's main process. Never a provider key (docs/architecture.md). */
  env: Record<string, string>;
  /** Labels (Docker labels; Incus `user.*` config keys). The app sets `agentdesk.agent_id` and friends. */
  labels: Record<string, string>;
  mounts: MountSpec[];
  /** Memory limit in MiB. */
  memoryMiB: number;
  /** CPU limit in CPUs (may be fractional on Docker; Incus rounds up to whole CPUs). */
  cpus: number;
  ports: PortForward[];
  /**
   * The host port of a service on the host (the gateway) the container must reach. Docker: reached at
   * the `agentdesk` bridge network's gateway address; Incus: a proxy device listening inside the
   * container. Where it is reached from inside comes from {@link ContainerRuntime.hostServiceAddress}.
   */
  hostServicePort?: number;
  /**
   * Arguments for the image's init (`/usr/local/bin/agentdesk-init`), which sources
   * `/opt/agentdesk/config/env` and runs them; empty = the built-in runtime.
   */
  command: string[];
  /** Egress attachment; absent = the engine's default network as it is (driver tests only). */
  egress?: EgressAttachment;
  /** Containment of the container's processes; omitted = the engine's defaults (tests of the drivers). */
  security?: ContainerSecurity;
  /**
   * The container port the core must reach without publishing it where the engine allows
   * (see {@link ContainerRuntime.endpoint}). `socketPath`: where Incus listens for it on the host (a
   * unix socket in a 0700 folder of the data dir); Docker ignores it, and so does Incus for a container
   * whose egress attachment has a `hostAddress` (the core reaches it at its routed address).
   */
  reach?: { containerPort: number; socketPath: string };
}

/** Container state as the app uses it. */
export type ContainerState = 'created' | 'running' | 'stopped' | 'paused' | 'restarting' | 'unknown';

/** What `inspect` and `list` return, in the same shape for both engines. */
export interface ContainerInfo {
  /** Engine id (Docker id; Incus: the name). */
  id: string;
  name: string;
  image: string;
  state: ContainerState;
  labels: Record<string, string>;
  /** Forwards as applied, host ports resolved. */
  ports: PortForward[];
  /** Applied limits (read back from the engine, so a test can see them). */
  memoryMiB: number | null;
  cpus: number | null;
  /** Epoch ms, or null when unknown / not running. */
  startedAt: number | null;
  /** Exit code of the last run, when stopped. */
  exitCode: number | null;
}

/** Output of a command run inside a container. */
export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** A container event from the engine's event stream, normalised. */
export interface RuntimeEvent {
  kind: RuntimeKind;
  /**
   * `start`, `stop` (any exit: stop, kill, die), `create`, `remove`, `rename`, `oom` (the kernel killed a
   * process of the container for lack of memory; the container may run on, its exit comes as `stop`);
   * others are dropped.
   */
  action: 'start' | 'stop' | 'create' | 'remove' | 'rename' | 'oom';
  name: string;
  labels: Record<string, string>;
  /** Epoch ms. */
  at: number;
  /** Exit code on `stop` when the engine says it. */
  exitCode?: number;
}

/** Progress of a long operation (image import), for the UI. */
export interface RuntimeProgress {
  /** 0–1, or null when unknown. */
  fraction: number | null;
  message: string;
}

/**
 * Thrown when the engine cannot be reached (socket missing, refused, permission denied).
 * `fix` says what the user can do.
 */
export class RuntimeUnavailableError extends Error {
  constructor(
    readonly kind: RuntimeKind,
    message: string,
    readonly fix: string,
  ) {
    super(message);
    this.name = 'RuntimeUnavailableError';
  }
}

/** Thrown when a named container or image does not exist. */
export class RuntimeNotFoundError extends Error {
  constructor(
    readonly kind: RuntimeKind,
    readonly what: 'container' | 'image',
    readonly ref: string,
  ) {
    super(`${kind}: ${what} ${ref} not found`);
    this.name = 'RuntimeNotFoundError';
  }
}

/** Thrown for any other engine failure; `status` is the engine's HTTP status when there was one. */
export class RuntimeOperationError extends Error {
  constructor(
    readonly kind: RuntimeKind,
    readonly operation: string,
    message: string,
    readonly status: number | null = null,
  ) {
    super(`${kind} ${operation}: ${message}`);
    this.name = 'RuntimeOperationError';
  }
}

/**
 * One container engine, with a real driver per engine (docker/, incus/). Every method throws
 * {@link RuntimeUnavailableError} when the engine cannot be reached, {@link RuntimeNotFoundError} for a
 * missing container/image where noted, {@link RuntimeOperationError} otherwise. Names are container
 * names (not ids). Times in ms unless the name says s.
 */
export interface ContainerRuntime {
  readonly kind: RuntimeKind;
  /** Resolves when the engine answers. */
  ping(): Promise<void>;
  info(): Promise<RuntimeInfo>;
  /**
   * Prepares what agent containers need to reach host services (Docker: the `agentdesk` bridge network;
   * Incus: nothing). Idempotent. Returns the host address the gateway must also listen on (Docker: the
   * bridge's gateway address; Incus with `egress`: the project bridge's address, which routed agents
   * reach) or null (Incus without egress: proxy devices connect to 127.0.0.1).
   * @param opts.egress whether agents get an egress attachment (default false).
   */
  prepareNetwork(opts?: { egress?: boolean }): Promise<{ gatewayBind: string | null }>;
  /** The agents' network for the egress firewall (Docker: prepares the bridge first). */
  egressNetwork(): Promise<EgressNetwork>;
  /** Addresses held on that network by any container (any state, any owner): address → container name. */
  egressAddressesInUse(): Promise<Map<string, string>>;
  /**
   * Gives an existing container this attachment (address, DNS path); a no-op when it has it. A running
   * container keeps running (its connections through the old address break).
   * @throws RuntimeNotFoundError
   */
  attachEgress(name: string, egress: EgressAttachment): Promise<void>;
  /**
   * Where a container reaches the host service of {@link ContainerSpec.hostServicePort}: plain HTTP on
   * this machine's engines; on a remote engine a {@link RemoteGatewayAddress} (the gateway's TLS
   * listener, named `agentdesk-gateway`, with the certificate the agent pins), never plain HTTP.
   * @param opts.egress whether the container has an egress attachment (Incus: routed agents reach the
   *   host on the project bridge's address; without, a proxy device on 127.0.0.1). Default false.
   */
  hostServiceAddress(hostPort: number, opts?: { egress?: boolean }): Promise<HostServiceAddress>;
  imagePresent(ref: string): Promise<boolean>;
  /**
   * Imports an image. Docker: `tarball` is a rootfs tar (as for `docker import`), with `changes` applied
   * (ENTRYPOINT, ENV …). Incus: `tarball` is the same rootfs tar and `metadata` the image metadata
   * tarball (split image). Replaces an existing image of the same ref.
   */
  importImage(
    ref: string,
    files: { rootfs: string; incusMetadata?: string; dockerChanges?: string[] },
    onProgress?: (p: RuntimeProgress) => void,
  ): Promise<void>;
  /** Removes an image; missing = no-op. */
  removeImage(ref: string): Promise<void>;
  /**
   * Creates (does not start) a container. `opts.member`: on an Incus cluster, the member to place it on
   * (absent = the engine's member, else Incus places it); other engines ignore it.
   * @throws RuntimeNotFoundError when the image is missing.
   */
  create(spec: ContainerSpec, opts?: { member?: string | null }): Promise<ContainerInfo>;
  /** Starts; already running = no-op. @throws RuntimeNotFoundError */
  start(name: string): Promise<void>;
  /** Stops gracefully within `timeoutS`, then kills; already stopped = no-op. @throws RuntimeNotFoundError */
  stop(name: string, opts: { timeoutS: number }): Promise<void>;
  /** @throws RuntimeNotFoundError; RuntimeOperationError when `to` is taken. */
  rename(from: string, to: string): Promise<void>;
  /** Removes (force stops first); missing = no-op. The agent's data held by the engine stays (see purgeAgentData). */
  remove(name: string): Promise<void>;
  /**
   * Removes what the engine keeps for agent `agentId` beyond its container (a remote engine: the volumes
   * standing for its home and config); a no-op where its folders are on this machine. Called by purge
   * after {@link remove}. @returns names of what could not be removed (still in use).
   */
  purgeAgentData?(agentId: string): Promise<string[]>;
  /** The container, or null when it does not exist. */
  inspect(name: string): Promise<ContainerInfo | null>;
  /**
   * The names of every container the engine holds (any state, any owner), in one engine call: what
   * {@link inspect} would find, for many names at once.
   */
  containerNames(): Promise<Set<string>>;
  /**
   * How the core reaches `containerPort` of the running container `name` (see {@link ContainerSpec.reach}):
   * Docker — the container's address on the bridge when the host routes to it, else the 127.0.0.1 port
   * it was published on; Incus — the unix socket of its proxy device (or a 127.0.0.1 port of an older
   * container). `null` when the container has no way in for that port (not running, no address yet).
   */
  endpoint(name: string, containerPort: number): Promise<RuntimeEndpoint | null>;
  /**
   * Copies the regular files directly inside `containerDir` of container `name` (any state but removed)
   * out of it, for an engine whose container folders are not on this machine (the agent's thread files
   * on a remote engine). The agent writes that folder: only names `accept` passes, at most `maxFiles`
   * files and `maxBytes` in all are taken (the first ones the engine sends), links and folders skipped.
   * @returns `[]` when the folder does not exist. Absent where folders are on this machine.
   */
  copyFilesOut?(
    name: string,
    containerDir: string,
    limits: { accept: (fileName: string) => boolean; maxFiles: number; maxBytes: number },
  ): Promise<{ name: string; mtimeMs: number; data: Buffer }[]>;
  /** Containers whose labels include every given label (all states). */
  list(labels: Record<string, string>): Promise<ContainerInfo[]>;
  /**
   * How many processes of the container the kernel killed for lack of memory (its memory cgroup's OOM
   * kills) in its current run, or its last one when stopped; null when neither the engine nor this host
   * can tell (then nothing is claimed either way). Docker: the cgroup's counter, the `oom` events seen
   * and `State.OOMKilled`; Incus: the cgroup's counter, else the kernel log since its last start.
   */
  oomKills(name: string): Promise<number | null>;
  /** The last `tail` lines of the main process's output (stdout and stderr merged, demuxed). */
  logs(name: string, opts: { tail: number }): Promise<string[]>;
  /** Follows the output line by line until `signal` aborts or the container stops. */
  followLogs(name: string, onLine: (line: string) => void, signal: AbortSignal): Promise<void>;
  /** Runs a command inside the running container. @throws RuntimeOperationError on timeout. */
  exec(
    name: string,
    cmd: string[],
    opts: { timeoutMs: number; env?: Record<string, string> },
  ): Promise<ExecResult>;
  /**
   * Remote engines whose agents reach out through Agent Desk's egress proxy there (a remote Docker
   * engine; docs/decisions/023-remote-egress.md): gives the proxy the policies of this core's agents on
   * the engine (the whole table, replacing the last one); the proxy applies it at once and keeps it while
   * the core is away. Absent = the engine has no egress proxy (remote agents reach only the gateway).
   * @throws engine errors.
   */
  applyRemoteEgress?(agents: RemoteEgressAgent[]): Promise<void>;
  /**
   * Where the proxy's refusals go: `onLine` gets each line it writes (JSON, untrusted: the remote host
   * could write anything), from now on, across reconnections. @returns the function that stops it.
   */
  followRemoteEgress?(onLine: (line: string) => void): () => void;
  /**
   * Subscribes to container events of containers labelled `agentdesk.agent_id` (one long-lived stream,
   * reconnected with backoff when it breaks; `onState(false)` while it is down). Returns unsubscribe.
   */
  events(
    onEvent: (e: RuntimeEvent) => void,
    onState?: (connected: boolean, error?: string) => void,
  ): () => void;
  /**
   * Removes what Agent Desk made on this engine besides agents (a remote engine's gateway relay, egress
   * proxy, their volume and networks), when the engine is removed from Agent Desk; this machine's
   * engines have none (absent). A network some container still uses is left in place.
   * @returns the names of what was left because it is still in use.
   * @throws when the engine cannot be reached.
   */
  teardown?(): Promise<string[]>;
  /** Closes streams and sockets. */
  close(): Promise<void>;
}

/** Label keys the app sets on its containers. */
export const LABELS = {
  agentId: 'agentdesk.agent_id',
  slug: 'agentdesk.slug',
  managed: 'agentdesk.managed',
  /** Which data dir's core owns the container (a hash of its path): reconciliation only touches its own. */
  instance: 'agentdesk.instance',
  /**
   * The containment version the container was created with (docs/decisions/010-agent-containment.md);
   * a container without the current one is created again at its next start.
   */
  containment: 'agentdesk.containment',
} as const;
