// DockerRuntime: the ContainerRuntime driver for Docker (and Podman's Docker API) through dockerode.
import http from 'node:http';
import type Dockerode from 'dockerode';
import { RuntimeNotFoundError, RuntimeOperationError, RuntimeUnavailableError } from '../container-runtime';
import type {
  ContainerInfo,
  ContainerRuntime,
  ContainerSpec,
  EgressAttachment,
  EgressNetwork,
  ExecResult,
  RuntimeEndpoint,
  RuntimeEvent,
  RuntimeInfo,
  RuntimeProgress,
} from '../container-runtime';
import { resolveDockerEndpoint } from '../docker-endpoint';
import { connectDockerTarget } from './docker-client';
import type { DockerConnection, DockerEngineTarget } from './docker-client';
import type { SshSettings } from '../../../platform/ssh';
import { dockerMessage, dockerStatus, ignoreStatus, toRuntimeError } from './docker-errors';
import { DockerEventStream, openLocalEvents } from './docker-events';
import { importRootfs } from './docker-image';
import { transferImage, type ImageTransferProgress } from './docker-image-transfer';
import { execInContainer } from './docker-exec';
import { demuxBufferLines, demuxLines } from './docker-logs';
import { assertContainerName, toContainerInfo, toCreateOptions, validateSpec } from './docker-mapping';
import { endpointOf, hostRoutesTo } from './docker-reach';
import { seccompApplies } from './docker-seccomp';
import { cgroupOomKills, kernelOomKills } from '../oom-kills';
import { ensureBridgeNetwork } from './docker-network';
import {
  ensureVolumes,
  filesOfArchive,
  parseVolumesLabel,
  refreshReadOnlyVolumes,
  removeAgentVolumes,
  volumeMounts,
  VOLUMES_LABEL,
} from './docker-volumes';
import type { CopiedFile } from './docker-volumes';
import { dockerAddressesInUse, dockerAttachEgress, dockerEgressNetwork } from './docker-egress';

/** How long an inspection made by `list` answers `endpoint` (ms). */
const INSPECT_REUSE_MS = 1000;

/**
 * Sends `GET /_ping` through `send` and answers the HTTP status. @throws RuntimeUnavailableError naming
 * `label` and `fix` when nothing answers within {@link PING_TIMEOUT_MS}; the request's own errors.
 */
function pingStatus(
  send: (onResponse: (res: http.IncomingMessage) => void) => http.ClientRequest,
  label: string,
  fix: string,
): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const req = send((res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', reject);
    });
    req.setTimeout(PING_TIMEOUT_MS, () =>
      req.destroy(
        new RuntimeUnavailableError(
          'docker',
          `Docker at ${label} did not answer within ${PING_TIMEOUT_MS / 1000} s`,
          fix,
        ),
      ),
    );
    req.on('error', reject);
    req.end();
  });
}

/** Deadline of `ping` and `info` in ms: a daemon that accepts but never answers counts as unavailable. */
const PING_TIMEOUT_MS = 5000;

/** Where the driver reports what it does not throw (event stream trouble). pino's logger fits. */
export interface RuntimeLog {
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
}

/** Options of {@link DockerRuntime}. */
export interface DockerRuntimeOptions {
  /** The core's environment, read for DOCKER_HOST / XDG_RUNTIME_DIR (the local engine). */
  env: Readonly<NodeJS.ProcessEnv>;
  /**
   * Which engine: this machine's (default, `{ kind: 'docker', transport: 'local' }`), `ssh` or `tls`
   * (see connectDockerTarget).
   */
  target?: DockerEngineTarget;
  /** How to run ssh: required for an `ssh` target. */
  ssh?: SshSettings | null;
  /** The bridge network agent containers join (default `agentdesk`). */
  networkName?: string;
  /**
   * How a spec's host folders reach the container: `bind` mounts (the engine shares this machine's
   * filesystem: the default), or `volumes` (a remote engine): named volumes filled from the host folders
   * over the archive API (docker-volumes.ts).
   */
  hostFolders?: 'bind' | 'volumes';
  log?: RuntimeLog;
}

