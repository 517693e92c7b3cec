// Unit tests of the connection store: signals → status, probing with backoff while lost, reconnect count.
import { describe, expect, it } from 'vitest';
import { createFakeCore, FakeCoreError } from '../../test/fake-client';
import { createConnectionStore, selectConnectionLost } from './index';

function timers(): {
  setTimeout: (fn: () => void, ms: number) => unknown;
  clearTimeout: (h: unknown) => void;
  fire: () => number | undefined;
  count: () => number;
} {
  const queue = new Map<number, { fn: () => void; ms: number }>();
  let id = 0;
  return {
    setTimeout: (fn, ms) => (queue.set(++id, { fn, ms }), id),
    clearTimeout: (h) => void queue.delete(h as number),
    fire: () => {
      const first = [...queue.entries()][0];
      if (!first) return undefined;
      queue.delete(first[0]);
      first[1].fn();
      return first[1].ms;
    },
    count: () => queue.size,
  };
}

describe('connection store', () => {
  it('goes online on the first answer and stays unauthorized once refused', () => {
    const core = createFakeCore();
    const store = createConnectionStore(() => core.client, timers());
    expect(store.getState().status).toBe('connecting');
    store.getState().report('reachable');
    expect(store.getState().status).toBe('online');
    store.getState().report('unauthorized');
    store.getState().report('reachable');
    expect(store.getState().status).toBe('unauthorized');
  });

  it('while lost, probes system.info with growing delays, and counts the reconnect', async () => {
    const core = createFakeCore();
    const t = timers();
    const store = createConnectionStore(() => core.client, {
      ...t,
      backoff: { initialMs: 100, maxMs: 1000, jitter: 0 },
    });
    store.getState().report('reachable');
    core.handle('system.info', () => {
      throw new FakeCoreError({ code: 'UNAVAILABLE', message: 'down' });
    });
    store.getState().report('unreachable');
    store.getState().report('unreachable');
    expect(selectConnectionLost(store.getState())).toBe(true);
    expect(t.count()).toBe(1);
    expect(t.fire()).toBe(100);
    await Promise.resolve();
    await new Promise((r) => setTimeout(r, 0));
    expect(t.fire()).toBe(200);
    expect(core.calls.filter((c) => c.channel === 'system.info')).toHaveLength(2);
    store.getState().report('reachable');
    expect(store.getState()).toMatchObject({ status: 'online', reconnects: 1, probeFailures: 0 });
    expect(t.count()).toBe(0);
  });
});
