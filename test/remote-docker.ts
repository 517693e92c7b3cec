// Test fixture: a second dockerd in a network namespace, serving TLS on a veth address and ssh:// through an sshd.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { run } from '../main/platform/spawn';
import type { EngineTarget } from '../main/services/runtimes/engine-target';
import { startSshd, type TestSshd } from './sshd';
import { processAlive } from '../main/platform/locks';
import { claimFixtureDir, orphanedFixtureDirs, readOr } from './fixture-dirs';
import { opensslCertificate } from './test-certificates';

/** Prefix of every fixture's state folder in the temp dir (swept when its owner is gone). */
const DIR_PREFIX = 'agentdesk-rdocker-';
/** The TLS port of the engine. */
export const REMOTE_DOCKER_TLS_PORT = 2376;
/** How long dockerd may take to answer `/_ping` (ms); it takes about 1 s here. */
const START_MS = 60_000;

/** True when this process may run the fixture: root, with dockerd, nsenter, ip and openssl installed. */
export function remoteDockerAvailable(): boolean {
  return (
    process.getuid?.() === 0 &&
    ['/usr/sbin/dockerd', '/usr/bin/nsenter', '/usr/sbin/ip', '/usr/bin/openssl', '/usr/sbin/sshd'].every(
      (f) => fs.existsSync(f),
    )
  );
}

/** PEMs of a CA and a client certificate it signed. */
export interface TlsMaterial {
  caPem: string;
  certPem: string;
  keyPem: string;
}

/** A running second Docker engine. */
export interface RemoteDocker {
  /** Small number naming this instance (`adrd-<n>` netns, `10.234.<n>.0/30`). */
  n: number;
  /** The network namespace the engine (and sshd) run in. */
  netns: string;
  /** This machine's address on the veth: what the engine's containers reach this machine on. */
  hostAddress: string;
  /** The engine's address (TLS on {@link REMOTE_DOCKER_TLS_PORT}, sshd on 22). */
  engineAddress: string;
  /** The engine's unix socket (for checks that bypass the transports under test, e.g. leak scans). */
  socketPath: string;
  /** The state folder (data-root, exec-root, certificates, logs). */
  dir: string;
  /** The CA that signed the server and the client certificate, and the client certificate + key. */
  tls: TlsMaterial;
  /** Another CA and a client certificate it signed: the engine trusts neither. */
  rogue: TlsMaterial;
  /** The sshd in front of the engine (`SetEnv DOCKER_HOST=unix://<socketPath>`); null when not asked for. */
  sshd: TestSshd | null;
  /** `docker`/`tls` target of this engine. */
  tlsTarget(): Extract<EngineTarget, { transport: 'tls' }>;
  /** `docker`/`ssh` target (root@engineAddress:22). @throws when started without sshd. */
  sshTarget(): Extract<EngineTarget, { transport: 'ssh' }>;
  /** The last lines of dockerd's log. */
  log(): string;
  /** Stops dockerd (an outage); the netns, sshd and data stay. */
  stopEngine(): Promise<void>;
  /** Starts dockerd again after {@link stopEngine}, waiting until it answers. */
  startEngine(): Promise<void>;
  /** Stops everything and removes the netns, veth and folder. Safe to call twice. */
  stop(): Promise<void>;
}

/** Options of {@link startRemoteDocker}. */
export interface RemoteDockerOptions {
  /** Start an sshd in the same netns in front of the engine (default true). */
  ssh?: boolean;
  /** Containers' DNS server (dockerd `--dns`): this machine's end of the veth (a test runs one there). */
  dnsOnHost?: boolean;
}

/**
 * Starts a dockerd of its own in a new network namespace (veth `10.234.<n>.1` here ↔ `.2` there), with
 * its own data-root, exec-root, pidfile, unix socket and default bridge (`--bip 172.31.<n>.1/24`),
 * serving `tcp://<engineAddress>:2376` with `--tlsverify` and certificates made here with openssl, and
 * (unless `ssh: false`) an sshd in the same netns whose sessions have `DOCKER_HOST` set to that engine.
 * dockerd runs under `nsenter --net=` (not `ip netns exec`, whose fresh /sys hides the cgroup mounts).
 * Sweeps leftovers of killed runs first.
 * @throws Error when not root, a tool is missing, or dockerd does not answer within 60 s (with its log).
 */
