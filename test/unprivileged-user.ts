// A throw-away unprivileged user for tests of a core that is not root: created with useradd (optionally in the docker group), removed after.
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** A user made by {@link createTestUser}. */
export interface TestUser {
  name: string;
  uid: number;
  gid: number;
  /** Its home folder (0700, its own). */
  home: string;
  /** Makes `dir` (and missing parents under it) the user's, mode 0700. */
  own(dir: string): void;
  /** The command line that runs `argv` as this user with its groups (`setpriv --init-groups`). */
  wrap(argv: string[]): string[];
  /** Removes the user and its home (the processes it still runs, all started by the test, are killed by pid first). */
  remove(): void;
}

/** True when this process can create users (root with useradd and setpriv). */
export function canCreateUsers(): boolean {
  if (process.getuid?.() !== 0) return false;
  try {
    execFileSync('sh', ['-c', 'command -v useradd && command -v userdel && command -v setpriv'], {
      stdio: 'ignore',
    });
    return true;
  } catch {
    return false;
  }
}

/**
 * Creates user `adegu<hex>` (own group, no login shell) in `groups` (e.g. `['docker']`), with a home
 * folder under the temp dir. Needs root. @throws when useradd fails.
 */
export function createTestUser(groups: string[] = []): TestUser {
  const name = `adegu${crypto.randomBytes(4).toString('hex')}`;
  const home = fs.mkdtempSync(path.join(os.tmpdir(), `${name}-`));
  const args = ['--no-create-home', '--home-dir', home, '--shell', '/usr/sbin/nologin', '--user-group'];
  if (groups.length) args.push('--groups', groups.join(','));
  execFileSync('useradd', [...args, name]);
  const uid = Number(execFileSync('id', ['-u', name], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', name], { encoding: 'utf8' }).trim());
  const own = (dir: string) => {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    fs.chownSync(dir, uid, gid);
    fs.chmodSync(dir, 0o700);
  };
  own(home);
  return {
    name,
    uid,
    gid,
    home,
    own,
    wrap: (argv) => ['setpriv', `--reuid=${uid}`, `--regid=${gid}`, '--init-groups', '--', ...argv],
    remove: () => {
      for (const pid of processesOf(uid)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* gone meanwhile */
        }
      }
      try {
        execFileSync('userdel', [name], { stdio: 'ignore' });
      } catch {
        /* already gone */
      }
      fs.rmSync(home, { recursive: true, force: true });
    },
  };
}

/** Pids of the processes running as `uid` (Linux /proc). */
export function processesOf(uid: number): number[] {
  const pids: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const status = fs.readFileSync(`/proc/${entry}/status`, 'utf8');
      if (new RegExp(`^Uid:\\s+${uid}\\s`, 'm').test(status)) pids.push(Number(entry));
    } catch {
      /* exited */
    }
  }
  return pids;
}
