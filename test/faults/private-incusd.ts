// Test helper: a private incusd (own INCUS_DIR, `dir` pool, its own bridge) that a test may stop and start.
import { execFileSync, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { daemon } from './daemon';

/** The daemon binary of Debian's incus package (from bookworm-backports). */
const INCUSD = '/usr/libexec/incus/incusd';

/** An incusd this test started; the system one is never touched. */
export interface PrivateIncusd {
  /** Its INCUS_DIR (the API socket is `<dir>/unix.socket`). */
  dir: string;
  /** Runs the incus CLI against this daemon; returns stdout. @throws Error from execFileSync. */
  incus(...args: string[]): string;
  /** Copies an image of the system daemon into this one, under the same alias (export, then import). */
  copyImage(alias: string): void;
  /** Starts the daemon again on the same folder (after {@link stop}); resolves once it answers. */
  start(): Promise<void>;
  /** SIGTERM and wait for the exit; Incus leaves its instances running (they are reattached at start). */
  stop(): Promise<void>;
  /** Deletes its instances, stops it and deletes its folder. */
  remove(): Promise<void>;
}

/** `10.232.<n>.1/24` for a `<n>` no host interface uses. */
function freeSubnet(): string {
  const used = new Set(
    Object.values(os.networkInterfaces())
      .flat()
      .map((a) => a?.address ?? ''),
  );
  for (let i = 0; i < 50; i++) {
    const n = crypto.randomInt(0, 256);
    if (![...used].some((a) => a.startsWith(`10.232.${n}.`))) return `10.232.${n}.1/24`;
  }
  throw new Error('no free /24 in 10.232.0.0/16 for the private Incus bridge');
}

/** True when incusd can be run here (root, Debian's incus package). */
export function canRunIncusd(): boolean {
  return fs.existsSync(INCUSD) && process.getuid?.() === 0;
}

/**
 * Starts `incusd --group root` with `INCUS_DIR=/var/lib/agentdesk-test-incus-<random>/var` and gives it
 * a `dir` storage pool and a NIC on its own bridge (a free 10.232.x.0/24, no NAT, no firewall rules)
 * in the default profile.
 * @throws Error with the daemon's log when it does not answer within 30 s.
 */
export async function startPrivateIncusd(): Promise<PrivateIncusd> {
  const root = `/var/lib/agentdesk-test-incus-${crypto.randomBytes(4).toString('hex')}`;
  const dir = path.join(root, 'var');
  // Search (x) access for everyone: unprivileged containers' root (an unmapped uid) must traverse it.
  fs.mkdirSync(dir, { recursive: true, mode: 0o711 });
  const logFile = path.join(root, 'incusd.log');
  const env = { ...process.env, INCUS_DIR: dir };
  const incus = (...args: string[]) =>
    execFileSync('incus', args, {
      encoding: 'utf8',
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 120_000,
    }).trim();
  const answers = () => {
    try {
      incus('query', '/1.0');
      return true;
    } catch {
      return false;
    }
  };
  const { start, stop, running } = daemon({
    label: 'private incusd',
    command: INCUSD,
    args: ['--group', 'root'],
    env,
    logFile,
    answers,
  });
  await start();
  incus('storage', 'create', 'default', 'dir');
  incus('profile', 'device', 'add', 'default', 'root', 'disk', 'path=/', 'pool=default');
  // A bridge with an explicit, unused subnet (`incus admin init --minimal` finds none on our machines), no
  // NAT or firewall rules: instances need a NIC for their loopback to be up, where the host → runtime
  // proxy device connects.
  const bridge = `adt${crypto.randomBytes(3).toString('hex')}`;
  incus(
    'network',
    'create',
    bridge,
    `ipv4.address=${freeSubnet()}`,
    'ipv4.nat=false',
    'ipv4.firewall=false',
    'ipv6.address=none',
  );
  incus('profile', 'device', 'add', 'default', 'eth0', 'nic', `network=${bridge}`, 'name=eth0');
  return {
    dir,
    incus,
    copyImage: (alias) => {
      const tmp = path.join(root, 'image');
      fs.mkdirSync(tmp, { recursive: true });
      const sys = { ...process.env };
      delete sys.INCUS_DIR;
      execFileSync('incus', ['image', 'export', alias, path.join(tmp, 'image')], {
        env: sys,
        stdio: 'ignore',
      });
      const files = fs
        .readdirSync(tmp)
        .map((f) => path.join(tmp, f))
        .sort(); // image (metadata), image.root
      incus('image', 'import', ...files, '--alias', alias);
      fs.rmSync(tmp, { recursive: true, force: true });
    },
    start,
    stop,
    remove: async () => {
      try {
        if (!running()) await start();
        for (const name of incus('list', '-f', 'csv', '-c', 'n').split('\n').filter(Boolean))
          incus('delete', '-f', name);
        incus('profile', 'device', 'remove', 'default', 'eth0');
        incus('network', 'delete', bridge); // its bridge would outlive the daemon on the host
        // The core may have made a copy-on-write pool (a loop-mounted btrfs file): delete it and its images.
        for (const fp of incus('image', 'list', '-f', 'csv', '-c', 'f').split('\n').filter(Boolean))
          incus('image', 'delete', fp);
        for (const pool of incus('storage', 'list', '-f', 'csv', '-c', 'n').split('\n').filter(Boolean))
          if (pool !== 'default') incus('storage', 'delete', pool);
      } finally {
        await stop();
        unmountUnder(root);
        fs.rmSync(root, { recursive: true, force: true });
      }
    },
  };
}

/** Unmounts (lazily) whatever is still mounted under `root`, deepest first: a daemon stopped mid-way leaves its pools mounted. */
function unmountUnder(root: string): void {
  const mounts = fs
    .readFileSync('/proc/mounts', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[1] ?? '')
    .filter((m) => m === root || m.startsWith(`${root}/`))
    .sort((a, b) => b.length - a.length);
  for (const m of mounts) spawnSync('umount', ['-l', m]);
}
