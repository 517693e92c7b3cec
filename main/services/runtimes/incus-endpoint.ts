// Finds the Incus REST API socket and probes it (server version, storage pool present).
import path from 'node:path';
import type { ComponentHealth } from '../../../contract/health';
import { getJson, ProbeError } from '../../platform/socket-http';

/**
 * The Incus unix socket: `INCUS_SOCKET`, else `$INCUS_DIR/unix.socket`, else /var/lib/incus/unix.socket
 * (Incus docs, "REST API": the local API listens on `$INCUS_DIR/unix.socket`).
 */
export function resolveIncusSocket(env: Readonly<NodeJS.ProcessEnv>): string {
  if (env.INCUS_SOCKET) return env.INCUS_SOCKET;
  return path.join(env.INCUS_DIR ?? '/var/lib/incus', 'unix.socket');
}

interface IncusEnvelope<T> {
  metadata?: T;
}

/**
 * Probes Incus: `GET /1.0` (server info) then `GET /1.0/storage-pools`. Never throws.
 * @param timeoutMs deadline per request in ms.
 * @returns `ok` with the server version; `error` when Incus answers but has no storage pool
 *   (containers cannot be created); `missing` when the socket is absent or refuses.
 */
export async function probeIncus(
  timeoutMs = 1500,
  env: Readonly<NodeJS.ProcessEnv>,
): Promise<ComponentHealth> {
  const socketPath = resolveIncusSocket(env);
  try {
    const info = (await getJson({ socketPath }, '/1.0', timeoutMs)) as IncusEnvelope<{
      environment?: { server_version?: string };
      auth?: string;
    }>;
    if (info.metadata?.auth && info.metadata.auth !== 'trusted') {
      return {
        name: 'incus',
        state: 'error',
        detail: `Incus at ${socketPath} does not trust this user`,
        fix: 'Add yourself to the incus-admin group: `sudo usermod -aG incus-admin $USER`, then log out and in',
      };
    }
    const version = info.metadata?.environment?.server_version ?? '?';
    const pools = (await getJson({ socketPath }, '/1.0/storage-pools', timeoutMs)) as IncusEnvelope<string[]>;
    if (!pools.metadata || pools.metadata.length === 0) {
      return {
        name: 'incus',
        state: 'error',
        detail: `Incus ${version} has no storage pool`,
        fix: 'Initialise Incus: `sudo incus admin init` (or run scripts/bootstrap-linux.sh)',
      };
    }
    return { name: 'incus', state: 'ok', detail: `Incus ${version} at ${socketPath}`, fix: '' };
  } catch (err) {
    const code = err instanceof ProbeError ? err.code : 'ERROR';
    if (code === 'EACCES') {
      return {
        name: 'incus',
        state: 'error',
        detail: `Permission denied on ${socketPath}`,
        fix: 'Add yourself to the incus-admin group: `sudo usermod -aG incus-admin $USER`, then log out and in',
      };
    }
    if (code === 'ENOENT' || code === 'ECONNREFUSED') {
      return {
        name: 'incus',
        state: 'missing',
        detail: `Incus not reachable at ${socketPath}`,
        fix: 'Install Incus and start it: `sudo systemctl start incus` (optional: Docker is enough)',
      };
    }
    return {
      name: 'incus',
      state: 'error',
      detail: `Incus at ${socketPath} did not answer: ${(err as Error).message}`,
      fix: 'Restart Incus (`sudo systemctl restart incus`) and check `journalctl -u incus`',
    };
  }
}
