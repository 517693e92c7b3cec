// The Incus driver of ContainerRuntime: system containers through the Incus REST API on its unix socket.
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from '../../../platform/logging';
import { freePort } from '../../../platform/free-port';
import { LABELS, RuntimeNotFoundError, RuntimeOperationError } from '../container-runtime';
import type {
  ContainerInfo,
  ContainerRuntime,
  ContainerSpec,
  EgressAttachment,
  EgressNetwork,
  ExecResult,
  HostServiceAddress,
  PortForward,
  RuntimeEndpoint,
  RuntimeEvent,
  RuntimeInfo,
  RuntimeProgress,
  RemoteEgressAgent,
} from '../container-runtime';
import { resolveIncusSocket } from '../incus-endpoint';
import { IncusClient, incusUnavailable, isNotFound } from './incus-client';
import {
  GATEWAY_DEVICE,
  REACH_DEVICE,
  INCUS_GATEWAY_PORT,
  routedAddressOf,
  hasLabels,
  instanceBody,
  isolatedNicsOf,
  labelsOf,
  toContainerInfo,
  validateName,
  validateSpec,
} from './incus-config';
import type { IncusInstance } from './incus-config';
import { ConsoleTranscripts } from './incus-console';
import {
  IPV6_OFF,
  attachIncusEgress,
  bridgeHostAddress,
  egressDevices,
  incusEgressNetwork,
  resolvConf,
  routedAddresses,
} from './incus-egress';
import { IncusEventStream } from './incus-events';
import { execInContainer } from './incus-exec';
import { cgroupOomKills, kernelOomKills } from '../oom-kills';
import { aliasTarget, importSplitImage, removeImageByAlias } from './incus-images';
import { ensureAgentPool } from './incus-storage';
import type { EngineTarget } from '../engine-target';
import {
  GATEWAY_HOST_NAME,
  PUSHED_MOUNTS_KEY,
  VOLUME_AGENT_KEY,
  remoteHosts,
  remoteInstanceBody,
  remoteVolumeName,
} from './incus-remote-config';
import type { RemoteGatewayConnect } from './incus-remote-config';
import { ExecTunnels } from './incus-tunnel';
import { egressTable } from '../../egress/remote/egress-proxy-table';
import { egressProxyEnv } from '../remote/egress-proxy-container';
import {
  egressDeviceFor,
  ensureIncusEgressProxy,
  INCUS_EGRESS_DEVICE,
  INCUS_EGRESS_INSTANCE,
  NoEgressNetworkError,
  writeIncusEgressTable,
} from './incus-egress-proxy';
import { pushTree, sha256OfFiles } from './incus-files';

/** An Incus remote (`incus`/`https` engine target) and what its agents need from this machine. */
export interface IncusRemoteOptions {
  target: Extract<EngineTarget, { kind: 'incus'; transport: 'https' }>;
  /** A folder of the data dir (made 0700) for the unix sockets {@link IncusRuntime.endpoint} returns. */
  socketDir: string;
  /** Where agents' gateway proxy devices connect (the core's TLS gateway listener); see {@link IncusRuntime.setGateway}. */
  gateway?: RemoteGatewayConnect | null;
  /**
   * Agents' egress through an egress proxy instance on the remote (docs/decisions/023-remote-egress.md):
   * its image (the agent base image, with /usr/local/bin/node) and the core's instance id (its label).
   * Absent: no proxy, remote agents reach only the gateway.
   */
  egress?: { image: string; instanceId: string };
}

/** A member of an Incus cluster (`GET /1.0/cluster/members?recursion=1`). */
export interface IncusMember {
  /** e.g. `node1`: what `target=` takes. */
  name: string;
  /** e.g. `https://10.0.0.7:8443`. */
  url: string;
  /** `Online`, `Offline`, `Evacuated` … as Incus says. */
  status: string;
  /** Incus's own words, e.g. `Fully operational`. */
  message: string;
}

/** Options of {@link IncusRuntime}. */
export interface IncusRuntimeOptions {
  /** The core's environment: the socket path (`INCUS_SOCKET`, `INCUS_DIR`), the agents' pool (`AGENTDESK_INCUS_AGENT_POOL`). */
  env: Readonly<NodeJS.ProcessEnv>;
  /** Incus project; default `default`. */
  project?: string;
  /** Where warnings (event stream trouble) go; none = silent. */
  log?: Pick<Logger, 'warn' | 'debug' | 'info'>;
  /** A remote Incus over HTTPS instead of the local socket (see {@link IncusRemoteOptions}). */
  remote?: IncusRemoteOptions;
}

/** Deadlines (ms): creating copies the rootfs on a `dir` pool (measured here: 4.3 s for 500 MB). */
const CREATE_DEADLINE_MS = 10 * 60_000;
const START_DEADLINE_MS = 60_000;
const FORCE_STOP_DEADLINE_MS = 30_000;
const DELETE_DEADLINE_MS = 120_000;
/** followLogs polls the console this often (Incus 6.0 has no console-log stream). */
const FOLLOW_POLL_MS = 500;

