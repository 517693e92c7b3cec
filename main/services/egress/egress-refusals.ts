// Turns refused connections and lookups into `egress` trace events: why they were refused, folded and rate-limited.
import crypto from 'node:crypto';
import type { EgressPayload } from '../../../contract/egress';
import { NEVER_ALLOWED, inCidr } from '../../../contract/egress';
import type { TraceEventOf } from '../../../contract/traces';
import type { RefusedPacket } from './kernel-log';
import { NO_MODEL_CALL } from '../traces/no-model-call';

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
  return {
    v: 1,
    id: crypto.randomUUID(),
    trace_id: null,
    parent_id: null,
    created_at: at,
    agent_id: agentId,
    kind: 'egress',
    channel_id: null,
    thread_id: null,
    ...NO_MODEL_CALL,
    error: refusalLine(payload),
    payload,
  };
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
