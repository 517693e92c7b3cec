// Records connect() attempts of processes with strace, and sorts their targets into local and outside ones.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';

/** One connect() attempt, as strace printed it. */
export interface ConnectAttempt {
  pid: number;
  /** `AF_INET`, `AF_INET6`, `AF_UNIX`, `AF_NETLINK`, `AF_UNSPEC`, … */
  family: string;
  /** IP address (INET families), socket path (AF_UNIX), else ''. */
  address: string;
  /** Port for INET families, else null. */
  port: number | null;
  /** The whole strace line, for failure messages. */
  line: string;
}

/** True when `strace` can be run here. */
export function straceAvailable(): boolean {
  try {
    execFileSync('strace', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * Parses strace output of `-e trace=connect` (with or without `-f` pid prefixes; `<unfinished ...>`
 * lines carry the address, `resumed` lines are skipped). Formats of strace 6.x:
 * `{sa_family=AF_INET, sin_port=htons(80), sin_addr=inet_addr("1.2.3.4")}`,
 * `{sa_family=AF_INET6, sin6_port=htons(80), …, inet_pton(AF_INET6, "::1", &sin6_addr), …}`,
 * `{sa_family=AF_UNIX, sun_path="/run/x.sock"}`.
 */
export function parseConnects(text: string): ConnectAttempt[] {
  const out: ConnectAttempt[] = [];
  for (const line of text.split('\n')) {
    const m = /^(?:\[pid\s+)?(\d+)?\]?\s*connect\(\d+, \{sa_family=(\w+)(.*)$/.exec(line.trim());
    if (!m) continue;
    const rest = m[3]!;
    const port = /sin6?_port=htons\((\d+)\)/.exec(rest);
    const address =
      /inet_addr\("([^"]+)"\)/.exec(rest)?.[1] ??
      /inet_pton\(AF_INET6, "([^"]+)"/.exec(rest)?.[1] ??
      /sun_path=@?"([^"]*)"/.exec(rest)?.[1] ??
      '';
    out.push({
      pid: Number(m[1] ?? 0),
      family: m[2]!,
      address,
      port: port ? Number(port[1]) : null,
      line: line.trim(),
    });
  }
  return out;
}

/** An IPv4 subnet in CIDR notation, e.g. `172.20.0.0/16`. */
export function inSubnet(ip: string, cidr: string): boolean {
  const [base, bits] = cidr.split('/');
  const toInt = (a: string) => a.split('.').reduce((n, o) => (n << 8) + Number(o), 0) >>> 0;
  if (!net.isIPv4(ip) || !base || !net.isIPv4(base)) return false;
  const mask = Number(bits) === 0 ? 0 : (~0 << (32 - Number(bits))) >>> 0;
  return (toInt(ip) & mask) === (toInt(base) & mask);
}

/**
 * The attempts that leave the machine: INET targets that are not loopback (127/8, ::1,
 * ::ffff:127.x) and not inside one of `allowedSubnets` (the container bridge). Unix, netlink and
 * AF_UNSPEC (a UDP socket's disconnect) never leave the machine.
 */
export function outsideConnects(attempts: ConnectAttempt[], allowedSubnets: string[]): ConnectAttempt[] {
  return attempts.filter((a) => {
    if (a.family !== 'AF_INET' && a.family !== 'AF_INET6') return false;
    const ip = a.address.replace(/^::ffff:/i, '');
    if (ip === '::1' || (net.isIPv4(ip) && ip.startsWith('127.'))) return false;
    return !allowedSubnets.some((s) => inSubnet(ip, s));
  });
}

/** A running `strace -f -e trace=connect` attached to processes. */
export interface ConnectRecorder {
  /** Detaches (SIGINT) and returns every attempt recorded. */
  stop(): Promise<ConnectAttempt[]>;
}

/**
 * Attaches `strace -f -e trace=connect -o <file>` to `pids` (threads and later children included) and
 * resolves once strace reports every pid attached (or gone before it could be).
 * @throws Error with strace's output when it exits or does not attach within 20 s (e.g. ptrace denied).
 */
export async function recordConnects(pids: number[], file: string): Promise<ConnectRecorder> {
  const args = ['-f', '-e', 'trace=connect', '-o', file, ...pids.flatMap((p) => ['-p', String(p)])];
  const child: ChildProcess = spawn('strace', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`strace did not attach in 20 s: ${err}`)), 20_000);
    child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      err += d;
      // A pid that ended between being listed and being attached has nothing left to trace.
      const settled = (p: number) =>
        new RegExp(`Process ${p} attached`).test(err) ||
        new RegExp(`PTRACE_SEIZE, ${p}\\): No such process`).test(err);
      if (pids.every(settled)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`strace exited (${code}) before attaching: ${err}`));
    });
  });
  return {
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGINT');
        await exited;
      }
      return parseConnects(fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '');
    },
  };
}
