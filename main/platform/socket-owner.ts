// Which process owns a listening TCP port (Linux /proc), so a supervisor never mistakes a foreign server for its child.
import fs from 'node:fs';

const LISTEN = '0A'; // TCP_LISTEN in /proc/net/tcp (include/net/tcp_states.h)

/** Inodes of the sockets listening on `port` (any address), from /proc/net/tcp and /proc/net/tcp6. */
export function listeningInodes(port: number, procRoot = '/proc'): Set<string> {
  const inodes = new Set<string>();
  for (const table of ['net/tcp', 'net/tcp6']) {
    let text: string;
    try {
      text = fs.readFileSync(`${procRoot}/${table}`, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode …
      const f = line.trim().split(/\s+/);
      if (f.length < 10 || f[3] !== LISTEN) continue;
      const localPort = parseInt(f[1]!.split(':')[1] ?? '', 16);
      if (localPort === port) inodes.add(f[9]!);
    }
  }
  return inodes;
}

function socketInodesOf(pid: number, procRoot: string): Set<string> {
  const out = new Set<string>();
  let fds: string[];
  try {
    fds = fs.readdirSync(`${procRoot}/${pid}/fd`);
  } catch {
    return out;
  }
  for (const fd of fds) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`${procRoot}/${pid}/fd/${fd}`));
      if (m) out.add(m[1]!);
    } catch {
      /* fd closed meanwhile */
    }
  }
  return out;
}

/** Pids whose process group is `pgid` (from /proc/<pid>/stat, field 5). */
function groupMembers(pgid: number, procRoot: string): number[] {
  const out: number[] = [];
  for (const name of fs.readdirSync(procRoot)) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = fs.readFileSync(`${procRoot}/${name}/stat`, 'utf8');
      // pid (comm) state ppid pgrp … — comm may hold spaces and parentheses: split after the last ')'.
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(rest[2]) === pgid) out.push(Number(name));
    } catch {
      /* process gone */
    }
  }
  return out;
}

/**
 * Whether the process group led by `pgid` owns a socket listening on TCP `port`.
 * Linux only (reads /proc); elsewhere, or when /proc cannot be read, answers `null` ("cannot tell"),
 * and the caller falls back to trusting the port it chose.
 * @returns true when one of the group's processes holds a listening socket on `port`; false when the
 *   port is listened on by someone else or by no one.
 */
export function groupOwnsListener(pgid: number, port: number, procRoot = '/proc'): boolean | null {
  if (process.platform !== 'linux' || !fs.existsSync(`${procRoot}/net/tcp`)) return null;
  const listening = listeningInodes(port, procRoot);
  if (listening.size === 0) return false;
  const owns = (pid: number) => [...socketInodesOf(pid, procRoot)].some((i) => listening.has(i));
  if (owns(pgid)) return true;
  return groupMembers(pgid, procRoot).some((pid) => pid !== pgid && owns(pid));
}

/**
 * The process listening on TCP `port` (any address), from /proc: its pid and command line (cut to 200
 * characters). `null` when nobody listens, when /proc cannot tell (not Linux), or when the socket belongs
 * to a process whose file descriptors this user cannot read (another user's).
 */
export function listenerOf(port: number, procRoot = '/proc'): { pid: number; command: string } | null {
  if (!fs.existsSync(`${procRoot}/net/tcp`)) return null;
  const listening = listeningInodes(port, procRoot);
  if (listening.size === 0) return null;
  for (const name of fs.readdirSync(procRoot)) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    if (![...socketInodesOf(pid, procRoot)].some((i) => listening.has(i))) continue;
    let command = '';
    try {
      command = fs.readFileSync(`${procRoot}/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
    } catch {
      /* gone meanwhile */
    }
    return { pid, command: command.slice(0, 200) || '?' };
  }
  return null;
}
