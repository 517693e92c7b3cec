// A port inside a container reached from a private unix socket here: each connection runs one fixed byte-pipe program through the engine's exec (Docker's or Incus's).
import fs from 'node:fs';
import type net from 'node:net';
import { ensurePrivateFolder } from '../../platform/private-folder';

/** The longest unix socket path Linux takes (sun_path is 108 bytes with its NUL). */
export const MAX_SOCKET_PATH = 107;

/**
 * The program each connection runs in the container (`node -e`): connects to `127.0.0.1:<port>` and
 * copies stdin to it and its answer to stdout until either side closes. Only the port varies, and it is
 * an integer the core chose, given as the program's own argument; nothing the agent wrote is read (no
 * file, no module lookup, no env).
 */
export const PIPE_PROGRAM = [
  "'use strict';",
  "const s = require('node:net').connect(Number(process.argv[1]), '127.0.0.1');",
  'process.stdin.pipe(s);',
  's.pipe(process.stdout);',
  "s.on('error', () => { process.exitCode = 1; process.stdin.destroy(); });",
  "s.on('close', () => process.stdin.destroy());",
].join('\n');

/**
 * The exec's whole command for `port`: `node`, the fixed {@link PIPE_PROGRAM}, the port.
 * @param node the node binary (default: the absolute one on the agent image's read-only root).
 * @throws Error when `port` is not an integer from 1 to 65535.
 */
export function pipeCommand(port: number, node = '/usr/local/bin/node'): string[] {
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new Error(`port ${port} is not valid: use 1–65535`);
  return [node, '-e', PIPE_PROGRAM, String(port)];
}

/**
 * Makes `server` listen on the unix socket `socketPath` (mode 0600) in the folder `dir`, which is made 0700 and
 * checked to be this user's, not a link and closed to others (`ensurePrivateFolder`). A stale socket at
 * the path (left by a killed core) is removed first; anything else there is refused.
 * @param risk what others could do through a folder open to them, for the message.
 * @throws NotPrivateError for a folder not private; Error when the path holds a non-socket or listen fails.
 */
export async function listenPrivateSocket(
  dir: string,
  socketPath: string,
  risk: string,
  server: net.Server,
): Promise<void> {
  ensurePrivateFolder(dir, risk);
  try {
    const st = fs.lstatSync(socketPath);
    if (!st.isSocket()) throw new Error(`${socketPath} exists and is not a socket: remove it`);
    fs.unlinkSync(socketPath);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => {
      server.off('error', reject);
      resolve();
    });
  });
  fs.chmodSync(socketPath, 0o600);
}