/**
 * The Docker driver. One dockerode client per endpoint (from
 * `resolveDockerEndpoint`: DOCKER_HOST or the usual sockets), created on first use; one shared
 * event stream. The constructor does no I/O. Errors: see {@link ContainerRuntime}; bad input is a
 * RuntimeOperationError naming the field and what is valid.
 */
export class DockerRuntime implements ContainerRuntime {
  readonly kind = 'docker' as const;
  private readonly env: Readonly<NodeJS.ProcessEnv>;
  private readonly target: DockerEngineTarget;
  private readonly ssh: SshSettings | null;
  private readonly networkName: string;
  private readonly log: RuntimeLog | undefined;
  private conn: DockerConnection | null = null;
  private gateway: string | null = null;
  /** The network preparation in progress, shared by concurrent callers. */
  private preparing: Promise<string> | null = null;
  private readonly eventStream: DockerEventStream;
  private readonly followers = new Set<AbortController>();
  private readonly hostFolders: 'bind' | 'volumes';
  /**
   * The inspections of the last {@link list}, reused by {@link endpoint} for {@link INSPECT_REUSE_MS}
   * (reconciliation asks for the endpoint of every running container right after listing them) unless
   * this driver changed a container since the listing began ({@link changes}).
   */
  private readonly listed = new Map<
    string,
    { info: Dockerode.ContainerInspectInfo; at: number; changes: number }
  >();
  /** Counts this driver's container changes (create, start, stop, rename, remove, egress attach). */
  private changes = 0;

  constructor(opts: DockerRuntimeOptions) {
    this.env = opts.env;
    this.hostFolders = opts.hostFolders ?? 'bind';
    this.target = opts.target ?? { kind: 'docker', transport: 'local' };
    this.ssh = opts.ssh ?? null;
    this.networkName = opts.networkName ?? 'agentdesk';
    this.log = opts.log;
    this.eventStream = new DockerEventStream(
      (query, signal) =>
        this.target.transport === 'local'
          ? openLocalEvents(resolveDockerEndpoint(this.env).endpoint, query, signal)
          : this.connection().docker.getEvents({ ...query, abortSignal: signal }),
      this.log,
    );
  }

  /** The client, built on first use. @throws RuntimeUnavailableError for an unusable DOCKER_HOST. */
  protected connection(): DockerConnection {
    this.conn ??= connectDockerTarget(this.target, this.env, this.ssh);
    return this.conn;
  }

  /**
   * True for an `ssh` or `tls` target: the engine is on another machine, so what needs this host (bridge
   * routes, cgroup files, the kernel log, iptables, the bridge gateway as a listen address, published
   * ports) is skipped or refused. A tcp:// DOCKER_HOST of the local target keeps its former behaviour
   * (published 127.0.0.1 ports, no cgroup reads).
   */
  get remote(): boolean {
    return this.target.transport !== 'local';
  }

  private refuseRemote(operation: string, why: string): void {
    if (this.remote)
      throw new RuntimeOperationError(
        'docker',
        operation,
        `${why} (the engine ${this.connection().label} is on another machine)`,
      );
  }

  /** Runs one engine call and maps its failure (see docker-errors). */
  protected async call<T>(
    operation: string,
    fn: (docker: Dockerode) => Promise<T>,
    notFound?: { what: 'container' | 'image'; ref: string },
  ): Promise<T> {
    const c = this.connection();
    try {
      return await fn(c.docker);
    } catch (err) {
      throw toRuntimeError(err, operation, c.label, notFound);
    }
  }

  private bad(operation: string, err: unknown): RuntimeOperationError {
    return new RuntimeOperationError('docker', operation, (err as Error).message);
  }

  private checkName(operation: string, name: string): void {
    try {
      assertContainerName(name);
    } catch (err) {
      throw this.bad(operation, err);
    }
  }

