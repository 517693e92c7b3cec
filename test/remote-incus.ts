// Test host: a private incusd in its own network namespace, serving its API over HTTPS on a veth address (an Incus remote on this machine).
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** The daemon binary of Debian's incus package. */
const INCUSD = '/usr/libexec/incus/incusd';
/** Every name this fixture makes starts with these (swept at setup when a killed run left them). */
const NETNS_PREFIX = 'adt-rinc-';
const DIR_PREFIX = '/var/lib/agentdesk-test-rincus-';
const VETH_PREFIX = 'arh';
/** Port of the remote's HTTPS API (Incus's default). */
export const REMOTE_INCUS_PORT = 8443;

/** A private incusd reached over HTTPS at `url`, as a remote server would be. */
export interface RemoteIncus {
  /** e.g. `https://10.234.17.2:8443` (the namespace's end of the veth). */
  url: string;
  /** This machine's end of the veth, e.g. `10.234.17.1`: the core's address as the remote sees it. */
  hostAddress: string;
  /** The remote's INCUS_DIR. */
  dir: string;
  /** The network namespace incusd runs in. */
  netns: string;
  /** Runs the incus CLI against this daemon over its unix socket; returns stdout. @throws Error */
  incus(...args: string[]): string;
  /** A fresh trust token (`incus config trust add <name>`), base64 text. */
  trustToken(name: string): string;
  /** Deletes its instances, stops it, deletes its folder, namespace and veth. */
  remove(): Promise<void>;
}

/** True when this fixture can run: root, Debian's incusd, `ip netns`. */
export function canRunRemoteIncus(): boolean {
  if (process.getuid?.() !== 0 || !fs.existsSync(INCUSD)) return false;
  return spawnSync('ip', ['netns', 'list'], { stdio: 'ignore' }).status === 0;
}

/** `10.234.<n>` for an `<n>` no host interface uses. */
function freeSubnet(): string {
  const used = Object.values(os.networkInterfaces())
    .flat()
    .map((a) => a?.address ?? '');
  for (let i = 0; i < 50; i++) {
    const n = crypto.randomInt(0, 256);
    if (!used.some((a) => a.startsWith(`10.234.${n}.`))) return `10.234.${n}`;
  }
  throw new Error('no free /30 in 10.234.0.0/16 for the remote Incus veth');
}