export async function startRemoteDocker(opts: RemoteDockerOptions = {}): Promise<RemoteDocker> {
  if (!remoteDockerAvailable())
    throw new Error('the remote dockerd fixture needs root, dockerd, nsenter, ip, openssl, sshd');
  await sweepRemoteDockerLeftovers();
  const n = await pickNumber();
  const dir = path.join(os.tmpdir(), `${DIR_PREFIX}${n}`);
  fs.mkdirSync(dir, { mode: 0o700 });
  claimFixtureDir(dir);
  const netns = `adrd-${n}`;
  const vethHost = `adrd${n}h`;
  const vethNs = `adrd${n}n`;
  const hostAddress = `10.234.${n}.1`;
  const engineAddress = `10.234.${n}.2`;
  const socketPath = path.join(dir, 'docker.sock');
  const logFile = path.join(dir, 'dockerd.log');
  let sshd: TestSshd | null = null;
  let dockerdPid: number | null = null;

  const stopEngine = async (): Promise<void> => {
    const pid = dockerdPid ?? Number(readOr(path.join(dir, 'docker.pid')));
    dockerdPid = null;
    if (pid && processAlive(pid)) await terminate(pid, 20_000);
  };
  const startEngine = async (): Promise<void> => {
    const out = fs.openSync(logFile, 'a');
    const child = spawn(
      'nsenter',
      [
        `--net=/run/netns/${netns}`,
        '/usr/sbin/dockerd',
        '--data-root',
        path.join(dir, 'data'),
        '--exec-root',
        path.join(dir, 'exec'),
        '--pidfile',
        path.join(dir, 'docker.pid'),
        '-H',
        `unix://${socketPath}`,
        '-H',
        `tcp://${engineAddress}:${REMOTE_DOCKER_TLS_PORT}`,
        '--tlsverify',
        '--tlscacert',
        path.join(dir, 'ca.pem'),
        '--tlscert',
        path.join(dir, 'server.pem'),
        '--tlskey',
        path.join(dir, 'server.key'),
        '--bip',
        `172.31.${n}.1/24`,
        ...(opts.dnsOnHost ? ['--dns', hostAddress] : []),
        '--shutdown-timeout',
        '3',
        '--log-level',
        'warn',
      ],
      { stdio: ['ignore', out, out], detached: true },
    );
    fs.closeSync(out);
    child.unref();
    dockerdPid = child.pid ?? null;
    const t0 = Date.now();
    while (!(await ping(socketPath))) {
      if (child.exitCode !== null || Date.now() - t0 > START_MS)
        throw new Error(`the remote dockerd did not start:\n${tailOf(logFile)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  };

  const fixture: RemoteDocker = {
    n,
    netns,
    hostAddress,
    engineAddress,
    socketPath,
    dir,
    tls: { caPem: '', certPem: '', keyPem: '' },
    rogue: { caPem: '', certPem: '', keyPem: '' },
    sshd: null,
    tlsTarget: () => ({
      kind: 'docker',
      transport: 'tls',
      host: engineAddress,
      port: REMOTE_DOCKER_TLS_PORT,
      ...fixture.tls,
    }),
    sshTarget: () => {
      if (!sshd) throw new Error('this remote dockerd was started without sshd');
      return { kind: 'docker', transport: 'ssh', ssh: sshd.destination };
    },
    log: () => tailOf(logFile),
    stopEngine,
    startEngine,
    stop: async () => {
      await sshd?.stop();
      sshd = null;
      await stopEngine();
      await cleanUp(dir, n);
    },
  };
  try {
    await ipCmd(['netns', 'add', netns]);
    await ipCmd(['link', 'add', vethHost, 'type', 'veth', 'peer', 'name', vethNs]);
    await ipCmd(['link', 'set', vethNs, 'netns', netns]);
    await ipCmd(['addr', 'add', `${hostAddress}/30`, 'dev', vethHost]);
    await ipCmd(['link', 'set', vethHost, 'up']);
    await ipCmd(['netns', 'exec', netns, 'ip', 'addr', 'add', `${engineAddress}/30`, 'dev', vethNs]);
    await ipCmd(['netns', 'exec', netns, 'ip', 'link', 'set', vethNs, 'up']);
    await ipCmd(['netns', 'exec', netns, 'ip', 'link', 'set', 'lo', 'up']);
    await ipCmd(['netns', 'exec', netns, 'ip', 'route', 'add', 'default', 'via', hostAddress]);
    fixture.tls = makeCertificates(dir, engineAddress);
    fixture.rogue = makeRogue(dir);
    await startEngine();
    if (opts.ssh ?? true) {
      sshd = await startSshd({ address: engineAddress, port: 22, netns, dockerHost: `unix://${socketPath}` });
      fixture.sshd = sshd;
    }
    return fixture;
  } catch (err) {
    await fixture.stop().catch(() => {});
    throw err;
  }
}

/** Picks `n` (2–250) whose folder, netns and `10.234.<n>.0/30` are all unused. */
async function pickNumber(): Promise<number> {
  const routes = (await run('ip', ['-4', 'route'], { timeoutMs: 5000 })).stdout;
  const namespaces = (await run('ip', ['netns', 'list'], { timeoutMs: 5000 })).stdout;
  for (let tries = 0; tries < 500; tries++) {
    const n = 2 + Math.floor(Math.random() * 249);
    if (fs.existsSync(path.join(os.tmpdir(), `${DIR_PREFIX}${n}`))) continue;
    if (routes.includes(`10.234.${n}.`) || namespaces.split(/\s/).includes(`adrd-${n}`)) continue;
    return n;
  }
  throw new Error('no free 10.234.<n>.0/30 for a remote dockerd');
}

async function ipCmd(args: string[]): Promise<void> {
  await run('ip', args, { timeoutMs: 10_000 });
}

function makeCertificates(dir: string, address: string): TlsMaterial {
  opensslCertificate(dir, 'ca', '/CN=agentdesk-test-docker-ca', null, '');
  opensslCertificate(
    dir,
    'server',
    '/CN=remote-docker',
    'ca',
    `subjectAltName=IP:${address},DNS:remote-docker\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature`,
  );
  opensslCertificate(
    dir,
    'client',
    '/CN=agentdesk-core',
    'ca',
    'extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature',
  );
  const read = (f: string) => fs.readFileSync(path.join(dir, f), 'utf8');
  return { caPem: read('ca.pem'), certPem: read('client.pem'), keyPem: read('client.key') };
}

function makeRogue(dir: string): TlsMaterial {
  opensslCertificate(dir, 'rogue-ca', '/CN=agentdesk-test-docker-ca', null, '');
  opensslCertificate(
    dir,
    'rogue-client',
    '/CN=agentdesk-core',
    'rogue-ca',
    'extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature',
  );
  const read = (f: string) => fs.readFileSync(path.join(dir, f), 'utf8');
  return { caPem: read('rogue-ca.pem'), certPem: read('rogue-client.pem'), keyPem: read('rogue-client.key') };
}

/** True when the engine at `socketPath` answers `GET /_ping`. */
function ping(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get({ socketPath, path: '/_ping', timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => {
      req.destroy();
      resolve(false);
    });
  });
}