  /**
   * `GET /_ping` within 5 s, straight over the socket: the core pings as it starts, and this keeps
   * dockerode (loaded by the first real call, see docker-client.ts) off that path.
   */
  async ping(): Promise<void> {
    if (this.target.transport !== 'local') return this.pingRemote();
    let target: ReturnType<typeof resolveDockerEndpoint>;
    try {
      target = resolveDockerEndpoint(this.env);
    } catch (err) {
      throw new RuntimeUnavailableError(
        'docker',
        (err as Error).message,
        'Unset DOCKER_HOST, or set it to unix:///path/to/docker.sock or tcp://host:port',
      );
    }
    const status = await pingStatus(
      (onResponse) =>
        http.request(
          { ...target.endpoint, path: '/_ping', method: 'GET', headers: { Host: 'localhost' }, agent: false },
          onResponse,
        ),
      target.label,
      'Restart Docker (Docker Desktop, or `sudo systemctl restart docker`) and check its log',
    ).catch((err: unknown) => {
      throw toRuntimeError(err, 'ping', target.label);
    });
    if (status !== 200)
      throw new RuntimeOperationError('docker', 'ping', `GET /_ping answered HTTP ${status}`, status);
  }

  /** `GET /_ping` within 5 s over a new connection of the remote transport; any failure = unavailable. */
  private async pingRemote(): Promise<void> {
    const c = this.connection();
    const status = await pingStatus(
      (onResponse) => c.raw.request({ ...c.raw.options, path: '/_ping', method: 'GET' }, onResponse),
      c.label,
      'Check that the remote host is up and its Docker engine runs',
    ).catch((err: unknown) => {
      const mapped = toRuntimeError(err, 'ping', c.label);
      if (mapped instanceof RuntimeOperationError)
        // A fresh connection that breaks (reset, hang-up) before any answer: the engine is not there.
        throw Object.assign(
          new RuntimeUnavailableError(
            'docker',
            `Docker at ${c.label} did not answer: ${mapped.message}`,
            'Check that the remote host is up and its Docker engine runs',
          ),
          { cause: err },
        );
      throw mapped;
    });
    if (status !== 200)
      throw new RuntimeOperationError('docker', 'ping', `GET /_ping answered HTTP ${status}`, status);
  }

  /** Engine and API version (`GET /version`), CPUs and memory in bytes (`GET /info`). */
  async info(): Promise<RuntimeInfo> {
    await this.ping();
    const [version, info] = await this.call('info', (d) =>
      Promise.all([d.version(), d.info() as Promise<{ NCPU?: number; MemTotal?: number }>]),
    );
    return {
      kind: 'docker',
      version: version.Version,
      apiVersion: version.ApiVersion,
      endpoint: this.connection().label,
      cpus: info.NCPU ?? 0,
      memoryBytes: info.MemTotal ?? 0,
    };
  }

  /**
   * Ensures the bridge network (see ensureBridgeNetwork); `gatewayBind` = its IPv4 gateway address, or
   * null on a remote engine (that address is on the other machine: nothing here can listen on it).
   */
  async prepareNetwork(): Promise<{ gatewayBind: string | null }> {
    // One at a time: concurrent deploys would otherwise race to create (or migrate) the same network.
    this.preparing ??= this.call('prepareNetwork', (d) => ensureBridgeNetwork(d, this.networkName)).finally(
      () => (this.preparing = null),
    );
    this.gateway = await this.preparing;
    return { gatewayBind: this.remote ? null : this.gateway };
  }

  /** The agents' bridge as the egress firewall needs it (see dockerEgressNetwork); prepares it first. */
  async egressNetwork(): Promise<EgressNetwork> {
    this.refuseRemote('egressNetwork', 'egress allow-lists are enforced on this machine only');
    await this.prepareNetwork();
    return this.call('egressNetwork', (d) => dockerEgressNetwork(d, this.networkName));
  }

  /** Addresses held on the agents' bridge: address → container name. */
  async egressAddressesInUse(): Promise<Map<string, string>> {
    this.refuseRemote('egressAddressesInUse', 'egress allow-lists are enforced on this machine only');
    await this.prepareNetwork();
    return this.call('egressAddressesInUse', (d) => dockerAddressesInUse(d, this.networkName));
  }

