// Core → a port inside a container on a remote Incus: a local unix socket whose connections are exec websockets of a tiny Node byte pipe.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import WebSocket from 'ws';
import { RuntimeOperationError } from '../container-runtime';
import type { IncusClient, IncusOperation } from './incus-client';
import { listenPrivateSocket, MAX_SOCKET_PATH, pipeCommand } from '../exec-pipe';

/** PATH of the exec (Incus gives none when the request has no environment). */
const EXEC_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/**
 * Opens one byte stream to `127.0.0.1:<port>` inside the running container `name`:
 * `POST /1.0/instances/<name>/exec` of the fixed byte pipe (`pipeCommand`: `node` found on the exec's
 * PATH; non-interactive, `wait-for-websocket`), then
 * the operation's websockets `0` (stdin), `1` (stdout), `2` (stderr, drained) and `control`, over the
 * client's transport (for a remote: TLS pinned to its certificate).
 * @returns a socket-like pair: `write` sends to the port, `onData` receives, `end` closes stdin.
 * @throws RuntimeOperationError when Incus refuses the exec (container not running, no `node` inside).
 */
export async function openExecPipe(
  client: IncusClient,
  name: string,
  port: number,
): Promise<{ stdin: WebSocket; stdout: WebSocket; close: () => void }> {
  const id = await client.start(
    'POST',
    `/1.0/instances/${encodeURIComponent(name)}/exec`,
    {
      command: pipeCommand(port, 'node'),
      environment: { PATH: EXEC_PATH },
      'wait-for-websocket': true,
      interactive: false,
      'record-output': false,
    },
    'tunnel',
  );
  const op = await client.get<IncusOperation>(`/1.0/operations/${encodeURIComponent(id)}`, 'tunnel');
  const fds = (op.metadata?.fds ?? {}) as Record<string, string>;
  if (!fds['0'] || !fds['1'] || !fds['2'] || !fds.control)
    throw new RuntimeOperationError('incus', 'tunnel', 'the exec offered no websockets');
  const open = (fd: string): Promise<WebSocket> =>
    new Promise((resolve, reject) => {
      const ws = client.websocket(
        `/1.0/operations/${encodeURIComponent(id)}/websocket?secret=${encodeURIComponent(fds[fd]!)}`,
      );
      ws.once('open', () => resolve(ws));
      ws.once('error', (err) => reject(new RuntimeOperationError('incus', 'tunnel', err.message)));
    });
  const [stdin, stdout, stderr, control] = await Promise.all(['0', '1', '2', 'control'].map(open));
  const all = [stdin!, stdout!, stderr!, control!];
  for (const ws of all) ws.on('error', () => undefined);
  stderr!.on('message', () => undefined);
  return {
    stdin: stdin!,
    stdout: stdout!,
    close: () => {
      for (const ws of all)
        if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) ws.close();
    },
  };
}

/**
 * Local unix sockets (0600, in a 0700 folder) standing for ports inside containers of a remote Incus:
 * each accepted connection gets its own {@link openExecPipe}, bytes copied both ways until either side
 * closes. Nothing listens on a network address.
 */
export class ExecTunnels {
  private readonly servers = new Map<string, { server: net.Server; sockets: Set<net.Socket> }>();

  /**
   * @param socketDir the folder of the sockets (made 0700; refused when not this user's or open to others).
   */
  constructor(
    private readonly client: IncusClient,
    private readonly socketDir: string,
  ) {}

  /**
   * The socket path for `port` inside container `name`, listening from now on (idempotent).
   * @throws Error when the path would be longer than a unix socket path may be, or holds a non-socket;
   *   NotPrivateError when the folder is not private.
   */
  async socketFor(name: string, port: number): Promise<string> {
    const socketPath = path.join(this.socketDir, `${name}-${port}.sock`);
    if (this.servers.has(socketPath)) return socketPath;
    if (Buffer.byteLength(socketPath) > MAX_SOCKET_PATH)
      throw new Error(
        `tunnel socket path ${socketPath} is longer than ${MAX_SOCKET_PATH} bytes: use a shorter data folder`,
      );
    const sockets = new Set<net.Socket>();
    const server = net.createServer((sock) => {
      sockets.add(sock);
      sock.once('close', () => sockets.delete(sock));
      this.pipe(sock, name, port);
    });
    this.servers.set(socketPath, { server, sockets });
    await listenPrivateSocket(this.socketDir, socketPath, "reach agents' ports through it", server);
    return socketPath;
  }

  /** Stops the sockets of container `name` (all ports), closing their connections. */
  close(name?: string): void {
    for (const [socketPath, { server, sockets }] of this.servers) {
      if (name !== undefined && !path.basename(socketPath).startsWith(`${name}-`)) continue;
      server.close();
      for (const s of sockets) s.destroy();
      this.servers.delete(socketPath);
      fs.rmSync(socketPath, { force: true });
    }
  }

  private pipe(sock: net.Socket, name: string, port: number): void {
    sock.pause();
    openExecPipe(this.client, name, port).then(
      ({ stdin, stdout, close }) => {
        if (sock.destroyed) return close();
        stdout.on('message', (data: WebSocket.RawData) => {
          const buf = Buffer.isBuffer(data) ? data : Buffer.from(data as ArrayBuffer);
          if (buf.length > 0) sock.write(buf);
        });
        stdout.once('close', () => {
          sock.end();
          close();
        });
        sock.on('data', (d: Buffer) => stdin.send(d));
        sock.once('end', () => stdin.close());
        sock.once('close', close);
        sock.resume();
      },
      () => sock.destroy(),
    );
  }
}
