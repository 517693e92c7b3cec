// The core reaches a remote agent's runtime through a unix socket here whose connections run, through the Docker engine API, a fixed byte pipe inside the container.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import type Dockerode from 'dockerode';
import type { RuntimeEndpoint } from '../container-runtime';
import { listenPrivateSocket, MAX_SOCKET_PATH, pipeCommand } from '../exec-pipe';

export { PIPE_PROGRAM, pipeCommand } from '../exec-pipe';

/** Options of {@link RuntimeForwarder}. */
export interface RuntimeForwarderOptions {
  /** The engine's client (any transport: local socket, ssh dial-stdio, TLS). */
  docker: Dockerode;
  /** The folder of the sockets, `<dataDir>/run/remote-<engine>`: made 0700, checked to be this user's and 0700 at each open. */
  dir: string;
  /** Connections one socket holds at once (default 32); more are closed at once. */
  maxConnections?: number;
  log?: { warn(obj: object, msg: string): void };
}

interface Listener {
  server: net.Server;
  socketPath: string;
  sockets: Set<net.Socket>;
}

/**
 * One unix socket per remote agent (`<dir>/<container>.sock`, mode 0600 in a 0700 folder). Each
 * connection to it starts an exec in the container ({@link pipeCommand}, as uid 65534, working dir `/`,
 * `NODE_OPTIONS` emptied), attached with a hijacked stream: the connection's bytes go to the exec's
 * stdin raw, its stdout comes back demuxed (stderr dropped). Either side closing closes the other.
 * No port is published and nothing listens on the network on either host. `endpoint()` of a remote
 * agent returns {@link open}'s `{kind: 'unix', socketPath}`, so runtimeFetch and the chat relay work
 * unchanged.
 */
export class RuntimeForwarder {
  private readonly listeners = new Map<string, Listener>();

  constructor(private readonly o: RuntimeForwarderOptions) {}

  /** The socket path of `container`. @throws Error when it would be longer than Linux allows. */
  socketPath(container: string): string {
    if (!/^[a-z0-9][a-z0-9_.-]{0,62}$/.test(container))
      throw new Error(`container name ${JSON.stringify(container)} is not valid`);
    const p = path.join(this.o.dir, `${container}.sock`);
    if (Buffer.byteLength(p) > MAX_SOCKET_PATH)
      throw new Error(
        `The socket path ${p} is longer than ${MAX_SOCKET_PATH} bytes: use a shorter data dir (--home).`,
      );
    return p;
  }

  /**
   * Listens for `container`'s runtime on `port` (idempotent: the same socket while open). A stale file
   * at the path (a socket left by a killed core) is removed first; anything else there is refused.
   * @throws Error when the folder is not this user's with mode 0700, the path holds a non-socket, or
   *   listen fails.
   */
  async open(container: string, port: number): Promise<RuntimeEndpoint> {
    pipeCommand(port);
    const socketPath = this.socketPath(container);
    const have = this.listeners.get(container);
    if (have) return { kind: 'unix', socketPath: have.socketPath };
    const sockets = new Set<net.Socket>();
    const server = net.createServer((c) => this.connection(container, port, c, sockets));
    server.maxConnections = this.o.maxConnections ?? 32;
    await listenPrivateSocket(this.o.dir, socketPath, "reach agents' runtimes through it", server);
    this.listeners.set(container, { server, socketPath, sockets });
    return { kind: 'unix', socketPath };
  }

  /** Stops listening for `container` and closes its connections (their execs end with their stdin). No-op when not open. */
  async close(container: string): Promise<void> {
    const l = this.listeners.get(container);
    if (!l) return;
    this.listeners.delete(container);
    for (const s of l.sockets) s.destroy();
    await new Promise<void>((r) => l.server.close(() => r()));
    fs.rmSync(l.socketPath, { force: true });
  }

  /** Closes every socket. */
  async closeAll(): Promise<void> {
    await Promise.all([...this.listeners.keys()].map((c) => this.close(c)));
  }

  private connection(container: string, port: number, c: net.Socket, sockets: Set<net.Socket>): void {
    sockets.add(c);
    c.on('close', () => sockets.delete(c));
    c.on('error', () => undefined);
    c.pause();
    void this.pipe(container, port, c).catch((err: Error) => {
      this.o.log?.warn({ container, err: err.message }, 'runtime forwarder could not reach the container');
      c.destroy();
    });
  }

  private async pipe(container: string, port: number, c: net.Socket): Promise<void> {
    const exec = await this.o.docker.getContainer(container).exec({
      Cmd: pipeCommand(port),
      User: '65534:65534',
      WorkingDir: '/',
      Env: ['NODE_OPTIONS=', 'NODE_PATH='],
      AttachStdin: true,
      AttachStdout: true,
      AttachStderr: true,
      Tty: false,
    });
    const stream = await exec.start({ hijack: true, stdin: true });
    if (c.destroyed) {
      stream.destroy();
      return;
    }
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    stderr.resume();
    this.o.docker.modem.demuxStream(stream, stdout, stderr);
    stdout.pipe(c);
    stream.on('end', () => {
      stdout.end();
      stderr.end();
    });
    stream.on('error', () => c.destroy());
    stream.on('close', () => {
      if (!stdout.writableEnded) stdout.end();
    });
    c.on('data', (d: Buffer) => {
      if (!stream.write(d)) {
        c.pause();
        stream.once('drain', () => c.resume());
      }
    });
    // Our end done: close the exec's stdin (half-close); the pipe inside then ends its connection.
    c.on('end', () => stream.end());
    c.on('close', () => stream.destroy());
    c.resume();
  }
}