  /** Gives an existing container its fixed address on the agents' bridge (see dockerAttachEgress). */
  async attachEgress(name: string, egress: EgressAttachment): Promise<void> {
    this.changes++;
    this.checkName('attachEgress', name);
    this.refuseRemote('attachEgress', 'egress allow-lists are enforced on this machine only');
    await this.prepareNetwork();
    await this.call('attachEgress', (d) => dockerAttachEgress(d, this.networkName, name, egress));
  }

  /**
   * The bridge gateway address and the same port: containers reach the host there.
   * @throws RuntimeOperationError on a remote engine: its bridge gateway is the remote host, not this one
   *   (remote containers reach this machine through the gateway relay instead).
   */
  async hostServiceAddress(hostPort: number): Promise<{ host: string; port: number }> {
    this.refuseRemote(
      'hostServiceAddress',
      'containers there do not reach this machine on their bridge gateway',
    );
    if (!Number.isInteger(hostPort) || hostPort < 1 || hostPort > 65535) {
      throw new RuntimeOperationError(
        'docker',
        'hostServiceAddress',
        `port ${hostPort} is not valid: use 1–65535`,
      );
    }
    const host = this.gateway ?? (await this.prepareNetwork()).gatewayBind!;
    return { host, port: hostPort };
  }

  async imagePresent(ref: string): Promise<boolean> {
    try {
      await this.call('imagePresent', (d) => d.getImage(ref).inspect(), { what: 'image', ref });
      return true;
    } catch (err) {
      if (err instanceof RuntimeNotFoundError) return false;
      throw err;
    }
  }

  /** `docker import` of `files.rootfs` with `files.dockerChanges` (see importRootfs); Incus metadata is ignored. */
  async importImage(
    ref: string,
    files: { rootfs: string; incusMetadata?: string; dockerChanges?: string[] },
    onProgress?: (p: RuntimeProgress) => void,
  ): Promise<void> {
    await this.call('importImage', (d) =>
      importRootfs(d, ref, files.rootfs, files.dockerChanges ?? [], onProgress),
    );
  }

  /**
   * Copies image `ref` from this engine to `to` offline (this engine's `docker save` stream into `to`'s
   * `POST /images/load`, no file in between), with progress in bytes; skipped when `to` already has the
   * same image (same id, or the same `agentdesk.*.recipe` labels). See transferImage.
   * @returns whether it was sent and how many bytes.
   * @throws RuntimeUnavailableError when either engine cannot be reached; RuntimeOperationError when
   *   `ref` is not here or `to` refuses it.
   */
  async sendImage(
    to: DockerRuntime,
    ref: string,
    onProgress?: (p: ImageTransferProgress) => void,
  ): Promise<{ sent: boolean; bytes: number }> {
    const from = this.connection();
    const dest = to.connection();
    try {
      return await transferImage(from.docker, dest.docker, ref, onProgress);
    } catch (err) {
      throw toRuntimeError(err, 'transferImage', dest.label);
    }
  }

  /** Removes an image (not forced: an image a container uses stays, RuntimeOperationError 409). */
  async removeImage(ref: string): Promise<void> {
    try {
      await this.call('removeImage', (d) => d.getImage(ref).remove(), { what: 'image', ref });
    } catch (err) {
      if (!(err instanceof RuntimeNotFoundError)) throw err;
    }
  }

