// A Docker engine on another machine (ssh:// or tcp+TLS) as agents use it: host folders as volumes, the
// gateway over TLS through the relay on an internal network, the runtime through an exec byte pipe.
import type { RemoteGatewayAddress } from '../engine-target';
import dns from 'node:dns';
import type { ContainerSpec, ContainerInfo, RemoteEgressAgent, RuntimeEndpoint } from '../container-runtime';
import { RuntimeOperationError } from '../container-runtime';
import { DockerRuntime } from '../docker/docker-runtime';
import type { DockerRuntimeOptions } from '../docker/docker-runtime';
import { ensureGatewayRelay, removeGatewayRelay, REMOTE_AGENT_NETWORK } from './gateway-relay';
import type { RelayUpstream } from './gateway-relay';
import { RuntimeForwarder } from './runtime-forwarder';
import { egressTable } from '../../egress/remote/egress-proxy-table';
import {
  egressOwnSubnets,
  egressProxyEnv,
  ensureEgressProxy,
  removeEgressProxy,
  followEgressRefusals,
  writeEgressTable,
} from './egress-proxy-container';

/**
 * How agents of one remote engine reach the gateway: `prepare()` makes the gateway's TLS listener reachable
 * from that engine (tcp+TLS: bound on the local address towards it; ssh://: bound on 127.0.0.1 and an SSH
 * reverse tunnel to a socket on the engine host) and answers where the relay sends bytes and what agents
 * call. Called before each preparation of the agents' network; idempotent.
 */
export interface RemoteGatewayLink {
  prepare(): Promise<{ upstream: RelayUpstream; address: RemoteGatewayAddress }>;
  /** Ends what prepare() started (the tunnel). */
  close(): Promise<void>;
}

/** Options of {@link RemoteDockerRuntime}. */
export interface RemoteDockerRuntimeOptions extends Omit<
  DockerRuntimeOptions,
  'hostFolders' | 'networkName'
> {
  link: RemoteGatewayLink;
  /** Folder of the runtime sockets (0700, short: each socket path must fit in 107 bytes). */
  socketDir: string;
  /** The relay's image (the agent base image, with /usr/local/bin/node), sent by `ensureImage` when missing. */
  relayImage: string;
  /** Makes sure an image of this machine is on the engine (sent from the local engine). */
  ensureImage: (ref: string) => Promise<void>;
  instanceId: string;
  /** The engine host's name or address as the core dials it (tcp+TLS host, SSH host): refused by the egress proxy. */
  engineHost?: string;
}

/**
 * The driver of a remote Docker engine for agents. Beside {@link DockerRuntime}'s remote transport:
 * - agents join the internal network `agentdesk-remote` (no route anywhere; docs/decisions/019), where
 *   the relay `agentdesk-gateway` is their only peer that leads out, to the gateway's TLS listener;
 * - their host folders are volumes filled over the archive API (home once, config at every start);
 * - {@link hostServiceAddress} is the gateway's TLS name, port and certificate (never plain HTTP);
 * - {@link endpoint} is a unix socket on this machine whose connections run a byte pipe inside the
 *   container to its runtime's loopback port (runtime-forwarder.ts).
 */
export class RemoteDockerRuntime extends DockerRuntime {
  private readonly o: RemoteDockerRuntimeOptions;
  private forwarder: RuntimeForwarder | null = null;
  private gatewayAddress: RemoteGatewayAddress | null = null;
  private readying: Promise<RemoteGatewayAddress> | null = null;
  /** The relay's upstream host (tcp+TLS: this machine's address towards the engine), refused by the egress proxy. */
  private upstreamHost: string | null = null;
  private readonly egressListeners = new Set<(line: string) => void>();
  private stopFollowing: (() => void) | null = null;
  /** Epoch seconds from which the proxy's output is read next (the last line seen, or the first follow). */
  private followSince = Math.floor(Date.now() / 1000);
  /** The engine's timestamp (RFC 3339, nanoseconds) of the last line passed on. */
  private lastStamp = '';
  private followBackoffMs = 1000;
  private closed = false;
  private applying: Promise<void> = Promise.resolve();

  constructor(o: RemoteDockerRuntimeOptions) {
    super({ ...o, hostFolders: 'volumes', networkName: REMOTE_AGENT_NETWORK });
    this.o = o;
  }

  /**
   * The gateway's TLS path and the relay on the engine (the relay's image sent first when missing).
   * One at a time; later calls check again (a relay removed by hand comes back).
   * @returns `gatewayBind: null`: the plain gateway listens on no address for these agents.
   */
  override async prepareNetwork(): Promise<{ gatewayBind: string | null }> {
    this.readying ??= (async () => {
      const { upstream, address } = await this.o.link.prepare();
      await this.o.ensureImage(this.o.relayImage);
      await this.call('prepareNetwork', (d) =>
        ensureGatewayRelay(d, {
          port: address.port,
          upstream,
          image: this.o.relayImage,
          instanceId: this.o.instanceId,
        }),
      );
      await this.call('prepareNetwork', (d) =>
        ensureEgressProxy(d, { image: this.o.relayImage, instanceId: this.o.instanceId }),
      );
      this.upstreamHost = upstream.kind === 'tcp' ? upstream.host : null;
      this.gatewayAddress = address;
      void this.follow();
      return address;
    })().finally(() => (this.readying = null));
    await this.readying;
    return { gatewayBind: null };
  }

