// Unit tests of transport selection and of the event payload check against the contract.
import { describe, expect, it, vi } from 'vitest';
import type { Transport } from '../../../contract/client';
import { connectToCore, withCheckedEvents } from './index';
import type { PageEnv } from './index';

function page(hash: string, bridge?: PageEnv['bridge']): PageEnv {
  const store = new Map<string, string>();
  return {
    ...(bridge ? { bridge } : {}),
    origin: 'http://127.0.0.1:1',
    fetch: vi.fn(() => Promise.resolve(new Response(JSON.stringify({ ok: true, value: {} })))),
    location: { hash, pathname: '/', search: '' },
    history: { replaceState: () => undefined, state: null },
    storage: {
      getItem: (k) => store.get(k) ?? null,
      setItem: (k, v) => void store.set(k, v),
      removeItem: (k) => void store.delete(k),
    },
  };
}

describe('connectToCore', () => {
  it('uses IPC when the preload bridge is there', () => {
    const bridge = { invoke: vi.fn(), on: vi.fn() };
    expect(connectToCore(page('', bridge), () => undefined)).toMatchObject({ kind: 'ready', mode: 'ipc' });
  });

  it('uses HTTP with the token from the fragment', async () => {
    const env = page('#token=t1');
    const conn = connectToCore(env, () => undefined);
    expect(conn).toMatchObject({ kind: 'ready', mode: 'http' });
    if (conn.kind !== 'ready') return;
    await conn.client.system.info({});
    expect(env.fetch).toHaveBeenCalledWith(
      'http://127.0.0.1:1/api/system/info',
      expect.objectContaining({ method: 'POST' }),
    );
  });

  it('reports no-token when served over HTTP without a token', () => {
    expect(connectToCore(page(''), () => undefined)).toEqual({ kind: 'no-token' });
  });
});

describe('withCheckedEvents', () => {
  it('passes payloads that match the contract and drops the others', () => {
    let emit: (p: unknown) => void = () => undefined;
    const inner: Transport = { invoke: vi.fn(), on: (_e, l) => ((emit = l), () => undefined) };
    const got: unknown[] = [];
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    withCheckedEvents(inner).on('health.changed', (p) => got.push(p));
    emit({ components: [], checked_at: 1 });
    emit({ components: 'nope' });
    expect(got).toEqual([{ components: [], checked_at: 1 }]);
    expect(warn).toHaveBeenCalledOnce();
    warn.mockRestore();
  });
});
