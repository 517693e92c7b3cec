// Follows the kernel log (/dev/kmsg) for the LOG lines of refused agent packets and parses them.
import fs from 'node:fs';
import { LOG_PREFIX } from './egress-names';

/** One refused packet as the kernel logged it (netfilter LOG target; fields per the kernel's nf_log_syslog). */
export interface RefusedPacket {
  tag: string;
  /** Input and output interfaces; `out` is empty when the packet was for the host itself. */
  in: string;
  out: string;
  src: string;
  dst: string;
  protocol: 'tcp' | 'udp' | 'icmp' | 'other';
  /** Destination port (TCP/UDP), else null. */
  port: number | null;
}

const LINE = new RegExp(
  `${LOG_PREFIX} ([0-9a-f]{10}) IN=(\\S*) OUT=(\\S*) .*?SRC=(\\S+) DST=(\\S+) .*?PROTO=(\\S+)(.*)$`,
);

/**
 * Parses the message of a kernel log record (`/dev/kmsg`: `prio,seq,usec,flags;message`, or the bare
 * message) written by our LOG rule (`ADEG <tag> IN=… OUT=… SRC=… DST=… … PROTO=TCP SPT=… DPT=…`).
 * @returns null for any other line.
 */
export function parseRefusal(record: string): RefusedPacket | null {
  const m = LINE.exec(kmsgMessage(record));
  if (!m) return null;
  const proto = m[6]!.toLowerCase();
  const dpt = /\bDPT=(\d+)/.exec(m[7] ?? '');
  return {
    tag: m[1]!,
    in: m[2]!,
    out: m[3]!,
    src: m[4]!,
    dst: m[5]!,
    protocol: proto === 'tcp' || proto === 'udp' || proto === 'icmp' ? proto : 'other',
    port: dpt ? Number(dpt[1]) : null,
  };
}

/** How often the log is read again once it has been read to its end, ms. */
const POLL_MS = 200;

/** The message of a `/dev/kmsg` record (`prio,seq,usec,flags;message\n[continuation lines]`): its first line. */
export function kmsgMessage(record: string): string {
  const message = /^\d+,\d+,\d+,[^;]*;/.test(record) ? record.slice(record.indexOf(';') + 1) : record;
  return message.split('\n')[0] ?? '';
}

/**
 * Reads `/dev/kmsg` without blocking (one record per read; EAGAIN at the end, then polls every 200 ms;
 * EPIPE when records were overwritten before they were read, then goes on with the next) and hands the
 * message of each record that contains `contains` to `onMessage`. Records that were already there when
 * it opened are skipped. Needs CAP_SYSLOG (root) where `kernel.dmesg_restrict` is 1 (Debian's default).
 */
export class KernelLogFollower {
  private fd: number | null = null;
  private timer: NodeJS.Timeout | null = null;
  private readonly buf = Buffer.alloc(8192);
  private closed = false;

  constructor(
    private readonly onMessage: (message: string) => void,
    private readonly path = '/dev/kmsg',
    private readonly contains = '',
  ) {}

  /** Opens the log and skips what it holds. @returns null when following, else why not (one line). */
  start(): string | null {
    try {
      this.fd = fs.openSync(this.path, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    } catch (err) {
      return `cannot read the kernel log ${this.path} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); refused connections are not traced`;
    }
    this.drain(false);
    this.schedule();
    return null;
  }

  private schedule(): void {
    if (this.closed) return;
    this.timer = setTimeout(() => {
      this.drain(true);
      this.schedule();
    }, POLL_MS);
    this.timer.unref();
  }

  /** Reads every available record (synchronously: each read returns at once with O_NONBLOCK). */
  private drain(deliver: boolean): void {
    if (this.fd === null) return;
    for (let i = 0; i < 10_000; i++) {
      let n: number;
      try {
        n = fs.readSync(this.fd, this.buf, 0, this.buf.length, null);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EPIPE') continue; // overwritten records: the next read goes on after them
        return; // EAGAIN: nothing more now
      }
      if (n <= 0) return;
      if (!deliver) continue;
      const message = kmsgMessage(this.buf.toString('utf8', 0, n));
      if (message.includes(this.contains)) this.onMessage(message);
    }
  }

  /** Stops following and closes the log. */
  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.fd !== null) fs.closeSync(this.fd);
    this.fd = null;
  }
}