function sh(cmd: string, ...args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

function quiet(cmd: string, ...args: string[]): void {
  spawnSync(cmd, args, { stdio: 'ignore' });
}

/**
 * Removes what killed runs left: every `adt-rinc-*` namespace (its processes killed), `arh*` veth and
 * `/var/lib/agentdesk-test-rincus-*` folder (mounts under it unmounted first). Instances of a daemon
 * that still runs are deleted through it first.
 */
export function sweepRemoteIncus(): void {
  const namespaces = sh('ip', 'netns', 'list')
    .split('\n')
    .map((l) => l.split(' ')[0] ?? '')
    .filter((n) => n.startsWith(NETNS_PREFIX));
  for (const dir of fs.readdirSync('/var/lib').filter((d) => `/var/lib/${d}`.startsWith(DIR_PREFIX))) {
    const varDir = `/var/lib/${dir}/var`;
    if (fs.existsSync(path.join(varDir, 'unix.socket'))) deleteInstances(varDir);
  }
  for (const ns of namespaces) {
    const pids = spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' })
      .stdout.split('\n')
      .filter(Boolean);
    for (const pid of pids) quiet('kill', '-KILL', pid);
    quiet('ip', 'netns', 'del', ns);
  }
  for (const link of sh('ip', '-o', 'link', 'show').split('\n')) {
    const name = /^\d+:\s+([^@:]+)/.exec(link)?.[1] ?? '';
    if (name.startsWith(VETH_PREFIX) && /^arh[0-9a-f]{6}$/.test(name)) quiet('ip', 'link', 'del', name);
  }
  for (const dir of fs.readdirSync('/var/lib').filter((d) => `/var/lib/${d}`.startsWith(DIR_PREFIX))) {
    unmountUnder(`/var/lib/${dir}`);
    fs.rmSync(`/var/lib/${dir}`, { recursive: true, force: true });
  }
}

function deleteInstances(varDir: string): void {
  const env = { ...process.env, INCUS_DIR: varDir };
  const run = (...args: string[]): string =>
    execFileSync('incus', args, {
      encoding: 'utf8',
      env,
      timeout: 60_000,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
  try {
    for (const project of run('project', 'list', '-f', 'csv', '-c', 'n').split('\n').filter(Boolean)) {
      const p = project.replace(/ \(current\)$/, '');
      for (const n of run('list', '--project', p, '-f', 'csv', '-c', 'n').split('\n').filter(Boolean))
        run('delete', '-f', '--project', p, n);
    }
  } catch {
    // The daemon is gone or wedged: its namespace's processes are killed next.
  }
}

/**
 * Starts `incusd --group root` in a new network namespace with `INCUS_DIR=/var/lib/agentdesk-test-rincus-<random>/var`,
 * joined to this machine by a veth pair (`10.234.<n>.1` here, `.2` there), `core.https_address` on
 * the namespace's end, a `dir` storage pool as the default profile's root disk, and no network (the
 * runtime gives remote agents their devices). Leftovers of killed runs are swept first.
 * @throws Error with the daemon's log when it does not answer within 30 s.
 */
export async function startRemoteIncus(): Promise<RemoteIncus> {
  sweepRemoteIncus();
  const tag = crypto.randomBytes(3).toString('hex');
  const netns = `${NETNS_PREFIX}${tag}`;
  const root = `${DIR_PREFIX}${tag}`;
  const dir = path.join(root, 'var');
  const net = freeSubnet();
  const hostAddress = `${net}.1`;
  const remoteAddress = `${net}.2`;
  const hostVeth = `${VETH_PREFIX}${tag}`;
  // Search (x) access for everyone: unprivileged containers' root (an unmapped uid) must traverse it.
  fs.mkdirSync(dir, { recursive: true, mode: 0o711 });
  fs.chmodSync(root, 0o711);
  sh('ip', 'netns', 'add', netns);
  sh('ip', 'link', 'add', hostVeth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', netns);
  sh('ip', 'addr', 'add', `${hostAddress}/30`, 'dev', hostVeth);
  sh('ip', 'link', 'set', hostVeth, 'up');
  sh('ip', '-n', netns, 'addr', 'add', `${remoteAddress}/30`, 'dev', 'eth0');
  sh('ip', '-n', netns, 'link', 'set', 'eth0', 'up');
  sh('ip', '-n', netns, 'link', 'set', 'lo', 'up');
  const env = { ...process.env, INCUS_DIR: dir };
  const incus = (...args: string[]): string =>
    execFileSync('incus', args, {
      encoding: 'utf8',
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 120_000,
    }).trim();
  const logFile = path.join(root, 'incusd.log');
  let child: ChildProcess | null = null;
  const stop = async (): Promise<void> => {
    const c = child;
    child = null;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise<void>((r) => c.once('exit', () => r()));
    c.kill('SIGTERM');
    const timer = setTimeout(() => c.kill('SIGKILL'), 30_000);
    await exited;
    clearTimeout(timer);
  };
  const remove = async (): Promise<void> => {
    try {
      if (child) deleteInstances(dir);
    } finally {
      await stop();
      const pids = spawnSync('ip', ['netns', 'pids', netns], { encoding: 'utf8' })
        .stdout.split('\n')
        .filter(Boolean);
      for (const pid of pids) quiet('kill', '-KILL', pid);
      quiet('ip', 'netns', 'del', netns);
      quiet('ip', 'link', 'del', hostVeth);
      unmountUnder(root);
      fs.rmSync(root, { recursive: true, force: true });
    }
  };
  try {
    // `ip netns exec` gives the daemon the namespace's own /sys (Incus reads its interfaces there), which
    // hides the cgroup hierarchies mounted under /sys/fs/cgroup: they are bound back from a copy made here.
    const cgroups = path.join(root, 'cgroup');
    fs.mkdirSync(cgroups);
    sh('mount', '--rbind', '/sys/fs/cgroup', cgroups);
    const log = fs.openSync(logFile, 'a');
    child = spawn(
      'ip',
      [
        'netns',
        'exec',
        netns,
        'sh',
        '-c',
        'mount --rbind "$1" /sys/fs/cgroup && exec "$2" --group root',
        'sh',
        cgroups,
        INCUSD,
      ],
      { env, stdio: ['ignore', log, log] },
    );
    fs.closeSync(log);
    const t0 = Date.now();
    for (;;) {
      if (spawnSync('incus', ['query', '/1.0'], { env, stdio: 'ignore', timeout: 5000 }).status === 0) break;
      if (child.exitCode !== null || Date.now() - t0 > 30_000)
        throw new Error(`the remote incusd did not start:\n${fs.readFileSync(logFile, 'utf8').slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    incus('config', 'set', 'core.https_address', `${remoteAddress}:${REMOTE_INCUS_PORT}`);
    incus('storage', 'create', 'default', 'dir');
    incus('profile', 'device', 'add', 'default', 'root', 'disk', 'path=/', 'pool=default');
  } catch (err) {
    await remove();
    throw err;
  }
  return {
    url: `https://${remoteAddress}:${REMOTE_INCUS_PORT}`,
    hostAddress,
    dir,
    netns,
    incus,
    trustToken: (name) => {
      const lines = incus('config', 'trust', 'add', name).split('\n').filter(Boolean);
      return lines[lines.length - 1]!.trim();
    },
    remove,
  };
}

/** Unmounts (lazily) whatever is still mounted under `root`, deepest first. */
function unmountUnder(root: string): void {
  const mounts = fs
    .readFileSync('/proc/mounts', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[1] ?? '')
    .filter((m) => m === root || m.startsWith(`${root}/`))
    .sort((a, b) => b.length - a.length);
  for (const m of mounts) spawnSync('umount', ['-l', m]);
}