/**
 * {@link ContainerRuntime} for Incus: instance = system container created from the
 * image alias of the ref; limits, env and labels as config keys; mounts as disk devices; the gateway and
 * port forwards as proxy devices on 127.0.0.1 (no container IP, so no DHCP client, needed), except for a
 * container with an egress `hostAddress`: its routed NIC reaches the gateway on the project bridge's
 * address, and the core reaches its runtime at the NIC's address. The container's
 * output is its console (see {@link ConsoleTranscripts}). The constructor does no I/O.
 * Errors: RuntimeUnavailableError (socket missing/refused/denied, or Incus does not trust this user),
 * RuntimeNotFoundError (Incus 404 for the named container or image), RuntimeOperationError with Incus's
 * own error text otherwise; bad input throws Error naming the field.
 */
export class IncusRuntime implements ContainerRuntime {
  readonly kind = 'incus' as const;
  private readonly socketPath: string;
  private readonly client: IncusClient;
  private readonly consoles: ConsoleTranscripts;
  private readonly stream: IncusEventStream;
  /** The project bridge's address agents reach host services at (undefined: not read yet). */
  private hostAddress: string | null | undefined;
  /** The pool of agents' root disks (null = the default profile's), decided at the first create. */
  private pool: Promise<string | null> | null = null;
  /** Remote only: the local sockets standing for ports inside containers. */
  private readonly tunnels: ExecTunnels | null;
  private gateway: RemoteGatewayConnect | null;
  /** Remote with egress only: see ContainerRuntime.applyRemoteEgress (absent on other Incus runtimes). */
  applyRemoteEgress?: (agents: RemoteEgressAgent[]) => Promise<void>;
  /** Remote with egress only: see ContainerRuntime.followRemoteEgress. */
  followRemoteEgress?: (onLine: (line: string) => void) => () => void;
  private egressApplying: Promise<void> = Promise.resolve();
  private readonly egressFollows = new Set<AbortController>();

  constructor(private readonly opts: IncusRuntimeOptions) {
    const project = opts.project ?? 'default';
    const remote = opts.remote?.target;
    if (remote) {
      this.client = new IncusClient(
        {
          url: remote.url,
          serverCertPem: remote.serverCertPem,
          clientCertPem: remote.clientCertPem,
          clientKeyPem: remote.clientKeyPem,
        },
        project,
      );
      this.socketPath = this.client.socketPath;
    } else {
      this.socketPath = resolveIncusSocket(opts.env);
      this.client = new IncusClient(this.socketPath, project);
    }
    this.tunnels = opts.remote ? new ExecTunnels(this.client, opts.remote.socketDir) : null;
    this.gateway = opts.remote?.gateway ?? null;
    const egress = opts.remote?.egress;
    if (egress) {
      this.applyRemoteEgress = (agents) => this.applyEgress(agents, egress);
      this.followRemoteEgress = (onLine) => this.followEgress(onLine);
    }
    this.consoles = new ConsoleTranscripts(this.client);
    this.stream = new IncusEventStream(
      this.client,
      project,
      { get: (name) => this.instance(name), all: () => this.instances() },
      opts.log,
    );
  }

  /** True for a remote Incus (HTTPS), false for this machine's daemon. */
  get remote(): boolean {
    return this.tunnels !== null;
  }

  /** Remote only: sets where new agents' gateway proxy devices connect (existing containers keep theirs). */
  setGateway(gateway: RemoteGatewayConnect): void {
    this.gateway = gateway;
  }

  /**
   * The cluster's members (`GET /1.0/cluster/members?recursion=1`); empty for a server that is not
   * clustered (then Incus places everything on itself).
   */
  async members(): Promise<IncusMember[]> {
    const cluster = await this.client.get<{ enabled?: boolean }>('/1.0/cluster', 'members');
    if (!cluster.enabled) return [];
    const list =
      (await this.client.get<{ server_name: string; url: string; status: string; message: string }[] | null>(
        '/1.0/cluster/members?recursion=1',
        'members',
      )) ?? [];
    return list.map((m) => ({ name: m.server_name, url: m.url, status: m.status, message: m.message }));
  }

  /** The cluster member the container is on (Incus's `location`; `none` on a server that is not clustered), or null when it does not exist. */
  async location(name: string): Promise<string | null> {
    const inst = await this.instance(name);
    return inst ? ((inst as IncusInstance & { location?: string }).location ?? null) : null;
  }

  /** `GET /1.0`; also refuses an Incus that does not trust this user. */
  async ping(): Promise<void> {
    await this.server();
  }

  /** Server and API version from `GET /1.0`; CPUs and memory (bytes) from `GET /1.0/resources`. */
  async info(): Promise<RuntimeInfo> {
    const server = await this.server();
    const res = await this.client
      .get<{ cpu?: { total?: number }; memory?: { total?: number } }>('/1.0/resources', 'info')
      .catch(() => ({ cpu: undefined, memory: undefined }));
    return {
      kind: 'incus',
      version: server.environment?.server_version ?? '',
      apiVersion: server.api_version ?? '',
      endpoint: this.socketPath,
      cpus: res.cpu?.total ?? 0,
      memoryBytes: res.memory?.total ?? 0,
    };
  }

  /**
   * Nothing to create. With `egress`, the gateway must also listen on the project bridge's address
   * (routed agents reach it there, see {@link bridgeHostAddress}); without, containers reach host
   * services through proxy devices to 127.0.0.1.
   */
  async prepareNetwork(opts: { egress?: boolean } = {}): Promise<{ gatewayBind: string | null }> {
    if (this.remote) return { gatewayBind: null };
    return { gatewayBind: opts.egress ? await this.bridgeAddress() : null };
  }

