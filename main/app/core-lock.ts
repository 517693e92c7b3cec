// One core per data dir: an exclusive lock file holding the owner's pid, replaced when its owner is gone.
import fs from 'node:fs';
import path from 'node:path';
import { processAlive } from '../platform/locks';

/** Thrown when another live core (or this process) already holds the data dir. */
export class CoreLockedError extends Error {
  constructor(
    readonly home: string,
    readonly pid: number,
  ) {
    super(
      `Another Agent Desk core (pid ${pid}) is already using ${home}. Stop it first, or use another data dir with --home.`,
    );
    this.name = 'CoreLockedError';
  }
}

/**
 * Takes `<home>/core.lock` (created with O_EXCL, mode 0600, holding this pid). A lock left by a
 * process that no longer exists (crash, kill -9) is replaced.
 * @returns the release function (removes the file if it is still ours).
 * @throws CoreLockedError when a live process holds the lock (including this one).
 */
export function acquireCoreLock(home: string): () => void {
  const file = path.join(home, 'core.lock');
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = fs.openSync(file, 'wx', 0o600);
      fs.writeSync(fd, String(process.pid));
      fs.closeSync(fd);
      return () => {
        try {
          if (fs.readFileSync(file, 'utf8').trim() === String(process.pid)) fs.rmSync(file, { force: true });
        } catch {
          /* already gone */
        }
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = Number(fs.readFileSync(file, 'utf8').trim());
      if (Number.isInteger(owner) && owner > 0 && processAlive(owner)) throw new CoreLockedError(home, owner);
      fs.rmSync(file, { force: true });
    }
  }
  throw new Error(`Could not take the lock ${file}: it keeps reappearing`);
}
