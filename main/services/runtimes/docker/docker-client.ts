// Builds the one dockerode client of an engine (DOCKER_HOST or the usual sockets, ssh://, tcp+TLS), with its own HTTP agent.
import http from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import { inspect } from 'node:util';
import { createRequire } from 'node:module';
import type Dockerode from 'dockerode';
import { deferModule } from '../../../platform/deferred-module';
import { RuntimeUnavailableError } from '../container-runtime';
import { resolveDockerEndpoint } from '../docker-endpoint';
import type { DemuxModem } from './docker-logs';
import type { SshError } from '../../../platform/ssh';
import { checkDestination, describeDestination, sshStream, type SshSettings } from '../../../platform/ssh';
import type { EngineTarget, SshDestination } from '../engine-target';

/** The Docker engine targets: this machine's, `ssh://user@host`, `tcp://host:port` with TLS. */
export type DockerEngineTarget = Extract<EngineTarget, { kind: 'docker' }>;

/**
 * Modules dockerode and docker-modem require when they load but that Agent Desk never calls:
 * - dockerode's BuildKit session (`withSession`, called only by `buildImage` with `version: '2'`; it loads
 *   @grpc/grpc-js and protobufjs);
 * - docker-modem's `ssh://` agent (ssh2; Agent Desk dials SSH itself, see SshDialAgent).
 * Each is a function module, so it is deferred (deferModule): it loads at its first call, if ever.
 * Loading dockerode then costs about 50 ms less CPU than the 115 ms it takes in full (`node -e`, no compile
 * cache), which lands in the core's start when the first engine call is the reconcile (bench/startup.mjs).
 */
const DEFERRED = ['dockerode/lib/session.js', 'docker-modem/lib/ssh.js'] as const;

/**
 * dockerode, loaded by the first client. The engine probes at start do not need it (probeDocker), nor
 * does the event stream of this machine's engine (openLocalEvents); the first real engine call loads it.
 */
let dockerode: typeof Dockerode | null = null;
const load = (): typeof Dockerode => (dockerode ??= loadDockerode());

function loadDockerode(): typeof Dockerode {
  const req = createRequire(import.meta.url);
  // docker-modem is resolved from dockerode's own folder: the copy dockerode gets, hoisted or not.
  const fromDockerode = createRequire(req.resolve('dockerode'));
  for (const spec of DEFERRED) {
    try {
      deferModule(fromDockerode, fromDockerode.resolve(spec));
    } catch {
      /* a layout this version does not have: it loads in full, which is only slower */
    }
  }
  return req('dockerode') as typeof Dockerode;
}

/**
 * Gives `agent` a one-line `util.inspect`. docker-modem formats the options of every request with
 * `util.inspect(options, { showHidden: true, depth: null })` for a debug line, whether or not debugging is
 * on (docker-modem 5.0.7, lib/modem.js `buildRequest`); the options hold the agent, whose sockets, parsers
 * and queues made that walk cost about 6 ms of CPU per request with 30 in flight (a core restart
 * reconciling 30 agents spent some 600 ms in it). Measured in a CPU profile of `agentdesk serve`.
 * @returns `agent`.
 */
export function shortInspect<T extends http.Agent>(agent: T, label: string): T {
  Object.defineProperty(agent, inspect.custom, { value: () => `[${label}]`, enumerable: false });
  return agent;
}

