// Test host: a private incusd in its own network namespace, serving its API over HTTPS on a veth address (an Incus remote on this machine).
import { execFileSync, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { daemon } from './faults/daemon';
import { holdTestLock } from './fixture-dirs';

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
  /** Freezes the first member's incusd (SIGSTOP): connections hang as to a host gone; its containers run on. */
  pause(): void;
  /** Lets a paused incusd run again (SIGCONT). */
  resume(): void;
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
  for (const ns of namespaces) deleteNetns(ns);
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

/** One incusd in its own network namespace (a member of the remote). */
interface Member {
  name: string;
  netns: string;
  root: string;
  dir: string;
  address: string;
  incus: (...args: string[]) => string;
  /** Runs the incus CLI with `input` on stdin. */
  incusInput: (input: string, ...args: string[]) => string;
  stop: () => Promise<void>;
  running: () => boolean;
  /** Sends a signal to the daemon (`ip netns exec` and `sh` exec it: the child's pid is incusd's). */
  signal: (sig: NodeJS.Signals) => void;
}

function incusCli(dir: string): Member['incusInput'] {
  const env = { ...process.env, INCUS_DIR: dir };
  return (input, ...args) =>
    execFileSync('incus', args, {
      encoding: 'utf8',
      env,
      input,
      stdio: ['pipe', 'pipe', 'pipe'],
      timeout: 120_000,
    }).trim();
}

/** Kills every process in the network namespace `ns`, then deletes it (quietly: it may be gone). */
function deleteNetns(ns: string): void {
  const pids = spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' })
    .stdout.split('\n')
    .filter(Boolean);
  for (const pid of pids) quiet('kill', '-KILL', pid);
  quiet('ip', 'netns', 'del', ns);
}

/**
 * Starts `incusd --group root` in `netns` with `INCUS_DIR=<root>/var`. `ip netns exec` gives it the
 * namespace's own /sys (Incus reads its interfaces there), which hides the cgroup hierarchies mounted
 * under /sys/fs/cgroup: they are bound back from a recursive bind made under `root` first.
 */
async function startMember(name: string, netns: string, root: string, address: string): Promise<Member> {
  const dir = path.join(root, 'var');
  // Search (x) access for everyone: unprivileged containers' root (an unmapped uid) must traverse it.
  fs.mkdirSync(dir, { recursive: true, mode: 0o711 });
  fs.chmodSync(root, 0o711);
  const cgroups = path.join(root, 'cgroup');
  fs.mkdirSync(cgroups);
  sh('mount', '--rbind', '/sys/fs/cgroup', cgroups);
  const env = { ...process.env, INCUS_DIR: dir };
  const logFile = path.join(root, 'incusd.log');
  const incusd = daemon({
    label: `remote incusd ${name}`,
    command: 'ip',
    args: [
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
    env,
    logFile,
    answers: () =>
      spawnSync('incus', ['query', '/1.0'], { env, stdio: 'ignore', timeout: 5000 }).status === 0,
  });
  await incusd.start().catch(async (err: unknown) => {
    await incusd.stop();
    throw err;
  });
  const incusInput = incusCli(dir);
  return {
    name,
    netns,
    root,
    dir,
    address,
    incus: (...args) => incusInput('', ...args),
    incusInput,
    stop: incusd.stop,
    running: incusd.running,
    signal: incusd.signal,
  };
}

/**
 * Starts an Incus remote on this machine: `members` incusd (1, or 2 for a cluster `m1` + `m2`), each
 * in its own network namespace, all on one bridge inside a further namespace (no firewall of this
 * machine in between), which this machine joins by a veth (`10.234.<n>.1`; members `.2`, `.3`).
 * `core.https_address` is each member's address; a `dir` storage pool is the default profile's root
 * disk; there is no Incus network (the runtime gives remote agents their devices) unless `egressNetwork`:
 * then a managed bridge `adt-egress` (NAT, `10.235.<n>.1/24`) is the default profile's `eth0` and the
 * member routes through this machine (for the egress proxy's way out). A cluster is made
 * as `incus cluster enable m1`, then `m2` joins with a join token (`incus admin init --preseed`).
 * Holds a lock for its whole life (released by `remove`): one remote at a time on this machine, since the
 * sweep of leftovers that comes first removes every namespace of this fixture.
 * @throws Error with the daemon's log when one does not answer within 30 s.
 */
export async function startRemoteIncus(
  opts: { members?: 1 | 2; egressNetwork?: boolean } = {},
): Promise<RemoteIncus> {
  // One remote at a time on this machine: the sweep below removes every namespace of this fixture.
  const release = await holdTestLock(path.join(os.tmpdir(), 'agentdesk-test-remote-incus.lock'));
  try {
    return await startHeld(opts, release);
  } catch (err) {
    release();
    throw err;
  }
}

async function startHeld(
  opts: { members?: 1 | 2; egressNetwork?: boolean },
  release: () => void,
): Promise<RemoteIncus> {
  sweepRemoteIncus();
  const count = opts.members ?? 1;
  const tag = crypto.randomBytes(3).toString('hex');
  const sw = `${NETNS_PREFIX}${tag}s`;
  const net = freeSubnet();
  const hostAddress = `${net}.1`;
  const hostVeth = `${VETH_PREFIX}${tag}`;
  const members: Member[] = [];
  const namespaces = [sw];
  const remove = async (): Promise<void> => {
    try {
      if (members[0]?.running()) deleteInstances(members[0].dir);
    } finally {
      for (const m of [...members].reverse()) await m.stop();
      for (const ns of namespaces) deleteNetns(ns);
      quiet('ip', 'link', 'del', hostVeth);
      for (let i = 1; i <= count; i++) {
        const root = `${DIR_PREFIX}${tag}${i}`;
        unmountUnder(root);
        fs.rmSync(root, { recursive: true, force: true });
      }
    }
  };
  try {
    sh('ip', 'netns', 'add', sw);
    sh('ip', '-n', sw, 'link', 'add', 'br0', 'type', 'bridge');
    sh('ip', '-n', sw, 'link', 'set', 'br0', 'up');
    sh('ip', 'link', 'add', hostVeth, 'type', 'veth', 'peer', 'name', 'host', 'netns', sw);
    sh('ip', '-n', sw, 'link', 'set', 'host', 'master', 'br0', 'up');
    sh('ip', 'addr', 'add', `${hostAddress}/24`, 'dev', hostVeth);
    sh('ip', 'link', 'set', hostVeth, 'up');
    for (let i = 1; i <= count; i++) {
      const ns = `${NETNS_PREFIX}${tag}${i}`;
      namespaces.push(ns);
      const address = `${net}.${i + 1}`;
      sh('ip', 'netns', 'add', ns);
      sh('ip', '-n', ns, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', `m${i}`, 'netns', sw);
      sh('ip', '-n', sw, 'link', 'set', `m${i}`, 'master', 'br0', 'up');
      sh('ip', '-n', ns, 'addr', 'add', `${address}/24`, 'dev', 'eth0');
      sh('ip', '-n', ns, 'link', 'set', 'eth0', 'up');
      sh('ip', '-n', ns, 'link', 'set', 'lo', 'up');
      members.push(await startMember(`m${i}`, ns, `${DIR_PREFIX}${tag}${i}`, address));
    }
    const first = members[0]!;
    first.incus('config', 'set', 'core.https_address', `${first.address}:${REMOTE_INCUS_PORT}`);
    first.incus('storage', 'create', 'default', 'dir');
    first.incus('profile', 'device', 'add', 'default', 'root', 'disk', 'path=/', 'pool=default');
    if (opts.egressNetwork) {
      // A way out for the egress proxy: a managed bridge (NAT) on the default profile, the member's
      // default route through this machine's end of the veth.
      sh('ip', '-n', first.netns, 'route', 'add', 'default', 'via', hostAddress);
      first.incus(
        'network',
        'create',
        'adt-egress',
        `ipv4.address=${net.replace(/^10\.234\./, '10.235.')}.1/24`,
        'ipv4.nat=true',
        'ipv6.address=none',
      );
      first.incus('profile', 'device', 'add', 'default', 'eth0', 'nic', 'network=adt-egress', 'name=eth0');
    }
    if (count === 2) {
      first.incus('cluster', 'enable', 'm1');
      const second = members[1]!;
      const lines = first.incus('cluster', 'add', 'm2').split('\n').filter(Boolean);
      const preseed = [
        'cluster:',
        '  enabled: true',
        '  server_name: m2',
        `  server_address: ${second.address}:${REMOTE_INCUS_PORT}`,
        `  cluster_token: ${lines[lines.length - 1]!.trim()}`,
        '  member_config:',
        '  - entity: storage-pool',
        '    name: default',
        '    key: source',
        '    value: ""',
        '',
      ].join('\n');
      second.incusInput(preseed, 'admin', 'init', '--preseed');
    }
  } catch (err) {
    await remove();
    throw err;
  }
  const first = members[0]!;
  return {
    url: `https://${first.address}:${REMOTE_INCUS_PORT}`,
    hostAddress,
    dir: first.dir,
    netns: first.netns,
    incus: first.incus,
    trustToken: (name) => {
      const lines = first.incus('config', 'trust', 'add', name).split('\n').filter(Boolean);
      return lines[lines.length - 1]!.trim();
    },
    pause: () => first.signal('SIGSTOP'),
    resume: () => first.signal('SIGCONT'),
    remove: async () => {
      first.signal('SIGCONT');
      try {
        await remove();
      } finally {
        release();
      }
    },
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

/** `GET urlPath` over the unix socket `socketPath` (a tunnel to a port in a container); the body, or undefined on error. */
export function httpOverSocket(socketPath: string, urlPath: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const req = http.get({ socketPath, path: urlPath, timeout: 10_000 }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve(text));
    });
    req.on('error', () => resolve(undefined));
    req.on('timeout', () => req.destroy());
  });
}
