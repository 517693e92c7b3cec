// The preload exposes exactly `window.bridge = { invoke, on }`, refuses foreign channels, and never leaks the IPC event.
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { API_CHANNEL_PREFIX, EVENT_CHANNEL_PREFIX } from '../contract/bridge';
import { electronMock } from '../test/electron-mock';
import type { Bridge } from './index';

async function loadPreload(): Promise<Bridge> {
  vi.resetModules();
  await import('./index');
  return electronMock.contextBridge.exposed.bridge as Bridge;
}

describe('preload bridge', () => {
  let bridge: Bridge;
  beforeEach(async () => {
    bridge = await loadPreload();
  });

  it('exposes one object, `bridge`, with exactly invoke and on', () => {
    expect(electronMock.contextBridge.exposeInMainWorld).toHaveBeenCalledTimes(1);
    expect(Object.keys(electronMock.contextBridge.exposed)).toEqual(['bridge']);
    expect(Object.keys(bridge).sort()).toEqual(['invoke', 'on']);
  });

  it('uses the same prefixes as the contract', async () => {
    const { API_PREFIX, EVENT_PREFIX } = await import('./index');
    expect(API_PREFIX).toBe(API_CHANNEL_PREFIX);
    expect(EVENT_PREFIX).toBe(EVENT_CHANNEL_PREFIX);
  });

  it('invokes api: channels with the one input and resolves with what main answered', async () => {
    electronMock.ipcRenderer.invoke.mockResolvedValueOnce({ ok: true, value: 42 });
    await expect(bridge.invoke('api:system.info', { a: 1 })).resolves.toEqual({ ok: true, value: 42 });
    expect(electronMock.ipcRenderer.invoke).toHaveBeenCalledWith('api:system.info', { a: 1 });
  });

  it.each([
    'evt:health.changed',
    'system.info',
    'API:system.info',
    'api:',
    '',
    'ELECTRON_BROWSER_REQUIRE',
    'x'.repeat(300),
  ])('refuses invoke on %j without calling ipcRenderer', async (channel) => {
    await expect(bridge.invoke(channel, {})).rejects.toThrow(/refused channel/);
    expect(electronMock.ipcRenderer.invoke).not.toHaveBeenCalled();
  });

  it('refuses a non-string channel', async () => {
    await expect(bridge.invoke(42 as unknown as string, {})).rejects.toThrow(/refused channel/);
    expect(() => bridge.on({} as unknown as string, () => undefined)).toThrow(/refused channel/);
  });

  it.each(['api:system.info', 'health.changed', 'EVT:x', 'evt:'])('refuses on(%j)', (channel) => {
    expect(() => bridge.on(channel, () => undefined)).toThrow(/refused channel/);
    expect(electronMock.ipcRenderer.listenerCount(channel)).toBe(0);
  });

  it('refuses a listener that is not a function', () => {
    expect(() => bridge.on('evt:health.changed', 'nope' as unknown as () => void)).toThrow(TypeError);
  });

  it('hands the page the payload only, never the IpcRendererEvent', () => {
    const listener = vi.fn();
    bridge.on('evt:settings.changed', listener);
    electronMock.ipcRenderer.emitFromMain('evt:settings.changed', { theme: 'dark' });
    expect(listener).toHaveBeenCalledTimes(1);
    expect(listener.mock.calls[0]).toEqual([{ theme: 'dark' }]);
  });

  it('on returns an unsubscribe that stops delivery (and is safe to call twice)', () => {
    const listener = vi.fn();
    const off = bridge.on('evt:settings.changed', listener);
    expect(electronMock.ipcRenderer.listenerCount('evt:settings.changed')).toBe(1);
    off();
    off();
    electronMock.ipcRenderer.emitFromMain('evt:settings.changed', {});
    expect(listener).not.toHaveBeenCalled();
    expect(electronMock.ipcRenderer.listenerCount('evt:settings.changed')).toBe(0);
  });
});