/** A client and what belongs to it. */
export interface DockerConnection {
  docker: Dockerode;
  /** docker-modem, for demuxing streams. */
  modem: DemuxModem;
  /** The endpoint as shown to the user, e.g. `/var/run/docker.sock` or `tcp://10.0.0.5:2375`. */
  label: string;
  /** Keep-alive agent of every request; `agent.destroy()` closes the idle sockets. */
  agent: http.Agent;
  /** True for an engine on another machine (ssh://, tcp+TLS, a tcp:// DOCKER_HOST): its host is not this one. */
  remote: boolean;
  /**
   * How to send a raw request to the engine on a connection of its own (a health probe must not reuse a
   * pooled one): `request` is `http.request` or `https.request`, and
   * `options` hold the socket path or host and port, the TLS material and the agent; add `path`/`method`.
   */
  raw: { request: typeof http.request; options: https.RequestOptions };
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
    const agent = shortInspect(new http.Agent({ keepAlive: true }), `docker agent ${label}`);
    const options: Dockerode.DockerOptions & { agent: http.Agent } =
      'socketPath' in endpoint
        ? { socketPath: endpoint.socketPath, host: undefined, port: undefined, protocol: 'http', agent }
        : { host: endpoint.host, port: endpoint.port, protocol: 'http', agent };
    const docker = new (load())(options);
    const raw = { request: http.request, options: { ...endpoint, agent } };
    return { docker, modem: docker.modem, label, agent, remote: label.includes('://'), raw };
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

/** How an engine target is shown: `ssh://user@host` (`:port` unless 22), `tcp://host:port`. */
export function targetLabel(target: DockerEngineTarget, env: Readonly<NodeJS.ProcessEnv>): string {
  if (target.transport === 'ssh')
    return `ssh://${target.ssh.user}@${target.ssh.host}${target.ssh.port === 22 ? '' : `:${target.ssh.port}`}`;
  if (target.transport === 'tls') return `tcp://${target.host}:${target.port}`;
  return resolveDockerEndpoint(env).label;
}

/**
 * Creates the client of an engine target. No I/O: the first request connects.
 * - `local`: {@link connectDocker} (DOCKER_HOST or the usual sockets).
 * - `ssh`: every connection is `ssh … docker system dial-stdio` on the destination (the system ssh
 *   client, see main/platform/ssh.ts), as `docker -H ssh://` does; the remote user needs the docker CLI
 *   and access to the engine there. Idle connections are kept (keep-alive) and closed after 30 s.
 * - `tls`: HTTPS to `host:port` with the client certificate; the server's certificate must chain to
 *   `caPem` and name `host` (Node's default identity check), else the call fails.
 * @param ssh how to run ssh (required for `ssh` targets).
 * @throws RuntimeUnavailableError for an unusable DOCKER_HOST (local), an ssh target without `ssh`, or an
 *   ssh destination that could be read as an ssh option (see checkDestination).
 */
export function connectDockerTarget(
  target: DockerEngineTarget,
  env: Readonly<NodeJS.ProcessEnv>,
  ssh: SshSettings | null,
): DockerConnection {
  if (target.transport === 'local') return connectDocker(env);
  const label = targetLabel(target, env);
  if (target.transport === 'ssh') {
    if (!ssh)
      throw new RuntimeUnavailableError(
        'docker',
        `No SSH settings to reach ${label}`,
        'This is a bug: report it',
      );
    try {
      checkDestination(target.ssh);
    } catch (err) {
      throw new RuntimeUnavailableError('docker', (err as SshError).message, (err as SshError).hint);
    }
    const agent = shortInspect(new SshDialAgent(ssh, target.ssh), `docker agent ${label}`);
    const options: Dockerode.DockerOptions & { agent: http.Agent } = {
      host: 'docker',
      port: 80,
      protocol: 'http',
      agent,
    };
    const docker = new (load())(options);
    return {
      docker,
      modem: docker.modem,
      label,
      agent,
      remote: true,
      raw: {
        request: http.request,
        options: {
          host: 'docker',
          port: 80,
          createConnection: () => sshStream(ssh, target.ssh, ['docker', 'system', 'dial-stdio']),
        },
      },
    };
  }
  const agent = shortInspect(
    new https.Agent({ keepAlive: true, maxFreeSockets: 4, timeout: 60_000 }),
    `docker agent ${label}`,
  );
  // The key as a Buffer that inspects as a placeholder: docker-modem writes the inspected request options,
  // TLS material included, to its debug log (DEBUG=modem or DEBUG=*), which would print the key.
  const key = Buffer.from(target.keyPem);
  Object.defineProperty(key, inspect.custom, { value: () => '[TLS client key]', enumerable: false });
  const tls = { ca: target.caPem, cert: target.certPem, key };
  const options: Dockerode.DockerOptions & { agent: http.Agent } = {
    host: target.host,
    port: target.port,
    protocol: 'https',
    ...tls,
    agent,
  };
  const docker = new (load())(options);
  return {
    docker,
    modem: docker.modem,
    label,
    agent,
    remote: true,
    raw: { request: https.request, options: { host: target.host, port: target.port, ...tls, agent: false } },
  };
}

/** Seconds an idle `dial-stdio` connection is kept for the next request. */
const SSH_IDLE_MS = 30_000;

/**
 * An HTTP agent whose connections are `docker system dial-stdio` on an SSH destination: each socket is
 * the stdio of one ssh (sharing the destination's ControlMaster connection).
 */
export class SshDialAgent extends http.Agent {
  constructor(
    private readonly ssh: SshSettings,
    private readonly dest: SshDestination,
  ) {
    super({ keepAlive: true, maxFreeSockets: 2, timeout: SSH_IDLE_MS });
  }

  /** `user@host:port`, for messages. */
  get destination(): string {
    return describeDestination(this.dest);
  }

  override createConnection(): Socket {
    return sshStream(this.ssh, this.dest, ['docker', 'system', 'dial-stdio']) as unknown as Socket;
  }
}
