// Unit tests of the IPC transport over a fake preload bridge.
import { describe, expect, expectTypeOf, it, vi } from 'vitest';
import type { Bridge as ContractBridge } from '../../../contract/bridge';
import type { ReachSignal } from './connection';
import { isUnreachableError } from './connection';
import { createIpcTransport } from './transport-ipc';
import type { Bridge } from './transport-ipc';

describe('IPC transport', () => {
  it('prefixes calls with api: and events with evt:', async () => {
    const off = vi.fn();
    const bridge: Bridge = {
      invoke: vi.fn(() => Promise.resolve({ ok: true as const, value: 42 })),
      on: vi.fn(() => off),
    };
    const t = createIpcTransport(bridge);
    expect(await t.invoke('system.info', {})).toEqual({ ok: true, value: 42 });
    expect(bridge.invoke).toHaveBeenCalledWith('api:system.info', {});
    const listener = (): void => undefined;
    expect(t.on('health.changed', listener)).toBe(off);
    expect(bridge.on).toHaveBeenCalledWith('evt:health.changed', listener);
  });

  it('turns a rejected invoke into the unreachable envelope and reports it', async () => {
    const reach: ReachSignal[] = [];
    const bridge: Bridge = {
      invoke: () => Promise.reject(new Error('No handler registered')),
      on: () => () => undefined,
    };
    const result = await createIpcTransport(bridge, (s) => reach.push(s)).invoke('system.health', {});
    expect(result.ok).toBe(false);
    if (!result.ok) expect(isUnreachableError(result.error)).toBe(true);
    expect(reach).toEqual(['unreachable']);
  });

  it('refuses an answer that is not an envelope', async () => {
    const bridge: Bridge = { invoke: () => Promise.resolve('nonsense' as never), on: () => () => undefined };
    expect(await createIpcTransport(bridge).invoke('system.info', {})).toMatchObject({
      ok: false,
      error: { code: 'INTERNAL' },
    });
  });
});

describe('window.bridge', () => {
  it('is typed as the contract’s bridge (contract/bridge.ts), present only inside Electron', () => {
    expectTypeOf<Window['bridge']>().toEqualTypeOf<ContractBridge | undefined>();
  });
});
