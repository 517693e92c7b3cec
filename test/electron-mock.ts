// Global Electron mock (vitest setupFile): in-memory fakes of the Electron APIs Agent Desk uses, reset before every test.
//
// `vi.mock('electron')` here applies to every test file of the project that lists this file in
// `setupFiles`. Code under test imports 'electron' as usual and gets the fakes below; tests import
// `electronMock` from this file to drive them (invoke an ipcMain handler, fire will-navigate, …).
// The factory runs lazily (first import of 'electron'), after this module has finished evaluating.
import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeEach, vi } from 'vitest';

/** An Electron event object: `preventDefault()` plus the event's params. */
export type FakeEvent<P extends object = object> = P & { defaultPrevented: boolean; preventDefault(): void };

/** Makes an Electron-style event carrying `params`. */
export function fakeEvent<P extends object>(params: P = {} as P): FakeEvent<P> {
  const event = {
    ...params,
    defaultPrevented: false,
    preventDefault() {
      event.defaultPrevented = true;
    },
  };
  return event;
}

/** A `WebFrameMain`: its URL and parent frame (`null` for a main frame). */
export class FakeWebFrameMain {
  detached = false;
  constructor(
    public url: string,
    public parent: FakeWebFrameMain | null = null,
  ) {}
}

/** A `Session`: records permission handlers and webRequest listeners; `protocol` is the global fake. */
export class FakeSession {
  readonly webRequest = {
    onHeadersReceived: vi.fn<(listener: HeadersListener | null) => void>(),
  };
  readonly setPermissionRequestHandler = vi.fn<(h: PermissionRequestHandler | null) => void>();
  readonly setPermissionCheckHandler = vi.fn<(h: PermissionCheckHandler | null) => void>();
  get protocol(): FakeProtocol {
    return protocol;
  }

  /** Runs the last `onHeadersReceived` listener; resolves with what it answered. */
  headersReceived(details: {
    url: string;
    resourceType?: string;
    responseHeaders?: Record<string, string[]>;
  }): Promise<{ cancel?: boolean; responseHeaders?: Record<string, string | string[]> }> {
    const listener = this.webRequest.onHeadersReceived.mock.calls.at(-1)?.[0];
    if (!listener) throw new Error('no onHeadersReceived listener registered');
    return new Promise((resolve) => listener({ resourceType: 'mainFrame', ...details }, resolve));
  }

  /** Asks the registered permission request handler (details.requestingUrl defaults to the page's URL); resolves with its decision. */
  requestPermission(
    contents: FakeWebContents,
    permission: string,
    requestingUrl = contents.getURL(),
  ): Promise<boolean> {
    const handler = this.setPermissionRequestHandler.mock.calls.at(-1)?.[0];
    if (!handler) throw new Error('no permission request handler registered');
    return new Promise((resolve) => handler(contents, permission, resolve, { requestingUrl }));
  }

  /** Asks the registered permission check handler (true when none: Electron's default is to allow). */
  checkPermission(contents: FakeWebContents | null, permission: string, origin: string): boolean {
    const handler = this.setPermissionCheckHandler.mock.calls.at(-1)?.[0];
    return handler ? handler(contents, permission, origin, {}) : true;
  }

  reset(): void {
    for (const fn of [
      this.webRequest.onHeadersReceived,
      this.setPermissionRequestHandler,
      this.setPermissionCheckHandler,
    ])
      fn.mockReset();
  }
}
type HeadersListener = (
  details: Record<string, unknown>,
  cb: (r: { cancel?: boolean; responseHeaders?: Record<string, string | string[]> }) => void,
) => void;
type PermissionRequestHandler = (
  wc: unknown,
  permission: string,
  cb: (granted: boolean) => void,
  details: unknown,
) => void;
type PermissionCheckHandler = (wc: unknown, permission: string, origin: string, details: unknown) => boolean;

let nextWebContentsId = 1;

/** A `WebContents`: emits will-navigate & co., records its window-open handler and what it was sent. */
export class FakeWebContents extends EventEmitter {
  readonly id = nextWebContentsId++;
  readonly mainFrame = new FakeWebFrameMain('about:blank');
  readonly session = session.defaultSession;
  readonly send = vi.fn<(channel: string, ...args: unknown[]) => void>();
  windowOpenHandler:
    | ((details: { url: string; frameName: string; features: string; disposition: string }) => {
        action: 'allow' | 'deny';
      })
    | null = null;
  private destroyed = false;