  /**
   * Creates the container on the bridge network (prepared here if needed), ports on 127.0.0.1 only.
   * @throws RuntimeNotFoundError('image') when the image is missing; RuntimeOperationError for a bad
   *   spec or a name in use.
   */
  async create(spec: ContainerSpec): Promise<ContainerInfo> {
    this.changes++;
    try {
      validateSpec(spec);
    } catch (err) {
      throw this.bad('create', err);
    }
    await this.prepareNetwork();
    const volumes = this.hostFolders === 'volumes' ? volumeMounts(spec) : undefined;
    const layout = {
      // A remote engine publishes nothing: a port on its 127.0.0.1 is of no use here, and no LAN exposure.
      publishReach: !this.remote && !this.routesToContainers(),
      seccomp: seccompApplies(await this.architecture()),
      ...(volumes ? { volumes } : {}),
      restartUnlessStopped: this.remote,
    };
    await this.call('create', async (d) => {
      try {
        if (volumes) await ensureVolumes(d, volumes, spec.image, spec.labels);
        await d.createContainer(toCreateOptions(spec, this.networkName, layout));
      } catch (err) {
        if (dockerStatus(err) === 404 && /image/i.test(dockerMessage(err))) {
          throw new RuntimeNotFoundError('docker', 'image', spec.image);
        }
        throw err;
      }
    });
    const info = await this.inspect(spec.name);
    if (!info)
      throw new RuntimeOperationError('docker', 'create', `${spec.name} vanished right after creation`);
    return info;
  }

  /** Starts; on a remote engine its read-only volumes (config) are filled again from the host first. */
  async start(name: string): Promise<void> {
    this.changes++;
    this.checkName('start', name);
    await this.call(
      'start',
      async (d) => {
        const c = d.getContainer(name);
        if (this.hostFolders === 'volumes') {
          const info = await c.inspect();
          const volumes = parseVolumesLabel(info.Config.Labels?.[VOLUMES_LABEL]);
          await refreshReadOnlyVolumes(d, volumes, info.Config.Image);
        }
        await c.start().catch(ignoreStatus(304));
      },
      { what: 'container', ref: name },
    );
  }

  /** `POST /containers/{name}/stop?t=` — the engine sends SIGTERM, then SIGKILL after `timeoutS`. */
  async stop(name: string, opts: { timeoutS: number }): Promise<void> {
    this.changes++;
    this.checkName('stop', name);
    if (!Number.isFinite(opts.timeoutS) || opts.timeoutS < 0) {
      throw new RuntimeOperationError(
        'docker',
        'stop',
        `timeoutS ${opts.timeoutS} is not valid: use 0 or more seconds`,
      );
    }
    const t = Math.ceil(opts.timeoutS);
    await this.call('stop', (d) => d.getContainer(name).stop({ t }).catch(ignoreStatus(304)), {
      what: 'container',
      ref: name,
    });
  }

  async rename(from: string, to: string): Promise<void> {
    this.changes++;
    this.checkName('rename', from);
    this.checkName('rename', to);
    await this.call('rename', (d) => d.getContainer(from).rename({ name: to }), {
      what: 'container',
      ref: from,
    });
  }

  /** Force-removes the container and its anonymous volumes; missing (or already being removed) = no-op. */
  /**
   * Removes what the engine keeps for agent `agentId` beyond its container: on a remote engine, the
   * volumes standing for its folders (its home). Call it only once the container is removed (purge).
   * @returns the names of volumes that could not be removed (still in use).
   */
  async purgeAgentData(agentId: string): Promise<string[]> {
    if (this.hostFolders !== 'volumes') return [];
    return this.call('purgeAgentData', (d) => removeAgentVolumes(d, agentId));
  }

  async remove(name: string): Promise<void> {
    this.changes++;
    this.checkName('remove', name);
    await this.call('remove', async (d) => {
      try {
        await d.getContainer(name).remove({ force: true, v: true });
      } catch (err) {
        const status = dockerStatus(err);
        if (status === 404) return;
        if (status === 409 && /already in progress/i.test(dockerMessage(err))) return;
        throw err;
      }
    });
  }

  /** The container by exact name (an id prefix that happens to match is not accepted), or null. */
  async inspect(name: string): Promise<ContainerInfo | null> {
    try {
      const info = await this.call('inspect', (d) => d.getContainer(name).inspect(), {
        what: 'container',
        ref: name,
      });
      if (info.Name !== `/${name}` && info.Id !== name) return null;
      return toContainerInfo(info);
    } catch (err) {
      if (err instanceof RuntimeNotFoundError) return null;
      throw err;
    }
  }