  /** The routed pool, the managed networks' subnets and the bridge address agents reach (see incusEgressNetwork). */
  async egressNetwork(): Promise<EgressNetwork> {
    this.localOnly('egress control');
    const [networks, profile] = await Promise.all([this.networks(), this.profileDevices('egressNetwork')]);
    const network = incusEgressNetwork(networks, this.opts.env, profile);
    this.hostAddress = network.kind === 'routed' ? network.hostAddress : null;
    return network;
  }

  /** Addresses of every instance's routed NICs: address → instance name. */
  async egressAddressesInUse(): Promise<Map<string, string>> {
    return routedAddresses(await this.instances());
  }

  /**
   * Gives an existing container its routed NIC and DNS proxies (a no-op when it has them). A routed NIC
   * gets its address and route when the container starts (measured on Incus 6.0.4: hot-adding one to a
   * running container leaves it unconfigured), so on a running container it takes effect at its next start.
   * @throws RuntimeNotFoundError
   */
  async attachEgress(name: string, egress: EgressAttachment): Promise<void> {
    this.localOnly('egress control');
    await attachIncusEgress(
      this.client,
      this.path(name),
      await this.mustGet(name),
      egress,
      START_DEADLINE_MS,
    );
  }

  /**
   * With `egress` and a project bridge: its address and `hostPort` (over the routed NIC). Otherwise
   * the `agentdesk-gateway` proxy device, listening inside on 127.0.0.1:4000 for any host port. On a
   * remote: `agentdesk-gateway` and the proxy device's port (the gateway's `listenPort`), with the
   * certificate to pin when the gateway gave one.
   */
  async hostServiceAddress(hostPort: number, opts: { egress?: boolean } = {}): Promise<HostServiceAddress> {
    if (!Number.isInteger(hostPort) || hostPort < 1 || hostPort > 65535)
      throw new Error(`hostPort ${hostPort} is not valid: use 1-65535`);
    // Remote: the proxy device on loopback, under the name the gateway's certificate carries (/etc/hosts).
    if (this.remote) {
      const port = this.gateway?.listenPort ?? INCUS_GATEWAY_PORT;
      const caPem = this.gateway?.caPem;
      return caPem ? { host: GATEWAY_HOST_NAME, port, caPem } : { host: GATEWAY_HOST_NAME, port };
    }
    const bridge = opts.egress ? await this.bridgeAddress() : null;
    return bridge ? { host: bridge, port: hostPort } : { host: '127.0.0.1', port: INCUS_GATEWAY_PORT };
  }

  /** True when the alias `ref` exists. */
  async imagePresent(ref: string): Promise<boolean> {
    return (await aliasTarget(this.client, ref)) !== null;
  }

  /** Uploads the split image `files.incusMetadata` + `files.rootfs` under alias `ref` (see importSplitImage). */
  async importImage(
    ref: string,
    files: { rootfs: string; incusMetadata?: string; dockerChanges?: string[] },
    onProgress?: (p: RuntimeProgress) => void,
  ): Promise<void> {
    if (!files.incusMetadata)
      throw new Error(
        'Incus needs the image metadata tarball (files.incusMetadata, with metadata.yaml) next to the rootfs',
      );
    if (this.remote) {
      // The fingerprint of a split image is the SHA-256 of its two files: skip what the remote holds.
      const fingerprint = await sha256OfFiles([files.incusMetadata, files.rootfs]);
      if ((await aliasTarget(this.client, ref)) === fingerprint) {
        onProgress?.({ fraction: 1, message: `Image ${ref} is on the remote already` });
        return;
      }
    }
    await importSplitImage(
      this.client,
      ref,
      { metadata: files.incusMetadata, rootfs: files.rootfs },
      onProgress,
    );
  }

  /** Removes alias `ref` (and its image when unused); missing = no-op. */
  async removeImage(ref: string): Promise<void> {
    await removeImageByAlias(this.client, ref);
  }

  /**
   * Creates the instance (not started). On a remote cluster, `opts.member` places it on that member
   * (`target=`), overriding the engine target's `member`; null lets Incus place it. Host ports 0 get a free port on 127.0.0.1, picked now; it is
   * bound only when the container starts, so another program could take it in between (start then fails
   * with Incus's error).
   * @throws Error for a bad spec; RuntimeNotFoundError('image') when the alias is missing;
   *   RuntimeOperationError (status 409) when the name is taken.
   */
  async create(spec: ContainerSpec, opts: { member?: string | null } = {}): Promise<ContainerInfo> {
    validateSpec(spec);
    if (this.remote) return this.createRemote(spec, opts.member);
    if ((await aliasTarget(this.client, spec.image)) === null)
      throw new RuntimeNotFoundError('incus', 'image', spec.image);
    if (await this.instance(spec.name))
      throw new RuntimeOperationError('incus', 'create', `container ${spec.name} already exists`, 409);
    const ports: PortForward[] = [];
    for (const p of spec.ports)
      ports.push({ containerPort: p.containerPort, hostPort: p.hostPort || (await freePort()) });
    // Agents on the profile's bridge must not reach each other: its NICs get port isolation.
    const profile = await this.profileDevices('create');
    // With egress: a routed NIC of its own and DNS through the host resolver instead of the profile's NICs.
    const nics = spec.egress ? egressDevices(spec.egress, profile) : isolatedNicsOf(profile);
    const owner = { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };
    const body = instanceBody(spec, ports, nics, owner);
    const pool = await this.agentPool();
    if (pool) rootOnPool(body, pool);
    if (spec.egress) Object.assign((body as { config: Record<string, string> }).config, IPV6_OFF);
    await this.client.run('POST', '/1.0/instances', body, 'create', CREATE_DEADLINE_MS);
    if (spec.egress?.hostAddress)
      await this.client.putFile(
        this.path(spec.name),
        '/etc/resolv.conf',
        resolvConf(spec.egress.hostAddress),
        'create',
      );
    return this.created(spec.name);
  }

