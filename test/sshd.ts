// Test fixture: a throwaway OpenSSH server (own host key, user key, authorized_keys, known_hosts, ssh_config).
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../main/platform/free-port';
import { run } from '../main/platform/spawn';
import type { SshDestination } from '../main/services/runtimes/engine-target';
import { processAlive } from '../main/platform/locks';
import { claimFixtureDir, orphanedFixtureDirs, readOr } from './fixture-dirs';

/** Prefix of every fixture's temp folder, so a later run can sweep what a killed one left. */
const DIR_PREFIX = 'agentdesk-sshd-';
/** How long sshd may take to say it listens (ms). */
const START_MS = 10_000;

/** True when this process may run the fixture: root, with `/usr/sbin/sshd` and `ssh-keygen` installed. */
export function sshdAvailable(): boolean {
  return process.getuid?.() === 0 && fs.existsSync('/usr/sbin/sshd') && fs.existsSync('/usr/bin/ssh-keygen');
}

/** Options of {@link startSshd}. */
export interface SshdOptions {
  /** Address sshd listens on (default `127.0.0.1`); inside `netns` an address of that namespace. */
  address?: string;
  /** TCP port (default: a free one on `address` when no `netns`, else 22). */
  port?: number;
  /** Network namespace to run sshd in (`ip netns exec <netns>`); it must exist. */
  netns?: string;
  /**
   * `unix:///path/to/docker.sock`: written as `SetEnv DOCKER_HOST=…` into sshd_config, so a remote
   * `docker system dial-stdio` reaches that dockerd.
   */
  dockerHost?: string;
  /** Extra sshd_config lines. */
  extraConfig?: string[];
}

/** A running throwaway sshd. Logging in as `root` with the fixture's user key (`PermitRootLogin prohibit-password`). */
export interface TestSshd {
  /** `{ user: 'root', host: address, port }`. */
  destination: SshDestination;
  /**
   * An ssh_config for `ssh -F`: the fixture's user key (IdentitiesOnly), its known_hosts as the only
   * known hosts file, BatchMode and StrictHostKeyChecking on.
   */
  sshConfigFile: string;
  /** The known_hosts file the config names (one line: the current host key, as trusted at start). */
  knownHostsFile: string;
  /** The fixture's temp folder (removed by stop). */
  dir: string;
  /** The host key's fingerprint as ssh prints it, e.g. `SHA256:abc…`. */
  hostKeyFingerprint: string;
  /** Lines sshd printed so far (its -e log), for a failing test's message. */
  log(): string;
  /**
   * Makes a new host key and restarts sshd with it; known_hosts keeps the old key, so ssh now sees a
   * changed host key. @returns the new fingerprint.
   */
  rekey(): Promise<string>;
  /** Writes the current host key into known_hosts (trusts it again). */
  trustHostKey(): void;
  /** Empties known_hosts (the host is then unknown). */
  forgetHostKey(): void;
  /** Stops sshd (SIGTERM, then SIGKILL) and removes the folder. Safe to call twice. */
  stop(): Promise<void>;
}

/**
 * Starts `/usr/sbin/sshd -D -e -f <dir>/sshd_config` (in `opts.netns` when given) and waits until it
 * listens. Sweeps folders (and their sshd) of earlier fixtures whose owning test process is gone.
 * @throws Error when not root, sshd is missing, or it does not listen within 10 s (with its log).
 */