  readonly loadURL = vi.fn((url: string): Promise<void> => {
    this.mainFrame.url = url;
    return Promise.resolve();
  });
  setWindowOpenHandler(handler: NonNullable<FakeWebContents['windowOpenHandler']>): void {
    this.windowOpenHandler = handler;
  }
  getURL(): string {
    return this.mainFrame.url;
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }
  destroy(): void {
    this.destroyed = true;
    this.emit('destroyed');
  }

  /** Simulates `window.open(url)`; returns the handler's answer (Electron allows when there is none). */
  openWindow(url: string): { action: 'allow' | 'deny' } {
    return this.windowOpenHandler
      ? this.windowOpenHandler({ url, frameName: '', features: '', disposition: 'new-window' })
      : { action: 'allow' };
  }

  /** Fires `will-navigate` then, if not prevented, `will-frame-navigate`; returns true when the navigation was prevented. */
  navigate(url: string): boolean {
    const event = fakeEvent({
      url,
      isSameDocument: false,
      isMainFrame: true,
      frame: this.mainFrame,
      initiator: this.mainFrame,
    });
    this.emit('will-navigate', event, url);
    if (!event.defaultPrevented) this.emit('will-frame-navigate', event);
    if (!event.defaultPrevented) this.mainFrame.url = url;
    return event.defaultPrevented;
  }

  /** Fires `will-redirect`; returns true when prevented. */
  redirect(url: string): boolean {
    const event = fakeEvent({ url, isSameDocument: false, isMainFrame: true, frame: this.mainFrame });
    this.emit('will-redirect', event, url);
    return event.defaultPrevented;
  }
}

/** A `BrowserWindow`: records its constructor options; `created` lists every instance since the last reset. */
export class FakeBrowserWindow extends EventEmitter {
  static created: FakeBrowserWindow[] = [];
  static getAllWindows(): FakeBrowserWindow[] {
    return FakeBrowserWindow.created.filter((w) => !w.destroyed);
  }
  static fromWebContents(contents: FakeWebContents): FakeBrowserWindow | null {
    return FakeBrowserWindow.created.find((w) => w.webContents === contents) ?? null;
  }

  readonly webContents = new FakeWebContents();
  visible = false;
  minimized = false;
  focused = false;
  private destroyed = false;

  constructor(readonly options: Record<string, unknown> = {}) {
    super();
    FakeBrowserWindow.created.push(this);
    app.emit('web-contents-created', fakeEvent(), this.webContents);
  }
  loadURL(url: string): Promise<void> {
    return this.webContents.loadURL(url);
  }
  show(): void {
    this.visible = true;
    this.emit('show');
  }
  hide(): void {
    this.visible = false;
  }
  focus(): void {
    this.focused = true;
  }
  restore(): void {
    this.minimized = false;
  }
  minimize(): void {
    this.minimized = true;
  }
  isMinimized(): boolean {
    return this.minimized;
  }
  isVisible(): boolean {
    return this.visible;
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }
  /** Closes the window the way a user does: `close`, then `closed`, then `window-all-closed` on the app if it was the last. */
  close(): void {
    const event = fakeEvent();
    this.emit('close', event);
    if (event.defaultPrevented) return;
    this.destroy();
  }
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.webContents.destroy();
    this.emit('closed');
    if (FakeBrowserWindow.getAllWindows().length === 0) app.emit('window-all-closed');
  }
}

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

