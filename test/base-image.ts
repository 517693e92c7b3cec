// Integration-test helper: makes sure agentdesk/agent-base:2 is in the given runtimes, built once for all vitest workers.
import os from 'node:os';
import path from 'node:path';
import { withDirLock } from '../main/platform/locks';
import { ImageService } from '../main/services/images/base-image';
import type { ContainerRuntime, RuntimeKind } from '../main/services/runtimes/container-runtime';
import { DockerRuntime } from '../main/services/runtimes/docker/docker-runtime';
import { IncusRuntime } from '../main/services/runtimes/incus/incus-runtime';
import { Runtimes } from '../main/services/runtimes/runtimes';

/** How often a waiting worker looks at the lock (ms). */
const POLL_MS = 500;
/** How long a worker waits for another one's build (ms): a first build takes minutes. */
const LOCK_WAIT_MS = 40 * 60_000;

/**
 * The shared build cache: `AGENTDESK_IMAGE_CACHE`, else `~/.cache/agentdesk/images`. Kept between
 * runs, so only the first run on a machine pays for debootstrap.
 */
export function imageCacheDir(): string {
  return process.env.AGENTDESK_IMAGE_CACHE ?? path.join(os.homedir(), '.cache', 'agentdesk', 'images');
}

/** The recipe folder of this checkout (`scripts/images`). */
export function imageScriptsDir(): string {
  return path.resolve(__dirname, '..', 'scripts', 'images');
}

/** Holds `<cacheDir>/.ensure.lock` while `work` runs (see withDirLock). @throws when held for {@link LOCK_WAIT_MS}. */
function withLock<T>(cacheDir: string, work: () => Promise<T>): Promise<T> {
  const lock = path.join(cacheDir, '.ensure.lock');
  return withDirLock(lock, work, {
    waitMs: LOCK_WAIT_MS,
    pollMs: POLL_MS,
    timeout: (pid) => new Error(`${lock} is still held by pid ${pid} after ${LOCK_WAIT_MS / 60_000} min`),
  });
}

/** A fresh driver for `kind` (closed by the caller). */
export function runtimeFor(kind: RuntimeKind): ContainerRuntime {
  return kind === 'docker' ? new DockerRuntime({ env: process.env }) : new IncusRuntime({ env: process.env });
}

/**
 * Makes sure `agentdesk/agent-base:2` exists in every runtime of `kinds`, safely from several vitest
 * worker processes at once: under a cross-process lock, it builds the rootfs into the shared cache
 * once (root + debootstrap, minutes the first time; reused afterwards) and imports it where missing.
 * @throws whatever the build or import throws (ImageError with a hint, runtime errors).
 */
export async function ensureBaseImage(kinds: RuntimeKind[]): Promise<void> {
  const cacheDir = imageCacheDir();
  const runtimes: Partial<Record<RuntimeKind, ContainerRuntime>> = {};
  for (const kind of kinds) runtimes[kind] = runtimeFor(kind);
  const service = new ImageService({
    runtimes: new Runtimes(runtimes),
    env: process.env,
    scriptsDir: imageScriptsDir(),
    cacheDir,
    log: { debug: () => {}, info: () => {}, warn: console.warn, error: console.error },
  });
  try {
    const missing = async (): Promise<RuntimeKind[]> => {
      const present = await Promise.all(kinds.map(async (k) => (await service.status(k)).present));
      return kinds.filter((_, i) => !present[i]);
    };
    if ((await missing()).length === 0) return;
    await withLock(cacheDir, async () => {
      const todo = await missing(); // another worker may have imported it while we waited
      if (todo.length) await service.build(todo);
    });
  } finally {
    await Promise.allSettled(Object.values(runtimes).map((r) => r.close()));
  }
}