export async function startSshd(opts: SshdOptions = {}): Promise<TestSshd> {
  if (!sshdAvailable()) throw new Error('the sshd fixture needs root and /usr/sbin/sshd');
  sweepSshdLeftovers();
  const address = opts.address ?? '127.0.0.1';
  const port = opts.port ?? (opts.netns ? 22 : await freePort(address));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), DIR_PREFIX));
  claimFixtureDir(dir);
  fs.mkdirSync('/run/sshd', { recursive: true, mode: 0o755 }); // sshd's privilege separation folder
  const hostKey = path.join(dir, 'ssh_host_ed25519_key');
  const userKey = path.join(dir, 'id_ed25519');
  const knownHosts = path.join(dir, 'known_hosts');
  const sshdConfig = path.join(dir, 'sshd_config');
  const sshConfig = path.join(dir, 'ssh_config');
  await keygen(hostKey, 'agentdesk-test-host');
  await keygen(userKey, 'agentdesk-test-user');
  fs.copyFileSync(`${userKey}.pub`, path.join(dir, 'authorized_keys'));
  fs.writeFileSync(
    sshdConfig,
    [
      `Port ${port}`,
      `ListenAddress ${address}`,
      `HostKey ${hostKey}`,
      `PidFile ${path.join(dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${path.join(dir, 'authorized_keys')}`,
      'PermitRootLogin prohibit-password',
      'PubkeyAuthentication yes',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      'StrictModes no',
      'AllowTcpForwarding yes',
      'AllowStreamLocalForwarding yes',
      'StreamLocalBindUnlink yes',
      'PrintMotd no',
      'MaxSessions 64',
      'MaxStartups 64:30:128',
      'LogLevel VERBOSE',
      ...(opts.dockerHost ? [`SetEnv DOCKER_HOST=${opts.dockerHost}`] : []),
      ...(opts.extraConfig ?? []),
      '',
    ].join('\n'),
  );
  const knownHostsName = port === 22 ? address : `[${address}]:${port}`;
  const writeKnownHosts = () => {
    const pub = fs.readFileSync(`${hostKey}.pub`, 'utf8').trim().split(/\s+/);
    fs.writeFileSync(knownHosts, `${knownHostsName} ${pub[0]} ${pub[1]}\n`);
  };
  writeKnownHosts();
  fs.writeFileSync(
    sshConfig,
    [
      'Host *',
      '  User root',
      `  IdentityFile ${userKey}`,
      '  IdentitiesOnly yes',
      '  IdentityAgent none',
      `  UserKnownHostsFile ${knownHosts}`,
      '  GlobalKnownHostsFile /dev/null',
      '  StrictHostKeyChecking yes',
      '  BatchMode yes',
      '  UpdateHostKeys no',
      '',
    ].join('\n'),
  );

  let logText = '';
  let child: ChildProcess | null = null;
  const launch = async (): Promise<void> => {
    const cmd = opts.netns ? 'ip' : '/usr/sbin/sshd';
    const args = [
      ...(opts.netns ? ['netns', 'exec', opts.netns, '/usr/sbin/sshd'] : []),
      '-D',
      '-e',
      '-f',
      sshdConfig,
    ];
    const c = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    child = c;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`sshd did not listen within ${START_MS} ms:\n${logText}`)),
        START_MS,
      );
      c.stderr.setEncoding('utf8').on('data', (d: string) => {
        logText = (logText + d).slice(-20_000);
        if (/Server listening on/.test(logText)) {
          clearTimeout(timer);
          resolve();
        }
      });
      c.once('exit', (code, sig) => {
        clearTimeout(timer);
        reject(new Error(`sshd exited (${code ?? sig}) before listening:\n${logText}`));
      });
    });
  };
  const halt = async (): Promise<void> => {
    const c = child;
    child = null;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const gone = new Promise<void>((r) => c.once('exit', () => r()));
    c.kill('SIGTERM');
    const t = setTimeout(() => c.kill('SIGKILL'), 3000);
    await gone;
    clearTimeout(t);
  };

  try {
    await launch();
  } catch (err) {
    await halt();
    fs.rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  let fingerprint = await fingerprintOf(`${hostKey}.pub`);
  const fixture: TestSshd = {
    destination: { user: 'root', host: address, port },
    sshConfigFile: sshConfig,
    knownHostsFile: knownHosts,
    dir,
    get hostKeyFingerprint() {
      return fingerprint;
    },
    log: () => logText,
    async rekey() {
      await halt();
      fs.rmSync(hostKey, { force: true });
      fs.rmSync(`${hostKey}.pub`, { force: true });
      await keygen(hostKey, 'agentdesk-test-host-rekeyed');
      fingerprint = await fingerprintOf(`${hostKey}.pub`);
      await launch();
      return fingerprint;
    },
    trustHostKey() {
      writeKnownHosts();
    },
    forgetHostKey() {
      fs.writeFileSync(knownHosts, '');
    },
    async stop() {
      await halt();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  return fixture;
}

async function keygen(file: string, comment: string): Promise<void> {
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', file], {
    timeoutMs: 10_000,
  });
}

/** `SHA256:…` of a public key file (`ssh-keygen -lf`). */
export async function fingerprintOf(pubFile: string): Promise<string> {
  const { stdout } = await run('ssh-keygen', ['-lf', pubFile], { timeoutMs: 10_000 });
  return stdout.trim().split(/\s+/)[1]!;
}

/**
 * Kills the sshd of, and removes, every fixture folder in the temp dir whose owning test process is no
 * longer alive (a killed run). Folders of live test processes (other workers) are left alone.
 */
export function sweepSshdLeftovers(): void {
  for (const dir of orphanedFixtureDirs(DIR_PREFIX)) {
    const pid = Number(readOr(path.join(dir, 'sshd.pid')));
    if (pid && processAlive(pid) && readOr(`/proc/${pid}/cmdline`).includes(dir)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone meanwhile */
      }
    }
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