/** `protocol`: privileged schemes and `handle`d handlers; `request(url)` runs a handler like Chromium would. */
export class FakeProtocol {
  readonly privileged: { scheme: string; privileges?: Record<string, boolean> }[] = [];
  /** Whether the app was ready when `registerSchemesAsPrivileged` was last called (Electron requires it before ready). */
  registeredAfterReady = false;
  readonly handlers = new Map<string, (request: Request) => Response | Promise<Response>>();
  registerSchemesAsPrivileged(schemes: { scheme: string; privileges?: Record<string, boolean> }[]): void {
    this.registeredAfterReady = app.isReady();
    this.privileged.push(...schemes);
  }
  handle(scheme: string, handler: (request: Request) => Response | Promise<Response>): void {
    if (this.handlers.has(scheme)) throw new Error(`The scheme has been handled: ${scheme}`);
    this.handlers.set(scheme, handler);
  }
  unhandle(scheme: string): void {
    this.handlers.delete(scheme);
  }
  isProtocolHandled(scheme: string): boolean {
    return this.handlers.has(scheme);
  }
  /** Builds a Request for `url` (the WHATWG parser resolves `..` segments, as Chromium does) and runs the handler. */
  async request(url: string, init?: RequestInit): Promise<Response> {
    const scheme = url.slice(0, url.indexOf(':'));
    const handler = this.handlers.get(scheme);
    if (!handler) throw new Error(`net::ERR_UNKNOWN_URL_SCHEME ${scheme}`);
    return await handler(new Request(url, init));
  }
  reset(): void {
    this.privileged.length = 0;
    this.registeredAfterReady = false;
    this.handlers.clear();
  }
}

/** `net.fetch`, able to read `file:` URLs from disk (rejects like Chromium for a missing file). */
async function netFetch(input: string | Request): Promise<Response> {
  const url = typeof input === 'string' ? input : input.url;
  if (!url.startsWith('file:'))
    throw new Error(`electron-mock net.fetch: only file: URLs are served, got ${url}`);
  try {
    return new Response(await fs.readFile(fileURLToPath(url)), { status: 200 });
  } catch {
    throw new Error('net::ERR_FILE_NOT_FOUND');
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
    ])
      fn.mockClear();
  }
}

/** A `NativeImage` made from a file path or a buffer; `empty` when the file did not exist (as Electron does). */
export class FakeNativeImage {
  templateImage = false;
  constructor(
    readonly source: string,
    private readonly empty: boolean,
  ) {}
  isEmpty(): boolean {
    return this.empty;
  }
  setTemplateImage(on: boolean): void {
    this.templateImage = on;
  }
}

/** `nativeImage`: `createFromPath` gives an empty image for a missing file, like Electron. */
export const nativeImage = {
  createFromPath: vi.fn((p: string) => new FakeNativeImage(p, !existsSync(p))),
  createEmpty: vi.fn(() => new FakeNativeImage('', true)),
};

/** A menu item template as `Menu.buildFromTemplate` takes it (the subset Agent Desk uses). */
export interface FakeMenuItemOptions {
  id?: string;
  label?: string;
  type?: 'normal' | 'separator' | 'submenu' | 'checkbox' | 'radio';
  enabled?: boolean;
  toolTip?: string;
  click?: (...args: unknown[]) => void;
  submenu?: FakeMenuItemOptions[];
  role?: string;
}

/** A `Menu` built from a template: `items` is the template, `click(labels…)` runs an item found by its label path. */
export class FakeMenu {
  constructor(readonly items: FakeMenuItemOptions[]) {}
  static buildFromTemplate(template: FakeMenuItemOptions[]): FakeMenu {
    return new FakeMenu(template);
  }
  /** The labels of the top-level items (separators as `---`). */
  labels(): string[] {
    return this.items.map((i) => (i.type === 'separator' ? '---' : (i.label ?? '')));
  }
  /** Finds an item by its label path (`['🤖 Ada · running', 'Stop']`). @throws when there is none. */
  find(...labels: string[]): FakeMenuItemOptions {
    let items = this.items;
    let found: FakeMenuItemOptions | undefined;
    for (const label of labels) {
      found = items.find((i) => i.label === label);
      if (!found) throw new Error(`no menu item "${label}" among ${items.map((i) => i.label).join(', ')}`);
      items = found.submenu ?? [];
    }
    if (!found) throw new Error('no label given');
    return found;
  }
  /** Clicks the item at the label path, as a user would (refuses a disabled item). */
  click(...labels: string[]): void {
    const item = this.find(...labels);
    if (item.enabled === false) throw new Error(`menu item "${labels.join(' › ')}" is disabled`);
    item.click?.(item, undefined, {});
  }
}

