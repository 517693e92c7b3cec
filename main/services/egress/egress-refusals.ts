// Turns refused connections and lookups into `egress` trace events: why they were refused, folded and rate-limited.
import type { EgressPayload } from '../../../contract/egress';
import { NEVER_ALLOWED, inCidr, ipv4ToInt } from '../../../contract/egress';
import { traceEvent } from '../../../contract/traces';
import type { TraceEventOf } from '../../../contract/traces';
import type { RefusedPacket } from './kernel-log';

/** Refusals of the same destination within this window (ms) are folded into one event with a count. */
export const FOLD_WINDOW_MS = 10_000;
/** Most `egress` events per agent per minute; more are counted in the log, not traced (a flood guard). */
export const EVENTS_PER_MINUTE = 60;

/** A refusal before it is folded. */
export type Refusal = Omit<EgressPayload, 'count'> & { agentId: string };

/**
 * Why the firewall refused a packet, from where it was going: to the host itself (no output interface)
 * = `host_service`; port 53 = `dns_direct`; link-local = `link_local`; an agent or engine network =
 * `agent_network`; otherwise the mode or allowlist = `not_allowed`.
 */
export function classify(p: RefusedPacket, protectedRanges: readonly string[]): EgressPayload['rule'] {
  if (!p.out) return 'host_service';
  if (p.port === 53 && (p.protocol === 'udp' || p.protocol === 'tcp')) return 'dns_direct';
  if (inCidr(p.dst, '169.254.0.0', 16)) return 'link_local';
  for (const r of protectedRanges) {
    const [network, bits] = r.split('/');
    if (inCidr(p.dst, network!, Number(bits ?? 32))) return 'agent_network';
  }
  if (NEVER_ALLOWED.some((r) => inCidr(p.dst, r.network, r.prefix))) return 'agent_network';
  return 'not_allowed';
}

const REMOTE_RULES: readonly EgressPayload['rule'][] = [
  'not_allowed',
  'host_service',
  'agent_network',
  'link_local',
];

/**
 * A refusal line of a remote engine's egress proxy (docs/decisions/023-remote-egress.md), one JSON object
 * `{agent, host, address, port, rule}`, as a refusal to fold. The line comes from another host, so
 * nothing in it is trusted: it must be a JSON object naming an agent `mine` accepts (this core's, on that
 * engine) and a known rule; the port must be 0–65535, the address a dotted quad (else null), the host is
 * cut to 300 characters (null when it is the address); the mode is the core's (`modeOf`), not the line's.
 * @returns the refusal, or null for anything else.
 */
export function remoteRefusal(
  line: string,
  mine: (agentId: string) => boolean,
  modeOf: (agentId: string) => EgressPayload['mode'],
): Refusal | null {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return null;
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) return null;
  const o = v as Record<string, unknown>;
  if (typeof o.agent !== 'string' || !mine(o.agent)) return null;
  const rule = REMOTE_RULES.find((r) => r === o.rule);
  if (!rule) return null;
  const port =
    typeof o.port === 'number' && Number.isInteger(o.port) && o.port >= 0 && o.port <= 65535 ? o.port : null;
  const address = typeof o.address === 'string' && ipv4ToInt(o.address) !== null ? o.address : null;
  const host = typeof o.host === 'string' ? o.host.slice(0, 300) : null;
  return {
    agentId: o.agent,
    protocol: 'tcp',
    address,
    port,
    host: host === address ? null : host,
    mode: modeOf(o.agent),
    rule,
  };
}

/** The envelope's one-line `error` of an egress event, e.g. `refused tcp 203.0.113.7:443 (allowlist: not allowed)`. */
export function refusalLine(p: EgressPayload): string {
  const what =
    p.protocol === 'dns'
      ? `DNS lookup of ${p.host}`
      : `${p.protocol} ${p.address}${p.port !== null ? `:${p.port}` : ''}${p.host ? ` (${p.host})` : ''}`;
  return `refused ${what}: ${p.rule.replace('_', ' ')} (egress ${p.mode})`;
}

/** The `egress` trace event of a folded refusal. */
export function egressEvent(agentId: string, payload: EgressPayload, at: number): TraceEventOf<'egress'> {
  return traceEvent('egress', { agent_id: agentId, created_at: at, error: refusalLine(payload), payload });
}

interface Fold {
  payload: EgressPayload;
  extra: number;
  timer: NodeJS.Timeout;
}

/**
 * Folds and limits refusals before they become events: the first refusal of a destination is recorded at
 * once; repeats within {@link FOLD_WINDOW_MS} are counted and recorded as one more event when the window
 * ends; at most {@link EVENTS_PER_MINUTE} events per agent per minute (the rest is counted and reported
 * through `onDropped`, so a hostile agent cannot flood its trace or the disk).
 */
export class RefusalFolder {
  private readonly folds = new Map<string, Fold>();
  private readonly budget = new Map<string, { windowStart: number; used: number; dropped: number }>();

  constructor(
    private readonly record: (e: TraceEventOf<'egress'>) => void,
    private readonly onDropped: (agentId: string, count: number) => void,
    private readonly now: () => number = Date.now,
  ) {}

  /** Takes one refusal. */
  add(r: Refusal): void {
    const { agentId, ...rest } = r;
    const key = [agentId, rest.protocol, rest.address, rest.port, rest.host, rest.rule].join('|');
    const fold = this.folds.get(key);
    if (fold) {
      fold.extra += 1;
      return;
    }
    const payload: EgressPayload = { ...rest, count: 1 };
    const timer = setTimeout(() => this.flush(key, agentId), FOLD_WINDOW_MS);
    timer.unref();
    this.folds.set(key, { payload, extra: 0, timer });
    this.emit(agentId, payload);
  }

  private flush(key: string, agentId: string): void {
    const fold = this.folds.get(key);
    this.folds.delete(key);
    if (fold && fold.extra > 0) this.emit(agentId, { ...fold.payload, count: fold.extra });
  }

  private emit(agentId: string, payload: EgressPayload): void {
    const now = this.now();
    let b = this.budget.get(agentId);
    if (!b || now - b.windowStart >= 60_000) {
      if (b && b.dropped > 0) this.onDropped(agentId, b.dropped);
      b = { windowStart: now, used: 0, dropped: 0 };
      this.budget.set(agentId, b);
    }
    if (b.used >= EVENTS_PER_MINUTE) {
      b.dropped += payload.count;
      return;
    }
    b.used += 1;
    this.record(egressEvent(agentId, payload, now));
  }

  /** Records what is still folded (at shutdown) and stops the timers. */
  close(): void {
    for (const [key, fold] of [...this.folds]) {
      clearTimeout(fold.timer);
      this.flush(key, key.split('|')[0]!);
    }
  }
}
