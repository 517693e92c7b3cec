// Per-agent limits of the trace path: posts per minute and bytes per hour, in sliding windows, with the 429 to answer.
import type { GatewayError } from './gateway/errors';

/** Limits of `POST /v1/agentdesk/trace`, per agent (the owner of the virtual key). */
export interface TraceLimits {
  /** Posts admitted in any 60 s. */
  postsPerMinute: number;
  /** Request-body bytes admitted in any 60 min. */
  bytesPerHour: number;
}

/**
 * The defaults: 240 posts per minute and 64 MiB per hour. The runtimes post one batch at a time (up to
 * 256 events, 768 KiB) and batch more while a post is under way, so a busy agent posts a few times per
 * model step, far below 4 per second; tool output is cut at 64 KiB per result by the runtime, so even
 * a step every 2 s with full outputs on every call stays under 64 MiB per hour. A prompt-injected agent
 * flooding its trace is held to at most 1.5 GiB of trace a day instead of what the disk holds.
 */
export const DEFAULT_TRACE_LIMITS: TraceLimits = { postsPerMinute: 240, bytesPerHour: 64 * 1024 * 1024 };

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;

/** A count over a sliding window, kept in buckets (at most window / bucket of them). */
class SlidingWindow {
  /** Bucket start (ms, ascending) and its count. */
  private readonly buckets: { at: number; n: number }[] = [];

  constructor(
    private readonly windowMs: number,
    private readonly bucketMs: number,
  ) {}

  private prune(now: number): void {
    while (this.buckets.length && this.buckets[0]!.at + this.bucketMs <= now - this.windowMs)
      this.buckets.shift();
  }

  total(now: number): number {
    this.prune(now);
    let t = 0;
    for (const b of this.buckets) t += b.n;
    return t;
  }

  add(now: number, n: number): void {
    const at = now - (now % this.bucketMs);
    const last = this.buckets.at(-1);
    if (last?.at === at) last.n += n;
    else this.buckets.push({ at, n });
  }

  /** Ms from `now` until the total is at most `limit - need` (0 when it already is). */
  waitMs(now: number, limit: number, need: number): number {
    let total = this.total(now);
    for (const b of this.buckets) {
      if (total + need <= limit) break;
      total -= b.n;
      // A bucket leaves the window once its whole span is older than the window.
      if (total + need <= limit) return Math.max(0, b.at + this.bucketMs + this.windowMs - now);
    }
    return total + need <= limit ? 0 : this.windowMs;
  }

  empty(now: number): boolean {
    return this.total(now) === 0;
  }
}

interface AgentCounters {
  posts: SlidingWindow;
  bytes: SlidingWindow;
  /** UTC ms of the last limit event recorded for this agent, 0 when none. */
  reportedAt: number;
}

/** When a refusal is worth a trace event: at most once per agent per this many ms. */
const REPORT_EVERY_MS = 10 * MINUTE_MS;

/** What {@link TraceQuota.admit} and {@link TraceQuota.charge} decide. */
export type QuotaVerdict =
  | { ok: true }
  | {
      ok: false;
      error: GatewayError;
      /** True when this refusal should be recorded in the agent's trace (the first in 10 minutes). */
      report: boolean;
    };

/**
 * Counts each agent's trace posts and bytes and refuses past {@link TraceLimits} with HTTP 429 and
 * `Retry-After`. Agents are counted apart: one agent flooding its trace never delays another.
 */
export class TraceQuota {
  private readonly agents = new Map<string, AgentCounters>();

  constructor(
    readonly limits: TraceLimits = DEFAULT_TRACE_LIMITS,
    private readonly now: () => number = Date.now,
  ) {}

  private of(owner: string): AgentCounters {
    let c = this.agents.get(owner);
    if (!c) {
      c = {
        posts: new SlidingWindow(MINUTE_MS, 1000),
        bytes: new SlidingWindow(HOUR_MS, MINUTE_MS),
        reportedAt: 0,
      };
      this.agents.set(owner, c);
    }
    return c;
  }

  /**
   * Admits one post of `owner` announcing `declaredBytes` (its Content-Length, 0 when unknown) and
   * counts it, or says why not (nothing is counted then).
   */
  admit(owner: string, declaredBytes: number): QuotaVerdict {
    const now = this.now();
    const c = this.of(owner);
    const { postsPerMinute, bytesPerHour } = this.limits;
    if (c.posts.total(now) + 1 > postsPerMinute)
      return this.refuse(c, now, postsError(postsPerMinute, c.posts.waitMs(now, postsPerMinute, 1)));
    if (c.bytes.total(now) + declaredBytes > bytesPerHour)
      return this.refuse(
        c,
        now,
        bytesError(bytesPerHour, c.bytes.waitMs(now, bytesPerHour, Math.min(declaredBytes, bytesPerHour))),
      );
    c.posts.add(now, 1);
    return { ok: true };
  }

  /** Counts the `bytes` of an admitted post's body, or refuses it when they pass the hourly quota (then nothing is counted). */
  charge(owner: string, bytes: number): QuotaVerdict {
    const now = this.now();
    const c = this.of(owner);
    const { bytesPerHour } = this.limits;
    if (c.bytes.total(now) + bytes > bytesPerHour)
      return this.refuse(c, now, bytesError(bytesPerHour, c.bytes.waitMs(now, bytesPerHour, bytes)));
    c.bytes.add(now, bytes);
    this.prune(now);
    return { ok: true };
  }

  private refuse(c: AgentCounters, now: number, error: GatewayError): QuotaVerdict {
    const report = now - c.reportedAt >= REPORT_EVERY_MS;
    if (report) c.reportedAt = now;
    return { ok: false, error, report };
  }

  /** Forgets agents with nothing in either window (keeps the map as small as the active agents). */
  private prune(now: number): void {
    if (this.agents.size < 64) return;
    for (const [owner, c] of this.agents)
      if (c.posts.empty(now) && c.bytes.empty(now) && now - c.reportedAt >= REPORT_EVERY_MS)
        this.agents.delete(owner);
  }
}

function retryAfter(ms: number): Record<string, string> {
  return { 'Retry-After': String(Math.max(1, Math.ceil(ms / 1000))) };
}

function postsError(limit: number, waitMs: number): GatewayError {
  return {
    status: 429,
    type: 'rate_limit_error',
    code: 'trace_rate_limited',
    message: `Trace rate limit of this agent reached: ${limit} posts per minute. Send events in batches (up to 256 per post); retry after ${Math.max(1, Math.ceil(waitMs / 1000))} s.`,
    headers: retryAfter(waitMs),
  };
}

function bytesError(limit: number, waitMs: number): GatewayError {
  const mib = Math.round(limit / 1024 / 1024);
  return {
    status: 429,
    type: 'rate_limit_error',
    code: 'trace_quota_exceeded',
    message: `Trace quota of this agent reached: ${mib} MiB of events per hour. Its events are refused for ${Math.max(1, Math.ceil(waitMs / 1000))} s; an agent that writes this much trace may be misbehaving.`,
    headers: retryAfter(waitMs),
  };
}
