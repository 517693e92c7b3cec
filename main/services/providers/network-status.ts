// Whether this machine has a route to the internet, read from the kernel's routing table: no packet is sent.
import fs from 'node:fs';
import os from 'node:os';

/** What the routing table says, as {@link readNetworkRoute} reports it. */
export interface NetworkRoute {
  /** True when a default route exists (IPv4 or IPv6) on an interface other than loopback. */
  online: boolean;
  /** One line for the user, e.g. "default route via eth0" or "no default route (offline)". */
  detail: string;
}

/** `RTF_UP` and `RTF_REJECT` of linux/route.h (and ipv6_route's flags column). */
const RTF_UP = 0x1;
const RTF_REJECT = 0x200;

/**
 * The interfaces holding an IPv4 default route in a `/proc/net/route` text: rows whose Destination
 * and Mask are `00000000`, flagged up and not reject, on an interface other than `lo`.
 * Columns (proc(5)): Iface Destination Gateway Flags RefCnt Use Metric Mask MTU Window IRTT.
 */
export function ipv4DefaultRoutes(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 8) continue;
    const flags = parseInt(f[3]!, 16);
    if (
      f[1] === '00000000' &&
      f[7] === '00000000' &&
      f[0] !== 'lo' &&
      flags & RTF_UP &&
      !(flags & RTF_REJECT)
    )
      out.push(f[0]!);
  }
  return out;
}

/**
 * The interfaces holding an IPv6 default route in a `/proc/net/ipv6_route` text: destination `::`
 * with prefix length 0, flagged up and not reject (the kernel's own `lo` reject route is skipped).
 * Columns: dest, dest prefix len, src, src prefix len, next hop, metric, refcnt, use, flags, iface.
 */
export function ipv6DefaultRoutes(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10) continue;
    const flags = parseInt(f[8]!, 16);
    if (/^0{32}$/.test(f[0]!) && f[1] === '00' && f[9] !== 'lo' && flags & RTF_UP && !(flags & RTF_REJECT))
      out.push(f[9]!);
  }
  return out;
}

function readOr(file: string): string | null {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

/**
 * Reads whether a route to the internet exists, without sending anything (a probe to a public host
 * would itself be a hidden cloud call). Linux: a default route in `/proc/net/route` or
 * `/proc/net/ipv6_route` (read under `procNet`, default `/proc/net`). Elsewhere, or when `/proc` is
 * unreadable: any non-internal interface address that is not link-local (`os.networkInterfaces()`).
 * A default route is necessary, not sufficient: a captive portal still counts as online, and cloud
 * providers then report their own failures. Never throws.
 */
export function readNetworkRoute(procNet = '/proc/net'): NetworkRoute {
  const v4 = readOr(`${procNet}/route`);
  const v6 = readOr(`${procNet}/ipv6_route`);
  if (v4 !== null || v6 !== null) {
    const ifaces = [...new Set([...ipv4DefaultRoutes(v4 ?? ''), ...ipv6DefaultRoutes(v6 ?? '')])];
    return ifaces.length
      ? { online: true, detail: `default route via ${ifaces.join(', ')}` }
      : { online: false, detail: 'no default route: this computer is offline (only local servers work)' };
  }
  const addrs = Object.entries(os.networkInterfaces()).flatMap(([name, list]) =>
    (list ?? [])
      .filter((a) => !a.internal && !a.address.startsWith('fe80:') && !a.address.startsWith('169.254.'))
      .map(() => name),
  );
  return addrs.length
    ? { online: true, detail: `network interface ${[...new Set(addrs)].join(', ')} is up` }
    : {
        online: false,
        detail: 'no network interface is up: this computer is offline (only local servers work)',
      };
}

/** True when `url`'s host is this machine (127.0.0.0/8, ::1, localhost): reachable with no network. */
export function isLoopbackUrl(url: string): boolean {
  try {
    const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
    return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
  } catch {
    return false;
  }
}