/**
 * Removes what killed runs left: for every fixture folder whose owning test process is gone, its
 * dockerd (by pidfile, checked against its command line), containerd and shims (command lines naming the
 * folder), the processes of its containers (their cgroups), its mounts, netns, veth and the folder.
 */
export async function sweepRemoteDockerLeftovers(): Promise<void> {
  for (const dir of orphanedFixtureDirs(DIR_PREFIX)) {
    const n = Number(path.basename(dir).slice(DIR_PREFIX.length));
    const pid = Number(readOr(path.join(dir, 'docker.pid')));
    killContainers(dir); // first, so dockerd has nothing to wait for
    if (pid && processAlive(pid) && readOr(`/proc/${pid}/cmdline`).includes(`${dir}/`))
      await terminate(pid, 3000);
    await cleanUp(dir, n);
  }
}

/** Kills leftover processes of the folder, unmounts, deletes netns and veth, removes the folder. */
async function cleanUp(dir: string, n: number): Promise<void> {
  killContainers(dir);
  for (const p of listOr('/proc')) {
    if (!/^\d+$/.test(p) || Number(p) === process.pid) continue;
    if (readOr(`/proc/${p}/cmdline`).includes(`${dir}/`)) tryKill(Number(p));
  }
  const mounts = readOr('/proc/self/mountinfo')
    .split('\n')
    .map((l) => l.split(' ')[4] ?? '')
    .filter((m) => m.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
  for (const m of mounts) await run('umount', ['-l', m], { timeoutMs: 10_000 }).catch(() => {});
  if (Number.isInteger(n) && n > 0) {
    await run('ip', ['netns', 'del', `adrd-${n}`], { timeoutMs: 10_000 }).catch(() => {});
    await run('ip', ['link', 'del', `adrd${n}h`], { timeoutMs: 10_000 }).catch(() => {});
  }
  fs.rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
}

/** Kills the processes of the engine's containers (found by their cgroups, v1 and v2 layouts). */
function killContainers(dir: string): void {
  for (const id of listOr(path.join(dir, 'data', 'containers'))) {
    for (const ctl of ['pids', 'memory', 'cpu', 'systemd', 'unified', '']) {
      const procs = readOr(path.join('/sys/fs/cgroup', ctl, 'docker', id, 'cgroup.procs'));
      for (const pid of procs.split('\n').filter(Boolean)) tryKill(Number(pid));
    }
  }
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
async function terminate(pid: number, graceMs: number): Promise<void> {
  tryKill(pid, 'SIGTERM');
  const t0 = Date.now();
  while (processAlive(pid) && !isZombie(pid)) {
    if (Date.now() - t0 > graceMs) tryKill(pid, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 100));
  }
}

function tryKill(pid: number, sig: NodeJS.Signals = 'SIGKILL'): void {
  try {
    if (pid > 1) process.kill(pid, sig);
  } catch {
    /* gone */
  }
}

function isZombie(pid: number): boolean {
  return /\) Z /.test(readOr(`/proc/${pid}/stat`));
}

function listOr(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}

function tailOf(file: string): string {
  return readOr(file).split('\n').slice(-40).join('\n');
}
