// A Docker engine on another machine (ssh:// or tcp+TLS) as agents use it: host folders as volumes, the
// gateway over TLS through the relay on an internal network, the runtime through an exec byte pipe.
import type { RemoteGatewayAddress } from '../engine-target';
import type { ContainerSpec, ContainerInfo, RuntimeEndpoint } from '../container-runtime';
import { RuntimeOperationError } from '../container-runtime';
import { DockerRuntime } from '../docker/docker-runtime';
import type { DockerRuntimeOptions } from '../docker/docker-runtime';
import { ensureGatewayRelay, REMOTE_AGENT_NETWORK } from './gateway-relay';
import type { RelayUpstream } from './gateway-relay';
import { RuntimeForwarder } from './runtime-forwarder';

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
      this.gatewayAddress = address;
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
    return super.create({ ...spec, egress: undefined });
  }

  /** The runtime socket of a running container (see RuntimeForwarder), else null. */
  override async endpoint(name: string, containerPort: number): Promise<RuntimeEndpoint | null> {
    const info = await this.inspect(name);
    if (!info || info.state !== 'running') return null;
    this.forwarder ??= new RuntimeForwarder({ docker: this.connection().docker, dir: this.o.socketDir });
    return this.forwarder.open(name, containerPort);
  }

  /** Also closes the runtime sockets and the gateway link (the SSH tunnel). */
  override async close(): Promise<void> {
    await this.forwarder?.closeAll();
    this.forwarder = null;
    await this.o.link.close();
    await super.close();
  }
}
