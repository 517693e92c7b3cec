// Builds the one dockerode client of an endpoint (DOCKER_HOST or the usual sockets), with its own HTTP agent.
import http from 'node:http';
import { createRequire } from 'node:module';
import type Dockerode from 'dockerode';
import { RuntimeUnavailableError } from '../container-runtime';
import { resolveDockerEndpoint } from '../docker-endpoint';
import type { DemuxModem } from './docker-logs';

/**
 * dockerode, loaded by the first client: with its BuildKit (gRPC, protobuf) and SSH dependencies it costs
 * about 150 ms of the core's start when imported eagerly (bench/startup.mjs). The engine probes at start
 * do not need it (probeDocker); the first real engine call loads it.
 */
let dockerode: typeof Dockerode | null = null;
const load = (): typeof Dockerode =>
  (dockerode ??= createRequire(import.meta.url)('dockerode') as typeof Dockerode);

/** A client and what belongs to it. */
export interface DockerConnection {
  docker: Dockerode;
  /** docker-modem, for demuxing streams. */
  modem: DemuxModem;
  /** The endpoint as shown to the user, e.g. `/var/run/docker.sock` or `tcp://10.0.0.5:2375`. */
  label: string;
  /** Keep-alive agent of every request; `agent.destroy()` closes the idle sockets. */
  agent: http.Agent;
}

/**
 * Creates the client for the endpoint `env` names (see resolveDockerEndpoint). No I/O: the first
 * request connects. Every field docker-modem would otherwise read from `process.env` is given
 * explicitly, so `env` alone decides the endpoint; `agent` is passed through to `http.request`.
 * @throws RuntimeUnavailableError for a DOCKER_HOST that is neither unix:// nor tcp://.
 */
export function connectDocker(env: Readonly<NodeJS.ProcessEnv>): DockerConnection {
  try {
    const { endpoint, label } = resolveDockerEndpoint(env);
    const agent = new http.Agent({ keepAlive: true });
    const options: Dockerode.DockerOptions & { agent: http.Agent } =
      'socketPath' in endpoint
        ? { socketPath: endpoint.socketPath, host: undefined, port: undefined, protocol: 'http', agent }
        : { host: endpoint.host, port: endpoint.port, protocol: 'http', agent };
    const docker = new (load())(options);
    return { docker, modem: docker.modem, label, agent };
  } catch (err) {
    throw new RuntimeUnavailableError(
      'docker',
      (err as Error).message,
      'Unset DOCKER_HOST, or set it to unix:///path/to/docker.sock or tcp://host:port',
    );
  }
}

/**
 * A Docker client for the endpoint `env` names, made on first use ({@link connectDocker}), so nothing
 * connects (or fails on a bad DOCKER_HOST) until something needs Docker.
 */
export class LazyDockerConnection {
  private conn: DockerConnection | null = null;

  constructor(private readonly env: Readonly<NodeJS.ProcessEnv>) {}

  /** The client, made now when it is the first use. @throws RuntimeUnavailableError (see {@link connectDocker}). */
  get docker(): Dockerode {
    this.conn ??= connectDocker(this.env);
    return this.conn.docker;
  }

  /** Closes the idle sockets of a client made so far; no-op when none was made. */
  close(): void {
    this.conn?.agent.destroy();
  }
}
