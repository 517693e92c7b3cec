// Electron mock, process side: app (ready, single-instance lock, quit, login items) and the IPC endpoints.
import { EventEmitter } from 'node:events';
import os from 'node:os';
import path from 'node:path';
import { vi } from 'vitest';
import { fakeEvent } from './events';
import type { FakeWebContents, FakeWebFrameMain } from './web';

/** `ipcMain`: records `handle` registrations so tests can call them with a crafted event. */
export class FakeIpcMain extends EventEmitter {
  readonly handlers = new Map<string, (event: unknown, ...args: unknown[]) => unknown>();
  handle(channel: string, listener: (event: unknown, ...args: unknown[]) => unknown): void {
    // Same refusal as Electron's ipcMain.handle.
    if (this.handlers.has(channel))
      throw new Error(`Attempted to register a second handler for '${channel}'`);
    this.handlers.set(channel, listener);
  }
  removeHandler(channel: string): void {
    this.handlers.delete(channel);
  }
  /** Calls the handler of `channel` as Electron would for `ipcRenderer.invoke(channel, ...args)`; rejects when none. */
  async invoke(
    channel: string,
    event: { senderFrame: FakeWebFrameMain | null; sender: FakeWebContents },
    ...args: unknown[]
  ): Promise<unknown> {
    const handler = this.handlers.get(channel);
    if (!handler) throw new Error(`No handler registered for '${channel}'`);
    return await handler({ ...event, processId: 1, frameId: 1, type: 'frame' }, ...args);
  }
  reset(): void {
    this.handlers.clear();
    this.removeAllListeners();
  }
}

/** `ipcRenderer`: `invoke` is a spy (resolves undefined unless re-mocked); `emitFromMain` delivers a message like main would. */
export class FakeIpcRenderer extends EventEmitter {
  readonly invoke = vi.fn<(channel: string, ...args: unknown[]) => Promise<unknown>>(() =>
    Promise.resolve(undefined),
  );
  readonly send = vi.fn();
  /** Delivers `payload` on `channel` with an IpcRendererEvent first, as Electron does. */
  emitFromMain(channel: string, payload: unknown): void {
    this.emit(channel, { sender: this, senderId: 0, ports: [] }, payload);
  }
  reset(): void {
    this.invoke.mockReset();
    this.invoke.mockImplementation(() => Promise.resolve(undefined));
    this.send.mockReset();
    this.removeAllListeners();
  }
}

/** `app`: ready state driven by `setReady()`, single-instance lock by `lockAvailable`, quit/exit recorded. */
export class FakeApp extends EventEmitter {
  isPackaged = false;
  lockAvailable = true;
  exitCode: number | null = null;
  quitRequested = false;
  private ready = false;
  private readyWaiters: (() => void)[] = [];
  readonly paths = new Map<string, string>();

  readonly requestSingleInstanceLock = vi.fn(() => this.lockAvailable);
  readonly enableSandbox = vi.fn();
  readonly focus = vi.fn();
  readonly getName = vi.fn(() => 'agentdesk');
  readonly getVersion = vi.fn(() => '0.0.0-test');
  /** What `getLoginItemSettings()` answers (tests set `wasOpenedAtLogin` to simulate a login start on macOS). */
  loginItem = { openAtLogin: false, openAsHidden: false, wasOpenedAtLogin: false, wasOpenedAsHidden: false };
  readonly setLoginItemSettings = vi.fn(
    (settings: { openAtLogin?: boolean; openAsHidden?: boolean; path?: string; args?: string[] }) => {
      this.loginItem.openAtLogin = settings.openAtLogin ?? false;
      this.loginItem.openAsHidden = settings.openAsHidden ?? false;
    },
  );
  readonly getLoginItemSettings = vi.fn((_options?: { path?: string; args?: string[] }) => ({
    ...this.loginItem,
  }));
  readonly getAppPath = vi.fn(() => path.join(os.tmpdir(), 'agentdesk-electron-mock', 'app'));
  /** `app.relaunch(options)`: recorded only (the app is not started again). */
  readonly relaunch = vi.fn((_options?: { args?: string[]; execPath?: string }) => undefined);
  readonly exit = vi.fn((code: number = 0) => {
    this.exitCode = code;
  });
  /** Like Electron: emits `before-quit` (preventable); if not prevented, records the quit and emits `will-quit` and `quit`. */
  readonly quit = vi.fn(() => {
    const event = fakeEvent();
    this.emit('before-quit', event);
    if (event.defaultPrevented) return;
    this.quitRequested = true;
    this.emit('will-quit', fakeEvent());
    this.emit('quit', fakeEvent(), 0);
  });

  isReady(): boolean {
    return this.ready;
  }
  whenReady(): Promise<void> {
    if (this.ready) return Promise.resolve();
    return new Promise((resolve) => this.readyWaiters.push(resolve));
  }
  /** Makes the app ready: emits `ready` and resolves `whenReady()`. */
  setReady(): void {
    if (this.ready) return;
    this.ready = true;
    this.emit('ready', fakeEvent(), {});
    for (const resolve of this.readyWaiters.splice(0)) resolve();
  }
  getPath(name: string): string {
    return this.paths.get(name) ?? path.join(os.tmpdir(), 'agentdesk-electron-mock', name);
  }
  setPath(name: string, value: string): void {
    this.paths.set(name, value);
  }
  reset(): void {
    this.removeAllListeners();
    this.isPackaged = false;
    this.lockAvailable = true;
    this.exitCode = null;
    this.quitRequested = false;
    this.ready = false;
    this.readyWaiters = [];
    this.paths.clear();
    this.loginItem = {
      openAtLogin: false,
      openAsHidden: false,
      wasOpenedAtLogin: false,
      wasOpenedAsHidden: false,
    };
    for (const fn of [
      this.requestSingleInstanceLock,
      this.enableSandbox,
      this.focus,
      this.exit,
      this.quit,
      this.setLoginItemSettings,
      this.getLoginItemSettings,
      this.getAppPath,
      this.relaunch,
    ])
      fn.mockClear();
  }
}

export const app = new FakeApp();
export const ipcMain = new FakeIpcMain();
export const ipcRenderer = new FakeIpcRenderer();