  /**
   * OOM kills of the container's current or last run (see ContainerRuntime.oomKills): the most of its
   * memory cgroup's counter (cgroup v1 `docker/<id>`, v2 `system.slice/docker-<id>.scope` or
   * `docker/<id>`; readable only for a local engine while it runs), else the kernel log since its start,
   * the `oom` events of this engine's stream since its start, and `State.OOMKilled` (set at exit).
   */
  async oomKills(name: string): Promise<number | null> {
    let info: Dockerode.ContainerInspectInfo;
    try {
      info = await this.call('inspect', (d) => d.getContainer(name).inspect(), {
        what: 'container',
        ref: name,
      });
    } catch (err) {
      if (err instanceof RuntimeNotFoundError) return null;
      throw err;
    }
    const id = info.Id;
    const startedAt = Date.parse(info.State?.StartedAt ?? '') || 0;
    const local = !this.connection().remote;
    const cgroup = local ? cgroupOomKills([`docker/${id}`, `system.slice/docker-${id}.scope`]) : null;
    const kernel = cgroup === null && local ? kernelOomKills((memcg) => memcg.includes(id), startedAt) : null;
    const events = this.eventStream.oomEvents(name, startedAt);
    return Math.max(info.State?.OOMKilled ? 1 : 0, cgroup ?? 0, kernel ?? 0, events);
  }

  /**
   * Whether the core reaches containers at their bridge addresses (see {@link hostRoutesTo}); else the
   * runtime port is published on 127.0.0.1.
   */
  routesToContainers(): boolean {
    return this.gateway !== null && !this.connection().remote && hostRoutesTo(this.gateway);
  }

  private arch: string | null = null;

  /** The engine's architecture (`GET /info` `Architecture`), cached. */
  private async architecture(): Promise<string> {
    this.arch ??= await this.call('info', async (d) => {
      const info = (await d.info()) as { Architecture?: string };
      return info.Architecture ?? '';
    });
    return this.arch;
  }

