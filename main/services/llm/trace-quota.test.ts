// The trace limits' sliding windows with a controlled clock: refusal, Retry-After, recovery, agents apart.
import { describe, expect, it } from 'vitest';
import { TraceQuota } from './trace-quota';

describe('TraceQuota', () => {
  it('admits posts up to the limit per minute, then refuses until the oldest second leaves the window', () => {
    let now = 1_000_000;
    const q = new TraceQuota({ postsPerMinute: 3, bytesPerHour: 1000 }, () => now);
    for (let i = 0; i < 3; i++) expect(q.admit('a', 0).ok).toBe(true);
    const refused = q.admit('a', 0);
    expect(refused).toMatchObject({
      ok: false,
      report: true,
      error: { status: 429, code: 'trace_rate_limited' },
    });
    expect(refused.ok === false && refused.error.headers?.['Retry-After']).toBe('61');
    expect(q.admit('b', 0).ok).toBe(true); // another agent is counted apart
    expect(q.admit('a', 0)).toMatchObject({ ok: false, report: false }); // reported once per 10 min
    now += 61_000;
    expect(q.admit('a', 0).ok).toBe(true);
  });

  it('counts bytes per hour, refusing a declared size that would pass it, and a body that does', () => {
    let now = 5_000_000;
    const q = new TraceQuota({ postsPerMinute: 1000, bytesPerHour: 1000 }, () => now);
    expect(q.admit('a', 600).ok).toBe(true);
    expect(q.charge('a', 600).ok).toBe(true);
    expect(q.admit('a', 500)).toMatchObject({ ok: false, error: { code: 'trace_quota_exceeded' } });
    expect(q.admit('a', 0).ok).toBe(true); // chunked: unknown size, admitted …
    expect(q.charge('a', 500)).toMatchObject({ ok: false, error: { code: 'trace_quota_exceeded' } }); // … refused once read
    expect(q.charge('a', 400).ok).toBe(true);
    now += 30 * 60_000;
    expect(q.admit('a', 1).ok).toBe(false);
    now += 31 * 60_000;
    expect(q.admit('a', 1000).ok).toBe(true);
  });
});