  /** The gateway as agents here call it: `https://agentdesk-gateway:<TLS port>`, its certificate pinned. */
  override async hostServiceAddress(): Promise<RemoteGatewayAddress> {
    return this.gatewayAddress ?? (await this.prepareNetwork(), this.gatewayAddress!);
  }

  /** Creates the container on the internal network (prepared first). Ports are never published. */
  override async create(spec: ContainerSpec): Promise<ContainerInfo> {
    if (spec.ports.length)
      throw new RuntimeOperationError(
        'docker',
        'create',
        'a remote engine publishes no ports: the core reaches the runtime through the engine',
      );
    // Every agent here gets the proxy settings, whatever its mode: `agents.policy` can open egress live,
    // and the proxy refuses (and traces) what `none` does not allow.
    return super.create({ ...spec, env: { ...spec.env, ...egressProxyEnv() }, egress: undefined });
  }

  /**
   * Gives the engine's egress proxy the policies of this core's agents there (egress-proxy-table.ts):
   * the agents' network and the engine's own networks read from the engine, the engine host's addresses
   * (its name as dialled, resolved here, and this machine's address towards it). Prepares the network
   * first (the proxy made when missing). One at a time, in call order.
   */
  async applyRemoteEgress(agents: RemoteEgressAgent[]): Promise<void> {
    const run = this.applying.then(async () => {
      await this.prepareNetwork();
      const subnets = await this.call('applyRemoteEgress', (d) => egressOwnSubnets(d));
      const agentSubnet = subnets[REMOTE_AGENT_NETWORK]?.[0];
      const hosts = await this.engineHostAddresses();
      const [network = '', bits = '32'] = agentSubnet?.split('/') ?? [];
      const table = egressTable({
        agentNetwork: agentSubnet ? { name: REMOTE_AGENT_NETWORK, network, prefix: Number(bits) } : null,
        networks: Object.values(subnets).flat(),
        hosts,
        agents,
      });
      await this.call('applyRemoteEgress', (d) => writeEgressTable(d, table));
    });
    this.applying = run.catch(() => undefined);
    return run;
  }

  /** See ContainerRuntime.followRemoteEgress: lines of the proxy's output, from its next follow on. */
  followRemoteEgress(onLine: (line: string) => void): () => void {
    this.egressListeners.add(onLine);
    void this.follow();
    return () => this.egressListeners.delete(onLine);
  }

  /**
   * Follows the proxy's output when someone listens and it is not followed yet. When the stream ends (the
   * proxy restarted, the engine away) or cannot start, it is tried again after 1 s, doubling up to 30 s,
   * until the runtime closes; lines already seen (by their engine timestamp) are not passed on twice.
   */
  private async follow(): Promise<void> {
    if (this.stopFollowing || this.closed || this.egressListeners.size === 0 || !this.gatewayAddress) return;
    this.stopFollowing = () => undefined;
    const again = () => {
      this.stopFollowing = null;
      if (this.closed) return;
      const t = setTimeout(() => void this.follow(), this.followBackoffMs);
      t.unref();
      this.followBackoffMs = Math.min(this.followBackoffMs * 2, 30_000);
    };
    try {
      this.stopFollowing = await followEgressRefusals(
        this.connection().docker,
        this.followSince,
        (stamp, line) => {
          if (stamp <= this.lastStamp) return;
          this.lastStamp = stamp;
          this.followSince = Math.floor(Date.parse(stamp) / 1000) || this.followSince;
          this.followBackoffMs = 1000;
          for (const l of this.egressListeners) l(line);
        },
        again,
      );
    } catch {
      again();
    }
  }

  /** IPv4 addresses of the engine host the core knows: its dialled name resolved here, and the relay's upstream host. */
  private async engineHostAddresses(): Promise<string[]> {
    const out = new Set<string>();
    if (this.upstreamHost) out.add(this.upstreamHost);
    if (this.o.engineHost)
      for (const a of await dns.promises
        .lookup(this.o.engineHost, { family: 4, all: true })
        .catch(() => [] as dns.LookupAddress[]))
        out.add(a.address);
    return [...out];
  }

  /** The runtime socket of a running container (see RuntimeForwarder), else null. */
  override async endpoint(name: string, containerPort: number): Promise<RuntimeEndpoint | null> {
    const info = await this.inspect(name);
    if (!info || info.state !== 'running') return null;
    this.forwarder ??= new RuntimeForwarder({ docker: this.connection().docker, dir: this.o.socketDir });
    return this.forwarder.open(name, containerPort);
  }

  /** Removes the egress proxy (its volume and network), then the relay and the agents' networks. */
  async teardown(): Promise<string[]> {
    this.stopFollowing?.();
    this.stopFollowing = null;
    const kept = await this.call('teardown', (d) => removeEgressProxy(d));
    return [...kept, ...(await this.call('teardown', (d) => removeGatewayRelay(d)))];
  }

  /** Also closes the runtime sockets and the gateway link (the SSH tunnel). */
  override async close(): Promise<void> {
    this.closed = true;
    this.stopFollowing?.();
    this.stopFollowing = null;
    this.egressListeners.clear();
    await this.forwarder?.closeAll();
    this.forwarder = null;
    await this.o.link.close();
    await super.close();
  }
}
