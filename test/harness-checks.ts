// Test helpers for harnesses in real engines: their processes, what an engine shows of a container, a key-leak scan, outbound connections.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import type { RuntimeKind } from '../main/services/runtimes/container-runtime';
import type { ConnectAttempt } from './connect-trace';

/** Host pids of every process of a running container (Docker `top`; Incus: its memory cgroup's procs). */
export function containerPids(kind: RuntimeKind, name: string): number[] {
  if (kind === 'docker') {
    const out = execFileSync('docker', ['top', name, '-eo', 'pid'], { encoding: 'utf8' });
    return out
      .split('\n')
      .slice(1)
      .map((l) => Number(l.trim()))
      .filter((n) => n > 0);
  }
  for (const file of [
    `/sys/fs/cgroup/pids/lxc.payload.${name}/cgroup.procs`,
    `/sys/fs/cgroup/lxc.payload.${name}/cgroup.procs`,
  ])
    if (fs.existsSync(file))
      return fs
        .readFileSync(file, 'utf8')
        .split('\n')
        .map(Number)
        .filter((n) => n > 0);
  throw new Error(`no cgroup of the Incus container ${name}`);
}

/** What the engine shows of a container's definition (`docker inspect`, `incus config show --expanded`). */
export function inspectText(kind: RuntimeKind, name: string): string {
  return kind === 'docker'
    ? execFileSync('docker', ['inspect', name], { encoding: 'utf8' })
    : execFileSync('incus', ['config', 'show', name, '--expanded'], { encoding: 'utf8' });
}

/**
 * The environment of every process of the running container, one `NAME=value` a line, read on the host
 * (`/proc/<pid>/environ`): inside an Incus container its root cannot read the agent's (non-dumpable,
 * changed credentials) processes.
 */
export function environText(kind: RuntimeKind, name: string): string {
  return containerPids(kind, name)
    .map((pid) => {
      try {
        return fs.readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').join('\n');
      } catch {
        return ''; // gone meanwhile
      }
    })
    .join('\n');
}

/** The pids of `pids` that are alive and not zombies (strace cannot attach to a zombie). */
export function livePids(pids: number[]): number[] {
  return pids.filter((pid) => {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      return !/^\d+ \(.*\) Z /.test(stat);
    } catch {
      return false;
    }
  });
}

/**
 * How many files of the container's whole file system hold `needle` (Docker: `docker export`, every
 * layer's result; Incus: its rootfs on the `dir` pool), or of the host folder `home`.
 */
export function filesHolding(kind: RuntimeKind, name: string, needle: string): number {
  const script =
    kind === 'docker'
      ? `docker export "$N" | tar -xOf - 2>/dev/null | grep -c -a -F "$K"`
      : `grep -r -l -a -F "$K" /var/lib/incus/storage-pools/*/containers/"$N"/rootfs 2>/dev/null | wc -l`;
  const r = spawnSync('sh', ['-c', script], {
    env: { ...process.env, K: needle, N: name },
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  return Number(r.stdout.trim() || '0');
}

/** Files under host folder `dir` whose bytes hold `needle` (grep, not following links). */
export function hostFilesHolding(dir: string, needle: string): string[] {
  const r = spawnSync('grep', ['-r', '-l', '-a', '-F', needle, dir], { encoding: 'utf8' });
  return r.stdout.split('\n').filter(Boolean);
}

/** INET connect() attempts, as `address:port`, for failure messages. */
export function describeConnects(attempts: ConnectAttempt[]): string[] {
  return attempts
    .filter((a) => a.family === 'AF_INET' || a.family === 'AF_INET6')
    .map((a) => `${a.address}:${a.port ?? ''}`);
}
