// Finds a TCP port that is free right now on a given address (the OS picks it: listen on port 0).
import net from 'node:net';

/**
 * Asks the OS for a free TCP port on `host` by listening on port 0 and closing again.
 * The port can be taken by someone else before the caller binds it; callers must handle a failed bind
 * (the supervisor does: a child that cannot bind exits, and the next start picks another port).
 * @returns the port number (1024–65535).
 * @throws Error when nothing can listen on `host` (e.g. the address does not exist here).
 */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen({ port: 0, host, exclusive: true }, () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => (port ? resolve(port) : reject(new Error(`No free port on ${host}`))));
    });
  });
}