  /**
   * The published 127.0.0.1 port of `containerPort` when there is one (the fallback, and containers of
   * earlier versions), else the container's address on the bridge network and the port itself.
   */
  /** `GET /containers/json?all=1`: every container's names (without Docker's leading `/`). */
  async containerNames(): Promise<Set<string>> {
    const found = await this.call('containerNames', (d) => d.listContainers({ all: true }));
    return new Set(found.flatMap((c) => c.Names.map((n) => n.replace(/^\//, ''))));
  }

  /**
   * How this machine reaches `containerPort` of `name` (see endpointOf). Always null on a remote engine:
   * its containers publish nothing and their addresses are on the other machine.
   */
  async endpoint(name: string, containerPort: number): Promise<RuntimeEndpoint | null> {
    this.checkName('endpoint', name);
    if (this.remote) return null;
    const seen = this.listed.get(name);
    const fresh = seen && seen.changes === this.changes && Date.now() - seen.at <= INSPECT_REUSE_MS;
    const info = fresh
      ? seen.info
      : await this.call('endpoint', (d) => d.getContainer(name).inspect(), {
          what: 'container',
          ref: name,
        });
    return endpointOf(info, this.networkName, containerPort);
  }

  /** `GET /containers/{name}/archive?path=…`, read as a tar within the limits (docker-volumes.ts). */
  async copyFilesOut(
    name: string,
    containerDir: string,
    limits: { accept: (fileName: string) => boolean; maxFiles: number; maxBytes: number },
  ): Promise<CopiedFile[]> {
    this.checkName('copyFilesOut', name);
    return this.call('copyFilesOut', async (d) => {
      try {
        const archive = await d.getContainer(name).getArchive({ path: containerDir });
        return await filesOfArchive(archive, limits);
      } catch (err) {
        if (dockerStatus(err) === 404) return [];
        throw err;
      }
    });
  }

  /** `GET /containers/json?all=1&filters={"label":["k=v",…]}`, each inspected for limits and ports. */
  async list(labels: Record<string, string>): Promise<ContainerInfo[]> {
    const label = Object.entries(labels).map(([k, v]) => `${k}=${v}`);
    const changes = this.changes;
    const at = Date.now();
    this.listed.clear();
    const found = await this.call('list', (d) =>
      d.listContainers({ all: true, ...(label.length ? { filters: { label } } : {}) }),
    );
    const infos = await Promise.all(
      found.map(async (c) => {
        try {
          const info = await this.call('list', (d) => d.getContainer(c.Id).inspect(), {
            what: 'container',
            ref: c.Id,
          });
          this.listed.set(info.Name.replace(/^\//, ''), { info, at, changes });
          return toContainerInfo(info);
        } catch (err) {
          if (err instanceof RuntimeNotFoundError) return null; // removed since the listing
          throw err;
        }
      }),
    );
    return infos.filter((i): i is ContainerInfo => i !== null).sort((a, b) => a.name.localeCompare(b.name));
  }

  /** The last `tail` non-blank lines of stdout and stderr, in the engine's order. */
  async logs(name: string, opts: { tail: number }): Promise<string[]> {
    this.checkName('logs', name);
    if (!Number.isInteger(opts.tail) || opts.tail < 0) {
      throw new RuntimeOperationError(
        'docker',
        'logs',
        `tail ${opts.tail} is not valid: use a whole number ≥ 0`,
      );
    }
    if (opts.tail === 0) {
      await this.call('logs', (d) => d.getContainer(name).inspect(), { what: 'container', ref: name });
      return [];
    }
    const body = await this.call(
      'logs',
      (d) => d.getContainer(name).logs({ stdout: true, stderr: true, tail: opts.tail, follow: false }),
      { what: 'container', ref: name },
    );
    const lines = await demuxBufferLines(this.connection().modem, body);
    return lines.slice(-opts.tail);
  }

  /**
   * Follows new output (lines written from now on) until `signal` aborts, the container stops, or
   * `close()` is called; resolves then. @throws RuntimeNotFoundError
   */
  async followLogs(name: string, onLine: (line: string) => void, signal: AbortSignal): Promise<void> {
    this.checkName('followLogs', name);
    if (signal.aborted) return;
    const ac = new AbortController();
    const onAbort = (): void => ac.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    this.followers.add(ac);
    try {
      const stream = await this.call(
        'followLogs',
        (d) =>
          d
            .getContainer(name)
            .logs({ stdout: true, stderr: true, follow: true, tail: 0, abortSignal: ac.signal }),
        { what: 'container', ref: name },
      );
      await demuxLines(this.connection().modem, stream, onLine);
    } catch (err) {
      if (!ac.signal.aborted) throw err;
    } finally {
      signal.removeEventListener('abort', onAbort);
      this.followers.delete(ac);
    }
  }

  /** Runs `cmd` in the running container (see execInContainer). @throws RuntimeOperationError on timeout. */
  async exec(
    name: string,
    cmd: string[],
    opts: { timeoutMs: number; env?: Record<string, string> },
  ): Promise<ExecResult> {
    this.checkName('exec', name);
    const modem = this.connection().modem;
    return this.call('exec', (d) => execInContainer(d.getContainer(name), modem, cmd, opts), {
      what: 'container',
      ref: name,
    });
  }

  /** Subscribes to the shared container event stream (see DockerEventStream). Returns unsubscribe. */
  events(
    onEvent: (e: RuntimeEvent) => void,
    onState?: (connected: boolean, error?: string) => void,
  ): () => void {
    return this.eventStream.subscribe({ onEvent, ...(onState ? { onState } : {}) });
  }

  /** Closes the event stream and log followers and the client's sockets. A later call reconnects. */
  close(): Promise<void> {
    this.eventStream.close();
    for (const ac of this.followers) ac.abort();
    this.followers.clear();
    this.conn?.agent.destroy();
    this.conn = null;
    return Promise.resolve();
  }
}
