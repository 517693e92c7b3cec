// How many processes of a container the kernel killed for lack of memory: its memory cgroup's counter, or the kernel log.
import fs from 'node:fs';

/** The cgroup file system root (tests point it elsewhere). */
export const CGROUP_ROOT = '/sys/fs/cgroup';

/**
 * The `oom_kill` counter of the first readable memory cgroup among `groups` (paths relative to the
 * cgroup root, e.g. `docker/<id>` or `lxc.payload.<name>`): cgroup v2 `<root>/<group>/memory.events`,
 * cgroup v1 `<root>/memory/<group>/memory.oom_control` (kernel ≥ 4.13 counts `oom_kill` there too).
 * @returns the count, or null when no such cgroup can be read here (a stopped container, a remote
 *   engine, another cgroup layout).
 */
export function cgroupOomKills(groups: string[], root = CGROUP_ROOT): number | null {
  for (const g of groups) {
    for (const file of [`${root}/${g}/memory.events`, `${root}/memory/${g}/memory.oom_control`]) {
      let text: string;
      try {
        text = fs.readFileSync(file, 'utf8');
      } catch {
        continue;
      }
      const m = /^oom_kill (\d+)$/m.exec(text);
      if (m) return Number(m[1]);
    }
  }
  return null;
}

/**
 * Parses one `/dev/kmsg` record (`prio,seq,usec,flags;message`) of the kernel's OOM killer,
 * `oom-kill:constraint=CONSTRAINT_MEMCG,…,oom_memcg=/docker/<id>,task_memcg=…,task=node,pid=…,uid=…`
 * (mm/oom_kill.c `dump_oom_summary`). @returns its memory cgroup, victim and time (µs since boot), or null.
 */
export function parseOomRecord(record: string): { memcg: string; task: string; usec: number } | null {
  const semi = record.indexOf(';');
  if (semi < 0) return null;
  const head = record.slice(0, semi).split(',');
  const message = record.slice(semi + 1).split('\n')[0] ?? '';
  if (!message.startsWith('oom-kill:')) return null;
  const memcg = /[:,]oom_memcg=([^,]*)/.exec(message)?.[1];
  if (memcg === undefined) return null;
  return { memcg, task: /,task=([^,]*)/.exec(message)?.[1] ?? '?', usec: Number(head[2] ?? 0) };
}

/**
 * Counts the kernel log's OOM kills in a memory cgroup `match` accepts (by its path: `/docker/<id>`,
 * `/system.slice/docker-<id>.scope`, `/lxc.payload.<name>`) since `sinceEpochMs` (less 2 s of slack), by reading
 * `kmsg` from its oldest record without blocking. Kernel times are µs on the monotonic clock, the same
 * one `process.hrtime` reads. Needs CAP_SYSLOG where `kernel.dmesg_restrict` is 1 (Debian's default).
 * @returns the count, or null when the log cannot be read.
 */
export function kernelOomKills(
  match: (memcg: string) => boolean,
  sinceEpochMs: number,
  kmsg = '/dev/kmsg',
): number | null {
  let fd: number;
  try {
    fd = fs.openSync(kmsg, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  } catch {
    return null;
  }
  const nowUs = Number(process.hrtime.bigint() / 1000n);
  const sinceUs = nowUs - (Date.now() - sinceEpochMs + 2000) * 1000;
  const buf = Buffer.alloc(8192);
  let count = 0;
  try {
    for (let i = 0; i < 100_000; i++) {
      let n: number;
      try {
        n = fs.readSync(fd, buf, 0, buf.length, null);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EPIPE') continue; // overwritten: go on
        break; // EAGAIN: the end
      }
      if (n <= 0) break;
      const r = parseOomRecord(buf.toString('utf8', 0, n));
      if (r && r.usec >= sinceUs && match(r.memcg)) count++;
    }
  } finally {
    fs.closeSync(fd);
  }
  return count;
}
