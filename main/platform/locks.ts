// Process liveness and a cross-process directory lock (atomic mkdir + owner pid), shared by image builds and tests.
import fs from 'node:fs';
import path from 'node:path';

/** True when process `pid` exists (signal 0 probes without sending anything; EPERM = exists, not ours). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Runs `work` holding the directory lock `lockDir` (mkdir is atomic across processes) with an `owner`
 * file naming this pid; removes it afterwards. A lock whose owner process is gone, or that has had no
 * owner for 10 s (its creator died between mkdir and write), is stale and taken over.
 * @param opts.waitMs how long to wait for another holder (ms); `pollMs` between looks (default 500).
 * @throws the error made by `opts.timeout(pid)` when the lock stays held for `waitMs`.
 */
export async function withDirLock<T>(
  lockDir: string,
  work: () => Promise<T>,
  opts: { waitMs: number; pollMs?: number; timeout: (pid: number) => Error },
): Promise<T> {
  fs.mkdirSync(path.dirname(lockDir), { recursive: true });
  const owner = path.join(lockDir, 'owner');
  const deadline = Date.now() + opts.waitMs;
  for (;;) {
    try {
      fs.mkdirSync(lockDir);
      fs.writeFileSync(owner, String(process.pid));
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    let pid = NaN;
    try {
      pid = Number(fs.readFileSync(owner, 'utf8'));
    } catch {
      /* the owner file is not written yet, or the lock was just released */
    }
    const age = Date.now() - (fs.statSync(lockDir, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
    if ((Number.isInteger(pid) && pid > 0 && !processAlive(pid)) || (Number.isNaN(pid) && age > 10_000)) {
      fs.rmSync(lockDir, { recursive: true, force: true });
      continue;
    }
    if (Date.now() > deadline) throw opts.timeout(pid);
    await new Promise((r) => setTimeout(r, opts.pollMs ?? 500));
  }
  try {
    return await work();
  } finally {
    fs.rmSync(lockDir, { recursive: true, force: true });
  }
}