  /** The container just created, remembered by the event stream. @throws RuntimeOperationError when it is gone. */
  private async created(name: string): Promise<ContainerInfo> {
    const info = await this.inspect(name);
    if (!info)
      throw new RuntimeOperationError('incus', 'create', `container ${name} vanished right after creation`);
    this.stream.remember(name, info.labels);
    return info;
  }

  /** Starts; running = no-op, frozen = unfreeze. On failure the error adds the ERROR lines of lxc.log. */
  async start(name: string): Promise<void> {
    const inst = await this.mustGet(name);
    if (inst.status === 'Running') return;
    // A remote's read-only mounts are copies: the core may have rewritten them (the config folder).
    if (this.remote && inst.status !== 'Frozen') await this.pushMounts(inst);
    const action = inst.status === 'Frozen' ? 'unfreeze' : 'start';
    try {
      await this.client.run('PUT', `${this.path(name)}/state`, { action }, 'start', START_DEADLINE_MS);
    } catch (err) {
      if (!(err instanceof RuntimeOperationError)) throw err;
      const log = await this.client.text(`${this.path(name)}/logs/lxc.log`, 'start').catch(() => '');
      const errors = log
        .split('\n')
        .filter((l) => l.includes('ERROR'))
        .slice(-3);
      const hint = errors.length
        ? ` — lxc.log: ${errors.map((l) => l.replace(/^.*? - /, '')).join(' | ')}`
        : '';
      throw new RuntimeOperationError('incus', 'start', `${name}: ${err.message}${hint}`, err.status);
    }
  }

  /**
   * Stops: a clean shutdown (SIGPWR to init) within `timeoutS`, then a forced stop (an init that
   * ignores SIGPWR would otherwise hang until Incus's timeout). Stopped = no-op; frozen = forced at once.
   */
  async stop(name: string, opts: { timeoutS: number }): Promise<void> {
    const inst = await this.mustGet(name);
    if (inst.status === 'Stopped') return;
    const timeoutS = Math.max(0, Math.ceil(opts.timeoutS));
    if (inst.status !== 'Frozen' && timeoutS > 0) {
      try {
        const body = { action: 'stop', timeout: timeoutS, force: false };
        await this.client.run('PUT', `${this.path(name)}/state`, body, 'stop', timeoutS * 1000 + 15_000);
        return;
      } catch (err) {
        if (!(err instanceof RuntimeOperationError)) throw err;
        if ((await this.instance(name))?.status === 'Stopped') return;
      }
    }
    await this.forceStop(name);
  }

  /** Renames (Incus renames only stopped containers: a running one gets Incus's refusal). */
  async rename(from: string, to: string): Promise<void> {
    validateName(to);
    this.tunnels?.close(from);
    await this.mustGet(from);
    if (await this.instance(to))
      throw new RuntimeOperationError('incus', 'rename', `container ${to} already exists`, 409);
    await this.client.run('POST', this.path(from), { name: to }, 'rename', START_DEADLINE_MS);
    this.consoles.rename(from, to);
  }

