// Incus remotes over HTTPS as named engines: the runtime (its gateway path prepared lazily) and the trust-token enrolment.
import dns from 'node:dns/promises';
import net from 'node:net';
import path from 'node:path';
import type { IncusEnrol } from '../services/engines/engine-service';
import type { ContainerSpec, HostServiceAddress } from '../services/runtimes/container-runtime';
import type { EngineRecord } from '../services/runtimes/engine-target';
import { addIncusRemote } from '../services/runtimes/incus/incus-remote';
import { BASE_IMAGE_REF } from '../services/images/base-image';
import { IncusRuntime } from '../services/runtimes/incus/incus-runtime';
import { localAddressTowards } from '../services/runtimes/remote/local-address';
import type { RemoteEngineDeps } from './remote-engines';
import { ensureGatewayTls } from './remote-gateway';

/** The folder of a remote engine's exec-tunnel sockets: `<home>/rt/<engine id>` (short: unix socket paths are limited). */
export function incusSocketDir(home: string, engineId: string): string {
  return path.join(home, 'rt', engineId);
}

/** The folder of this core's Incus client certificate: `<home>/incus-client` (0700, key 0600). */
export function incusCertFolder(home: string): string {
  return path.join(home, 'incus-client');
}

/**
 * The remote IncusRuntime of a named engine: before the first network preparation, create, start or
 * gateway address, the gateway's TLS listener is made to listen on the local address that routes to
 * the remote's host, and agents' proxy devices connect there, listening inside on the TLS port (the
 * listener accepts only `Host: agentdesk-gateway:<its port>`).
 */
class IncusRemoteRuntime extends IncusRuntime {
  private gatewayReady: Promise<void> | null = null;

  constructor(
    private readonly engine: EngineRecord & { target: { kind: 'incus'; transport: 'https' } },
    private readonly deps: RemoteEngineDeps,
  ) {
    super({
      env: deps.app.env,
      log: deps.log.child({ engine: engine.id }),
      remote: {
        target: engine.target,
        socketDir: incusSocketDir(deps.home, engine.id),
        egress: { image: BASE_IMAGE_REF, instanceId: deps.instanceId },
      },
    });
  }

  /** Prepares the gateway's TLS path once (again after a failure). @throws Error naming why it cannot listen. */
  ensureGateway(): Promise<void> {
    this.gatewayReady ??= this.prepareGateway().catch((err: unknown) => {
      this.gatewayReady = null;
      throw err;
    });
    return this.gatewayReady;
  }

  private async prepareGateway(): Promise<void> {
    const host = new URL(this.engine.target.url).hostname.replace(/^\[|\]$/g, '');
    const ip = net.isIP(host) ? host : (await dns.lookup(host)).address;
    const address = await localAddressTowards(ip);
    const remote = await ensureGatewayTls(this.deps, address);
    this.setGateway({
      connectHost: address,
      connectPort: remote.port,
      listenPort: remote.port,
      caPem: remote.caPem,
    });
  }

  override async prepareNetwork(opts: { egress?: boolean } = {}): Promise<{ gatewayBind: string | null }> {
    await this.ensureGateway();
    return super.prepareNetwork(opts);
  }

  override async hostServiceAddress(
    hostPort: number,
    opts: { egress?: boolean } = {},
  ): Promise<HostServiceAddress> {
    await this.ensureGateway();
    return super.hostServiceAddress(hostPort, opts);
  }

  override async create(spec: ContainerSpec, opts: { member?: string | null } = {}) {
    await this.ensureGateway();
    return super.create(spec, opts);
  }

  override async start(name: string): Promise<void> {
    await this.ensureGateway();
    return super.start(name);
  }
}

/**
 * The runtime of an Incus remote (constructs only: no I/O until first used). Its exec-tunnel sockets
 * are in {@link incusSocketDir}; its agents reach the gateway's TLS listener (see {@link ensureGatewayTls}).
 * @throws Error when the engine is not an Incus remote over HTTPS.
 */
export function makeIncusRemoteRuntime(engine: EngineRecord, deps: RemoteEngineDeps): IncusRuntime {
  const t = engine.target;
  if (t.kind !== 'incus' || t.transport !== 'https')
    throw new Error(`${t.kind} over ${t.transport} is not an Incus remote`);
  return new IncusRemoteRuntime({ ...engine, target: t }, deps);
}

/**
 * The enrolment of Incus remotes by trust token for a core whose data dir is `home`: this core's client
 * certificate in {@link incusCertFolder} (made once), trusted by the remote (`incus remote add` semantics).
 */
export function incusEnrolFor(home: string): IncusEnrol {
  return async ({ url, token }) => {
    const t = await addIncusRemote({ url, token, certFolder: incusCertFolder(home) });
    return { serverCertPem: t.serverCertPem, clientCertPem: t.clientCertPem, clientKeyPem: t.clientKeyPem };
  };
}
