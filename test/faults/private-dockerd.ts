// Test helper: a private dockerd (own socket, data root, exec root, own default bridge) that a test may stop and start.
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { daemon } from './daemon';

/** A dockerd this test started; the system one is never touched. */
export interface PrivateDockerd {
  /** `unix:///var/lib/agentdesk-test-dockerd-<random>/docker.sock`, for DOCKER_HOST. */
  host: string;
  /** Runs the docker CLI against this daemon; returns stdout. @throws Error from execFileSync. */
  docker(...args: string[]): string;
  /** Copies an image of the system daemon into this one (`docker save | docker -H … load`). */
  loadImage(ref: string): void;
  /** Starts the daemon again on the same folders (after {@link stop}); resolves once it answers. */
  start(): Promise<void>;
  /** SIGTERM (as `systemctl stop docker` does: containers are stopped), then waits for the exit. */
  stop(): Promise<void>;
  /** Removes its containers and networks, stops it and deletes its folders. */
  remove(): Promise<void>;
}

/** `<prefix>.<n>.1/24` for a `<n>` no host interface uses. */
function freeSubnet(prefix: string): string {
  const used = Object.values(os.networkInterfaces())
    .flat()
    .map((a) => a?.address ?? '');
  for (let i = 0; i < 50; i++) {
    const n = crypto.randomInt(0, 256);
    if (!used.some((a) => a.startsWith(`${prefix}.${n}.`))) return `${prefix}.${n}.1/24`;
  }
  throw new Error(`no free /24 in ${prefix}.0.0/16 for the private Docker bridge`);
}

/** True when dockerd can be run here (root, the binary on PATH). */
export function canRunDockerd(): boolean {
  try {
    execFileSync('sh', ['-c', 'command -v dockerd'], { stdio: 'ignore' });
    return process.getuid?.() === 0;
  } catch {
    return false;
  }
}

/**
 * Starts a private dockerd under `/var/lib/agentdesk-test-dockerd-<random>/` (the file system the system
 * daemon uses, so overlay2 works), without iptables rules, with its own default bridge made here
 * (`adtd<random>`, 10.230.<n>.1/24). Its user-defined networks come from Docker's default pools, which
 * skip subnets already routed on the host (the system daemon's). Never `--bridge=none`, and never
 * `--default-address-pool`: with either, dockerd deletes the host's `docker0` at start or restart
 * (removeDefaultBridgeInterface in moby 20.10 daemon_unix.go), breaking the system daemon's default
 * network (measured here).
 * @throws Error with the daemon's log when it does not answer within 30 s.
 */
export async function startPrivateDockerd(): Promise<PrivateDockerd> {
  const id = crypto.randomBytes(4).toString('hex');
  const dir = `/var/lib/agentdesk-test-dockerd-${id}`;
  const bridge = `adtd${id}`;
  execFileSync('ip', ['link', 'add', bridge, 'type', 'bridge']);
  execFileSync('ip', ['addr', 'add', freeSubnet('10.230'), 'dev', bridge]);
  execFileSync('ip', ['link', 'set', bridge, 'up']);
  const dropBridge = () => {
    try {
      execFileSync('ip', ['link', 'del', bridge], { stdio: 'ignore' });
    } catch {
      /* already gone */
    }
  };
  fs.mkdirSync(path.join(dir, 'data'), { recursive: true, mode: 0o700 });
  fs.mkdirSync(path.join(dir, 'exec'), { recursive: true, mode: 0o700 });
  const sock = path.join(dir, 'docker.sock');
  const host = `unix://${sock}`;
  const logFile = path.join(dir, 'dockerd.log');
  const docker = (...args: string[]) =>
    execFileSync('docker', ['-H', host, ...args], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 60_000,
    }).trim();
  const answers = () => {
    try {
      docker('version', '--format', '{{.Server.Version}}');
      return true;
    } catch {
      return false;
    }
  };
  const { start, stop, running } = daemon({
    label: 'private dockerd',
    command: 'dockerd',
    args: [
      '--host',
      host,
      '--data-root',
      path.join(dir, 'data'),
      '--exec-root',
      path.join(dir, 'exec'),
      '--pidfile',
      path.join(dir, 'docker.pid'),
      `--bridge=${bridge}`,
      '--iptables=false',
      '--ip-masq=false',
    ],
    logFile,
    answers,
  });
  try {
    await start();
  } catch (err) {
    dropBridge();
    throw err;
  }
  return {
    host,
    docker,
    loadImage: (ref) => {
      execFileSync('sh', ['-c', `docker save "$1" | docker -H "$2" load`, 'sh', ref, host], {
        stdio: 'ignore',
        timeout: 300_000,
      });
    },
    start,
    stop,
    remove: async () => {
      try {
        if (!running()) await start();
        const ids = docker('ps', '-aq').split('\n').filter(Boolean);
        if (ids.length) docker('rm', '-f', ...ids);
        docker('network', 'prune', '-f'); // its bridges would outlive it on the host
      } finally {
        await stop();
        dropBridge();
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
