// Finds the Docker Engine API endpoint (DOCKER_HOST or the usual sockets) and probes it.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ComponentHealth } from '../../../contract/health';
import { getJson, ProbeError } from '../../platform/socket-http';
import type { Endpoint } from '../../platform/socket-http';

/** A resolved Docker endpoint and how to name it to the user. */
export interface DockerEndpoint {
  endpoint: Endpoint;
  /** e.g. `/var/run/docker.sock` or `tcp://10.0.0.5:2375`. */
  label: string;
}

/**
 * Resolves the Docker endpoint: `DOCKER_HOST` (`unix://PATH` or `tcp://HOST:PORT`, as the Docker CLI
 * reads it) when set; otherwise the first existing socket of /var/run/docker.sock, Docker Desktop's
 * ~/.docker/run/docker.sock, rootless `$XDG_RUNTIME_DIR/docker.sock`, Podman's
 * `$XDG_RUNTIME_DIR/podman/podman.sock`; otherwise /var/run/docker.sock.
 * @throws Error for a DOCKER_HOST scheme other than unix:// or tcp:// (the message lists both).
 */
export function resolveDockerEndpoint(env: Readonly<NodeJS.ProcessEnv>): DockerEndpoint {
  const host = env.DOCKER_HOST;
  if (host) {
    if (host.startsWith('unix://')) return { endpoint: { socketPath: host.slice(7) }, label: host.slice(7) };
    if (host.startsWith('tcp://')) {
      const u = new URL(`http://${host.slice(6)}`);
      return { endpoint: { host: u.hostname, port: Number(u.port || 2375) }, label: host };
    }
    throw new Error(
      `DOCKER_HOST="${host}" is not supported: use unix:///path/to/docker.sock or tcp://host:port`,
    );
  }
  const runtime = env.XDG_RUNTIME_DIR;
  const candidates = [
    '/var/run/docker.sock',
    path.join(os.homedir(), '.docker', 'run', 'docker.sock'),
    ...(runtime ? [path.join(runtime, 'docker.sock'), path.join(runtime, 'podman', 'podman.sock')] : []),
  ];
  const found = candidates.find((p) => fs.existsSync(p)) ?? '/var/run/docker.sock';
  return { endpoint: { socketPath: found }, label: found };
}

/**
 * Probes Docker: `GET /version` (Docker Engine API). Never throws.
 * @param timeoutMs deadline for the request in ms.
 * @returns `ok` with the engine version, or `missing`/`error` with a one-line fix.
 */
export async function probeDocker(
  timeoutMs = 1500,
  env: Readonly<NodeJS.ProcessEnv>,
): Promise<ComponentHealth> {
  let target: DockerEndpoint;
  try {
    target = resolveDockerEndpoint(env);
  } catch (err) {
    return {
      name: 'docker',
      state: 'error',
      detail: (err as Error).message,
      fix: 'Unset DOCKER_HOST or give it a unix:// or tcp:// address',
    };
  }
  try {
    const v = (await getJson(target.endpoint, '/version', timeoutMs)) as {
      Version?: string;
      ApiVersion?: string;
      Components?: { Name?: string }[];
    };
    const engine = v.Components?.[0]?.Name?.includes('Podman') ? 'Podman' : 'Docker';
    return {
      name: 'docker',
      state: 'ok',
      detail: `${engine} ${v.Version ?? '?'} (API ${v.ApiVersion ?? '?'}) at ${target.label}`,
      fix: '',
    };
  } catch (err) {
    const code = err instanceof ProbeError ? err.code : 'ERROR';
    if (code === 'EACCES') {
      return {
        name: 'docker',
        state: 'error',
        detail: `Permission denied on ${target.label}`,
        fix: 'Add yourself to the docker group: `sudo usermod -aG docker $USER`, then log out and in',
      };
    }
    if (code === 'ENOENT' || code === 'ECONNREFUSED') {
      return {
        name: 'docker',
        state: 'missing',
        detail: `Docker not reachable at ${target.label}`,
        fix: 'Start Docker Desktop, or `sudo systemctl start docker`',
      };
    }
    return {
      name: 'docker',
      state: 'error',
      detail: `Docker at ${target.label} did not answer: ${(err as Error).message}`,
      fix: 'Restart Docker (`sudo systemctl restart docker`) and check its log',
    };
  }
}
