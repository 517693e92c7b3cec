// Electron mock, web side: frames, sessions, web contents, windows, the app:// protocol and net.fetch.
import { EventEmitter } from 'node:events';
import fs from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { vi } from 'vitest';
import { app } from './app';
import { fakeEvent } from './events';

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

export const protocol = new FakeProtocol();
export const session = {
  defaultSession: new FakeSession(),
  fromPartition: (_partition: string) => session.defaultSession,
};
export const net = { fetch: vi.fn(netFetch) };

/** Puts `net.fetch` back to reading files. */
export function resetNet(): void {
  net.fetch.mockReset();
  net.fetch.mockImplementation(netFetch);
}