/** A `Tray`: its image, tooltip and context menu; `created` lists every instance since the last reset. */
export class FakeTray extends EventEmitter {
  static created: FakeTray[] = [];
  image: FakeNativeImage | string;
  toolTip = '';
  contextMenu: FakeMenu | null = null;
  private destroyed = false;
  constructor(image: FakeNativeImage | string) {
    super();
    this.image = image;
    FakeTray.created.push(this);
  }
  setImage(image: FakeNativeImage | string): void {
    this.image = image;
  }
  setToolTip(text: string): void {
    this.toolTip = text;
  }
  setContextMenu(menu: FakeMenu | null): void {
    this.contextMenu = menu;
  }
  destroy(): void {
    this.destroyed = true;
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }
}

/** A `Notification`: records its options and whether it was shown; `shown` lists every shown one since the last reset. */
export class FakeNotification extends EventEmitter {
  static shown: FakeNotification[] = [];
  static supported = true;
  static isSupported(): boolean {
    return FakeNotification.supported;
  }
  constructor(readonly options: { title?: string; body?: string; silent?: boolean; icon?: unknown } = {}) {
    super();
  }
  get title(): string {
    return this.options.title ?? '';
  }
  get body(): string {
    return this.options.body ?? '';
  }
  show(): void {
    FakeNotification.shown.push(this);
    this.emit('show', fakeEvent());
  }
  close(): void {
    this.emit('close', fakeEvent());
  }
  /** Simulates the user clicking the notification. */
  click(): void {
    this.emit('click', fakeEvent());
  }
}

export const app = new FakeApp();
export const ipcMain = new FakeIpcMain();
export const ipcRenderer = new FakeIpcRenderer();
export const protocol = new FakeProtocol();
export const session = {
  defaultSession: new FakeSession(),
  fromPartition: (_partition: string) => session.defaultSession,
};
export const shell = {
  openExternal: vi.fn((_url: string) => Promise.resolve()),
  openPath: vi.fn((_p: string) => Promise.resolve('')),
};
export const net = { fetch: vi.fn(netFetch) };
export const dialog = {
  showErrorBox: vi.fn(),
  showMessageBox: vi.fn(() => Promise.resolve({ response: 0, checkboxChecked: false })),
};
/** `contextBridge`: `exposed` holds what the preload put in the main world, by key. */
export const contextBridge = {
  exposed: {} as Record<string, unknown>,
  exposeInMainWorld: vi.fn((key: string, api: unknown) => {
    if (key in contextBridge.exposed)
      throw new Error(`Cannot bind an API on top of an existing property on the window object: ${key}`);
    contextBridge.exposed[key] = api;
  }),
};

/** Everything the mock offers, for tests: `electronMock.ipcMain.invoke(...)`, `electronMock.app.setReady()`, … */
export const electronMock = {
  app,
  BrowserWindow: FakeBrowserWindow,
  ipcMain,
  ipcRenderer,
  protocol,
  session,
  shell,
  net,
  dialog,
  contextBridge,
  Tray: FakeTray,
  Menu: FakeMenu,
  Notification: FakeNotification,
  nativeImage,
  fakeEvent,
  FakeWebFrameMain,
  FakeWebContents,
};

/** Puts every fake back to its initial state (run before each test). */
export function resetElectronMock(): void {
  app.reset();
  FakeBrowserWindow.created = [];
  ipcMain.reset();
  ipcRenderer.reset();
  protocol.reset();
  session.defaultSession.reset();
  shell.openExternal.mockClear();
  shell.openPath.mockClear();
  net.fetch.mockReset();
  net.fetch.mockImplementation(netFetch);
  dialog.showErrorBox.mockClear();
  dialog.showMessageBox.mockClear();
  contextBridge.exposed = {};
  contextBridge.exposeInMainWorld.mockClear();
  FakeTray.created = [];
  FakeNotification.shown = [];
  FakeNotification.supported = true;
  nativeImage.createFromPath.mockClear();
  nativeImage.createEmpty.mockClear();
}

const electronModule = {
  app,
  BrowserWindow: FakeBrowserWindow,
  ipcMain,
  ipcRenderer,
  protocol,
  session,
  shell,
  net,
  dialog,
  contextBridge,
  Tray: FakeTray,
  Menu: FakeMenu,
  Notification: FakeNotification,
  nativeImage,
};

vi.mock('electron', () => ({ ...electronModule, default: electronModule }));

beforeEach(() => {
  resetElectronMock();
});
