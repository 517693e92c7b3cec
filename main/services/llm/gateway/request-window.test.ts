// The requests-per-minute window: expiry at exactly one minute, oldest/newest, and the front cut off at volume.
import { describe, expect, it } from 'vitest';
import { MINUTE_MS, RequestWindow } from './request-window';

describe('RequestWindow', () => {
  it('keeps the times of the last minute, dropping one that is exactly a minute old', () => {
    const w = new RequestWindow();
    expect(w.expire(0)).toBe(0);
    expect(w.oldest).toBeUndefined();
    w.push(1000);
    w.push(2000);
    w.push(3000);
    expect(w.expire(1000 + MINUTE_MS - 1)).toBe(3);
    expect(w.expire(1000 + MINUTE_MS)).toBe(2);
    expect(w.oldest).toBe(2000);
    expect(w.newest).toBe(3000);
    expect(w.expire(3000 + MINUTE_MS)).toBe(0);
    expect(w.size).toBe(0);
    expect(w.newest).toBeUndefined();
  });

  it('counts right across many expiries (the dropped front is cut off on the way)', () => {
    const w = new RequestWindow();
    // 2 requests per ms for 3 minutes: the window always holds the last minute's 120 000.
    let now = 0;
    let wrong = 0;
    for (; now < 3 * MINUTE_MS; now++) {
      w.push(now);
      w.push(now);
      if (now >= MINUTE_MS && w.expire(now) !== 2 * MINUTE_MS) wrong++;
    }
    expect(wrong).toBe(0);
    expect(w.oldest).toBe(now - MINUTE_MS);
    expect(w.newest).toBe(now - 1);
  });
});