  /** Force-stops when needed, then deletes; missing = no-op. */
  async remove(name: string): Promise<void> {
    this.tunnels?.close(name);
    const inst = await this.instance(name);
    if (!inst) return;
    try {
      if (inst.status !== 'Stopped') await this.forceStop(name);
      await this.client.run('DELETE', this.path(name), undefined, 'remove', DELETE_DEADLINE_MS);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    this.consoles.forget(name);
  }

  /** The container, or null. */
  async inspect(name: string): Promise<ContainerInfo | null> {
    const inst = await this.instance(name);
    return inst ? toContainerInfo(inst) : null;
  }

  /** Every instance's name (`GET /1.0/instances?recursion=1`). */
  async containerNames(): Promise<Set<string>> {
    return new Set((await this.instances()).map((i) => i.name));
  }

  /**
   * OOM kills of the container's current or last run (see ContainerRuntime.oomKills). Incus reports none
   * itself (its lifecycle events say only `instance-shutdown`): the memory cgroup `lxc.payload.<name>`
   * while it runs, else the kernel log's OOM kills in that cgroup since its last start.
   */
  async oomKills(name: string): Promise<number | null> {
    // The cgroup files and the kernel log are the remote host's: not readable from here.
    if (this.remote) return null;
    const inst = await this.instance(name);
    if (!inst) return null;
    const group = `lxc.payload.${name}`;
    if (inst.status === 'Running') {
      const counted = cgroupOomKills([group]);
      if (counted !== null) return counted;
    }
    const since = Date.parse(inst.last_used_at ?? '') || 0;
    return kernelOomKills((memcg) => memcg === `/${group}` || memcg.startsWith(`/${group}/`), since);
  }

  /**
   * The unix socket of the container's `agentdesk-runtime` proxy device when it has one for
   * `containerPort`; else, for a container without proxy devices to the host (see
   * {@link instanceBody}), its routed NIC's address; else a 127.0.0.1 port forward of an older
   * container; null when not running.
   */
  async endpoint(name: string, containerPort: number): Promise<RuntimeEndpoint | null> {
    const inst = await this.mustGet(name);
    if (inst.status !== 'Running') return null;
    if (this.tunnels) return { kind: 'unix', socketPath: await this.tunnels.socketFor(name, containerPort) };
    const devices = inst.expanded_devices ?? inst.devices;
    const reach = devices[REACH_DEVICE];
    if (reach?.listen?.startsWith('unix:') && reach.connect?.endsWith(`:${containerPort}`))
      return { kind: 'unix', socketPath: reach.listen.slice('unix:'.length) };
    const routed = routedAddressOf(inst);
    if (routed && !devices[GATEWAY_DEVICE]) return { kind: 'tcp', host: routed, port: containerPort };
    const forward = toContainerInfo(inst).ports.find((p) => p.containerPort === containerPort);
    return forward ? { kind: 'tcp', host: '127.0.0.1', port: forward.hostPort } : null;
  }

  /** Containers (not VMs) of the project whose `user.*` labels include every given label. */
  async list(labels: Record<string, string>): Promise<ContainerInfo[]> {
    const all = await this.instances();
    return all
      .filter((i) => i.type === 'container' && hasLabels(labelsOf(i.config), labels))
      .map(toContainerInfo);
  }

  /** The last `tail` console lines (see {@link ConsoleTranscripts} for what the console holds). @throws RuntimeNotFoundError */
  async logs(name: string, opts: { tail: number }): Promise<string[]> {
    await this.readConsole(await this.mustGet(name));
    return this.consoles.tail(name, opts.tail);
  }

  /**
   * Calls `onLine` for each new console line, polling every 500 ms (Incus 6.0 offers no console-log
   * stream), until `signal` aborts, the container stops (its last lines are delivered) or it is removed.
   * @throws RuntimeNotFoundError when the container does not exist at the start.
   */
  async followLogs(name: string, onLine: (line: string) => void, signal: AbortSignal): Promise<void> {
    let inst: IncusInstance | null = await this.mustGet(name);
    const unfollow = this.consoles.follow(name, onLine);
    try {
      while (inst && !signal.aborted) {
        await this.readConsole(inst);
        if (inst.status !== 'Running') break;
        await sleep(FOLLOW_POLL_MS, signal);
        if (!signal.aborted) inst = await this.instance(name);
      }
    } finally {
      unfollow();
    }
  }

  /** See {@link execInContainer}. @throws RuntimeNotFoundError; RuntimeOperationError on timeout. */
  async exec(
    name: string,
    cmd: string[],
    opts: { timeoutMs: number; env?: Record<string, string> },
  ): Promise<ExecResult> {
    try {
      return await execInContainer(this.client, name, cmd, opts);
    } catch (err) {
      if (isNotFound(err) && !(await this.instance(name)))
        throw new RuntimeNotFoundError('incus', 'container', name);
      throw err;
    }
  }

  /** Lifecycle events of containers labelled `agentdesk.agent_id` (see {@link IncusEventStream}). */
  events(
    onEvent: (e: RuntimeEvent) => void,
    onState?: (connected: boolean, error?: string) => void,
  ): () => void {
    return this.stream.subscribe(onEvent, onState);
  }

  /**
   * Gives the remote's egress proxy the policies of this core's agents there (made first when missing,
   * see ensureIncusEgressProxy): each agent named by its port, connections accepted on it only from the
   * remote host's address on the proxy's network; refused in every mode besides the contract's ranges:
   * that network and the remote host's addresses the core knows (its URL's host, this machine's address
   * towards it). One at a time, in call order.
   */
  private applyEgress(agents: RemoteEgressAgent[], o: { image: string; instanceId: string }): Promise<void> {
    const run = this.egressApplying.then(async () => {
      const profile = await this.profileDevices('applyRemoteEgress');
      let proxy;
      try {
        proxy = await ensureIncusEgressProxy(this.client, {
          ...o,
          profile,
          containers: agents.map((a) => a.container),
          start: (n) => this.start(n),
          remove: (n) => this.remove(n),
        });
      } catch (err) {
        // A remote without a managed bridge still runs agents that reach only the gateway.
        if (err instanceof NoEgressNetworkError && agents.every((a) => a.mode === 'none')) return;
        throw err;
      }
      const hosts = [new URL(this.opts.remote!.target.url).hostname, this.gateway?.connectHost ?? ''];
      const table = egressTable({
        agentNetwork: null,
        networks: [proxy.subnet],
        hosts: hosts.filter((h) => /^\d{1,3}(\.\d{1,3}){3}$/.test(h)),
        portSources: proxy.hostAddresses,
        agents: agents.map((a) => ({ ...a, port: proxy.ports[a.container] })),
      });
      await writeIncusEgressTable(this.client, table);
    });
    this.egressApplying = run.catch(() => undefined);
    return run;
  }

  /**
   * Follows the proxy instance's console (its refusal lines) until the returned function is called or
   * the runtime closes; when the instance is missing or stops, tried again after 1 s, doubling up to 30 s.
   */
  private followEgress(onLine: (line: string) => void): () => void {
    const ac = new AbortController();
    this.egressFollows.add(ac);
    void (async () => {
      let backoff = 1000;
      while (!ac.signal.aborted) {
        try {
          await this.followLogs(
            INCUS_EGRESS_INSTANCE,
            (l) => {
              backoff = 1000;
              onLine(l);
            },
            ac.signal,
          );
        } catch {
          // missing (not made yet) or the remote away: try again
        }
        await sleep(backoff, ac.signal);
        backoff = Math.min(backoff * 2, 30_000);
      }
    })();
    return () => {
      ac.abort();
      this.egressFollows.delete(ac);
    };
  }

  /** A remote's egress proxy instance is deleted (missing: nothing to do); this machine's Incus has none. */
  async teardown(): Promise<string[]> {
    if (!this.remote) return [];
    for (const f of this.egressFollows) f.abort();
    await this.remove(INCUS_EGRESS_INSTANCE);
    return [];
  }

  /** Closes the event stream and the keep-alive sockets. */
  close(): Promise<void> {
    for (const f of this.egressFollows) f.abort();
    this.tunnels?.close();
    this.stream.close();
    this.client.close();
    return Promise.resolve();
  }

  private async server(): Promise<{
    api_version?: string;
    auth?: string;
    environment?: { server_version?: string };
  }> {
    const server = await this.client.get<{
      api_version?: string;
      auth?: string;
      environment?: { server_version?: string };
    }>('/1.0', 'ping', 5000);
    if (server.auth && server.auth !== 'trusted') throw incusUnavailable(this.socketPath, 'UNTRUSTED');
    return server;
  }

  /**
   * The storage pool for containers' root disks, decided once (see ensureAgentPool): a copy-on-write
   * pool where the host has one or supports btrfs, else the default profile's (null).
   */
  private agentPool(): Promise<string | null> {
    // A remote: no pool is created on someone's server (an `agentdesk` pool there is used, see remotePool).
    this.pool ??= (
      this.remote ? this.remotePool() : ensureAgentPool(this.client, this.opts.env, CREATE_DEADLINE_MS)
    ).then(
      ({ pool, why }) => {
        this.opts.log?.info({ pool: pool ?? 'default profile', why }, 'incus storage pool for agents');
        return pool;
      },
      (err: unknown) => {
        this.pool = null;
        throw err;
      },
    );
    return this.pool;
  }

  /** A remote's pool for agents: its `agentdesk` pool when it has one, else the default profile's root pool. */
  private async remotePool(): Promise<{ pool: string | null; why: string }> {
    const pools =
      (await this.client.get<{ name: string }[] | null>('/1.0/storage-pools?recursion=1', 'storage')) ?? [];
    if (pools.some((p) => p.name === 'agentdesk')) return { pool: 'agentdesk', why: 'the remote has one' };
    const root = Object.values(await this.profileDevices('storage')).find(
      (d) => d.type === 'disk' && d.path === '/',
    );
    return { pool: root?.pool ?? null, why: "the remote's default profile" };
  }

  /**
   * Creates an agent's container on a remote (see {@link remoteInstanceBody}): placed on the engine's
   * member when it names one; writable mounts become custom volumes (created when missing, owned by
   * the agent's uid/gid, kept when the container goes); read-only mounts are pushed as files after
   * create (root-owned, group = the agent's gid, no write bit); `/etc/hosts` names the gateway.
   */
  private async createRemote(spec: ContainerSpec, chosen?: string | null): Promise<ContainerInfo> {
    if ((await aliasTarget(this.client, spec.image)) === null)
      throw new RuntimeNotFoundError('incus', 'image', spec.image);
    if (await this.instance(spec.name))
      throw new RuntimeOperationError('incus', 'create', `container ${spec.name} already exists`, 409);
    const profile = await this.profileDevices('create');
    const pool = await this.agentPool();
    const volumePool =
      pool ?? Object.values(profile).find((d) => d.type === 'disk' && d.path === '/')?.pool ?? 'default';
    const body = remoteInstanceBody(spec, profile, this.gateway, volumePool);
    if (pool) rootOnPool(body, pool);
    if (this.opts.remote?.egress) {
      // Every agent gets the proxy variables whatever its mode (a live change from `none` opens egress
      // without re-creating it; in `none` the proxy refuses and traces) and, when the proxy holds a port
      // for it, the device that is its only way there.
      const out = body as { config: Record<string, string>; devices: Record<string, Record<string, string>> };
      for (const [k, v] of Object.entries(egressProxyEnv())) out.config[`environment.${k}`] = v;
      const device = await egressDeviceFor(this.client, spec.name);
      if (device) out.devices[INCUS_EGRESS_DEVICE] = device;
    }
    const writable = spec.mounts.filter((x) => !x.readOnly);
    let member = (chosen === undefined ? this.opts.remote?.target.member : chosen) ?? null;
    // On a cluster, a volume of a local pool (dir, btrfs …) lives on one member and the instance must
    // be on that member too: without a chosen member, where the agent's volume already is, else the
    // member answering the API.
    if (!member && writable.length && (await this.members()).length) {
      const agentId = spec.labels[LABELS.agentId];
      const vols = agentId ? await this.agentVolumes(volumePool, agentId) : [];
      member = vols.find((v) => v.location && v.location !== 'none')?.location ?? (await this.serverName());
    }
    for (const m of writable)
      await this.ensureVolume(
        volumePool,
        remoteVolumeName(spec.labels[LABELS.agentId], m),
        spec.security,
        spec.labels[LABELS.agentId],
        member,
      );
    const where = member ? `/1.0/instances?target=${encodeURIComponent(member)}` : '/1.0/instances';
    await this.client.run('POST', where, body, 'create', CREATE_DEADLINE_MS);
    const inst = this.path(spec.name);
    await this.client.putFile(inst, '/etc/hosts', remoteHosts(), 'create');
    for (const m of spec.mounts.filter((x) => x.readOnly))
      await pushTree(this.client, inst, m.hostPath, m.containerPath, { gid: spec.security?.gid ?? 0 });
    return this.created(spec.name);
  }

  /** Copies a remote container's read-only mounts recorded at create ({@link PUSHED_MOUNTS_KEY}) into it again; host folders gone are skipped. */
  private async pushMounts(inst: IncusInstance): Promise<void> {
    const text = inst.config?.[PUSHED_MOUNTS_KEY];
    if (!text) return;
    let pushed: { gid?: unknown; mounts?: unknown };
    try {
      pushed = JSON.parse(text) as typeof pushed;
    } catch {
      return;
    }
    const gid = typeof pushed.gid === 'number' ? pushed.gid : 0;
    const mounts = Array.isArray(pushed.mounts) ? pushed.mounts : [];
    for (const m of mounts) {
      if (!Array.isArray(m) || typeof m[0] !== 'string' || typeof m[1] !== 'string') continue;
      if (!fs.existsSync(m[0])) continue;
      await pushTree(this.client, this.path(inst.name), m[0], m[1], { gid });
    }
  }

  /**
   * Removes the custom volumes of agent `agentId` on the remote (its home and writable shared folders,
   * tagged {@link VOLUME_AGENT_KEY} at create); a no-op on this machine's Incus (homes are host folders).
   * @returns the names of volumes that could not be removed (still in use).
   */
  async purgeAgentData(agentId: string): Promise<string[]> {
    if (!this.remote) return [];
    const pool = (await this.agentPool()) ?? (await this.remotePool()).pool ?? 'default';
    const base = `/1.0/storage-pools/${encodeURIComponent(pool)}/volumes/custom`;
    const left: string[] = [];
    for (const v of await this.agentVolumes(pool, agentId)) {
      const target = v.location && v.location !== 'none' ? `?target=${encodeURIComponent(v.location)}` : '';
      await this.client
        .run(
          'DELETE',
          `${base}/${encodeURIComponent(v.name)}${target}`,
          undefined,
          'purge',
          DELETE_DEADLINE_MS,
        )
        .catch((err: unknown) => {
          if (!isNotFound(err)) left.push(v.name);
        });
    }
    return left;
  }

  /**
   * Copies the regular files directly inside `containerDir` out of the container (any state), through
   * the file API: only names `accept` passes, at most `maxFiles` files and `maxBytes` in all; links,
   * folders and files that would pass the byte budget are skipped, none read past it. The folder is
   * the agent's: nothing in it is trusted beyond its bytes. @returns `[]` when the folder is missing.
   * @throws RuntimeNotFoundError when the container does not exist.
   */
  async copyFilesOut(
    name: string,
    containerDir: string,
    limits: { accept: (fileName: string) => boolean; maxFiles: number; maxBytes: number },
  ): Promise<{ name: string; mtimeMs: number; data: Buffer }[]> {
    await this.mustGet(name);
    const inst = this.path(name);
    let dir;
    try {
      dir = await this.client.getPath(inst, containerDir, 1 << 20, 'copy files out');
    } catch (err) {
      if (isNotFound(err)) return [];
      throw err;
    }
    if (dir.type !== 'directory') return [];
    const out: { name: string; mtimeMs: number; data: Buffer }[] = [];
    let budget = limits.maxBytes;
    for (const entry of [...new Set(dir.entries)].sort()) {
      if (out.length >= limits.maxFiles || budget <= 0) break;
      if (entry.includes('/') || entry === '.' || entry === '..' || !limits.accept(entry)) continue;
      const file = await this.client
        .getPath(inst, path.posix.join(containerDir, entry), budget, 'copy files out')
        .catch((err: unknown) => {
          if (isNotFound(err)) return null;
          throw err;
        });
      if (!file || file.type !== 'file' || !file.data) continue;
      budget -= file.data.length;
      out.push({ name: entry, mtimeMs: file.modifiedMs, data: file.data });
    }
    return out;
  }

  /** Creates the custom volume `name` in `pool` when missing, its root owned by the agent (`initial.*`, Incus's storage_initial_owner), tagged with its agent id. */
  private async ensureVolume(
    pool: string,
    name: string,
    owner: ContainerSpec['security'],
    agentId?: string,
    member?: string | null,
  ): Promise<void> {
    const base = `/1.0/storage-pools/${encodeURIComponent(pool)}/volumes/custom`;
    const target = member ? `?target=${encodeURIComponent(member)}` : '';
    try {
      await this.client.get(`${base}/${encodeURIComponent(name)}${target}`, 'create');
      return;
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    const config: Record<string, string> = owner
      ? { 'initial.uid': String(owner.uid), 'initial.gid': String(owner.gid), 'initial.mode': '0700' }
      : {};
    if (agentId) config[VOLUME_AGENT_KEY] = agentId;
    await this.client.run(
      'POST',
      `${base}${target}`,
      { name, config, content_type: 'filesystem' },
      'create',
      CREATE_DEADLINE_MS,
    );
  }

  /** The custom volumes of `pool` tagged with agent `agentId` (with their member on a cluster). */
  private async agentVolumes(pool: string, agentId: string): Promise<{ name: string; location?: string }[]> {
    const volumes = await this.client.get<
      { name: string; type: string; location?: string; config?: Record<string, string> }[]
    >(`/1.0/storage-pools/${encodeURIComponent(pool)}/volumes?recursion=1`, 'volumes');
    return volumes.filter((v) => v.type === 'custom' && v.config?.[VOLUME_AGENT_KEY] === agentId);
  }

  /** The name of the member answering the API (`environment.server_name`), null when it does not say. */
  private async serverName(): Promise<string | null> {
    const server = await this.client.get<{ environment?: { server_name?: string } }>('/1.0', 'server');
    return server.environment?.server_name || null;
  }

  /**
   * Deletes the custom volume holding a writable mount's files on the remote (the agent's home when it
   * is purged): the agent id and container path it was created for (see remoteVolumeName; with no
   * agent id, the host path). Missing = no-op. Remote only.
   */
  async removeVolume(
    agentId: string | undefined,
    mount: { hostPath: string; containerPath: string },
  ): Promise<void> {
    this.remoteOnly('removeVolume');
    const pool = (await this.agentPool()) ?? (await this.remotePool()).pool ?? 'default';
    const path = `/1.0/storage-pools/${encodeURIComponent(pool)}/volumes/custom/${encodeURIComponent(remoteVolumeName(agentId, mount))}`;
    await this.client
      .run('DELETE', path, undefined, 'remove volume', DELETE_DEADLINE_MS)
      .catch((err: unknown) => {
        if (!isNotFound(err)) throw err;
      });
  }

  /**
   * Copies a host folder into a container on the remote again (e.g. the agent's config folder after the
   * core rewrote it), as create does for read-only mounts: root-owned, group `gid`, no write bit. Remote only.
   * @returns how many entries were copied.
   * @throws RuntimeNotFoundError when the container does not exist.
   */
  async pushFolder(name: string, hostPath: string, containerPath: string, gid: number): Promise<number> {
    this.remoteOnly('pushFolder');
    await this.mustGet(name);
    return pushTree(this.client, this.path(name), hostPath, containerPath, { gid });
  }

  private localOnly(what: string): void {
    if (this.remote)
      throw new Error(`${what} is not available for agents on a remote Incus (${this.socketPath})`);
  }

  private remoteOnly(what: string): void {
    if (!this.remote) throw new Error(`${what} is for a remote Incus only`);
  }

  /** The project bridge's address as egressNetwork last saw it (read once when unknown); null = none. */
  private async bridgeAddress(): Promise<string | null> {
    if (this.hostAddress === undefined) {
      const [networks, profile] = await Promise.all([this.networks(), this.profileDevices('prepareNetwork')]);
      this.hostAddress = bridgeHostAddress(networks, profile, this.opts.env);
    }
    return this.hostAddress;
  }

  private async networks(): Promise<{ name?: string; managed?: boolean; config?: Record<string, string> }[]> {
    return (
      (await this.client.get<{ name?: string; managed?: boolean; config?: Record<string, string> }[] | null>(
        '/1.0/networks?recursion=1',
        'egressNetwork',
      )) ?? []
    );
  }

  /** The devices of the default profile (the NICs agents' devices replace or isolate). */
  private async profileDevices(operation: string): Promise<Record<string, Record<string, string>>> {
    const profile = await this.client.get<{ devices?: Record<string, Record<string, string>> }>(
      '/1.0/profiles/default',
      operation,
    );
    return profile.devices ?? {};
  }

  private path(name: string): string {
    return `/1.0/instances/${encodeURIComponent(name)}`;
  }

  /** The instance (config, devices, status), or null when Incus says 404. */
  private async instance(name: string): Promise<IncusInstance | null> {
    try {
      return await this.client.get<IncusInstance>(this.path(name), 'inspect');
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
  }

  private async mustGet(name: string): Promise<IncusInstance> {
    const inst = await this.instance(name);
    if (!inst) throw new RuntimeNotFoundError('incus', 'container', name);
    return inst;
  }

  private async instances(): Promise<IncusInstance[]> {
    return (await this.client.get<IncusInstance[] | null>('/1.0/instances?recursion=1', 'list')) ?? [];
  }

  private async forceStop(name: string): Promise<void> {
    try {
      await this.client.run(
        'PUT',
        `${this.path(name)}/state`,
        { action: 'stop', force: true },
        'stop',
        FORCE_STOP_DEADLINE_MS,
      );
    } catch (err) {
      // Stopped meanwhile (by its init or someone else): that is what was asked.
      if ((await this.instance(name))?.status !== 'Stopped') throw err;
    }
  }

  private async readConsole(inst: IncusInstance): Promise<void> {
    try {
      await this.consoles.read(inst.name, inst.status === 'Running', inst.last_used_at ?? '');
    } catch (err) {
      if (isNotFound(err)) throw new RuntimeNotFoundError('incus', 'container', inst.name);
      throw err;
    }
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/** Puts the instance body's root disk on storage pool `pool` (the agents' copy-on-write pool). */
function rootOnPool(body: object, pool: string): void {
  (body as { devices: Record<string, Record<string, string>> }).devices.root = {
    type: 'disk',
    path: '/',
    pool,
  };
}
