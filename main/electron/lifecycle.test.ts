// The desktop lifecycle: single instance, core start, hardened window, IPC end to end with a real core, shutdown once.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Mock } from 'vitest';
import { startCore } from '../app/bootstrap';
import { electronMock } from '../../test/electron-mock';
import type { FakeBrowserWindow } from '../../test/electron-mock';
import { runDesktop } from './lifecycle';
import type { DesktopCore, DesktopOptions } from './lifecycle';
import type { BackgroundShell, WindowControls } from './desktop-shell';
import { CONTENT_SECURITY_POLICY } from './security';
import { testOptions } from '../../test/app-options';

const { app } = electronMock;
let home: string;
let rendererDir: string;

beforeEach(() => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-shell-'));
  rendererDir = path.join(home, 'renderer');
  fs.mkdirSync(rendererDir);
  fs.writeFileSync(path.join(rendererDir, 'index.html'), '<!doctype html><title>Agent Desk</title>');
});
afterEach(() => fs.rmSync(home, { recursive: true, force: true }));

function fakeCore(): Omit<DesktopCore, 'shutdown'> & { shutdown: Mock<() => Promise<void>> } {
  return {
    dispatcher: { dispatch: vi.fn(() => Promise.resolve({ ok: true as const, value: 'pong' })) },
    bus: { onAny: () => () => undefined },
    log: { info: vi.fn(), warn: vi.fn(), error: vi.fn(), debug: vi.fn() },
    shutdown: vi.fn(() => Promise.resolve()),
  };
}

function options(overrides: Partial<DesktopOptions> = {}): DesktopOptions {
  const core = fakeCore();
  return {
    startCore: vi.fn(() => Promise.resolve(core)),
    preloadPath: '/app/out/preload/index.js',
    rendererDir,
    env: { AGENTDESK_HOME: path.join(home, 'data') },
    handleSignals: false,
    ...overrides,
  };
}

function background(
  over: Partial<BackgroundShell> = {},
): Omit<BackgroundShell, 'dispose'> & { dispose: Mock<() => void> } {
  return {
    trayAvailable: false,
    startHidden: false,
    keepRunningWithoutWindows: () => false,
    ...over,
    dispose: vi.fn(),
  };
}

/** Starts the shell the way Electron does: runDesktop before ready, then ready. */
async function start(opts: DesktopOptions) {
  const outcome = runDesktop(opts);
  app.setReady();
  return outcome;
}

function mainWindow(): FakeBrowserWindow {
  const [win] = electronMock.BrowserWindow.getAllWindows();
  if (!win) throw new Error('no window');
  return win;
}

describe('single instance', () => {
  it('a second instance quits at once and starts nothing', async () => {
    app.lockAvailable = false;
    const opts = options();
    await expect(start(opts)).resolves.toBe('second-instance');
    expect(app.quit).toHaveBeenCalled();
    expect(opts.startCore).not.toHaveBeenCalled();
    expect(electronMock.BrowserWindow.created).toHaveLength(0);
    expect(electronMock.ipcMain.handlers.size).toBe(0);
  });

  it('the first instance brings its window to the front when a second one starts', async () => {
    await expect(start(options())).resolves.toBe('running');
    const win = mainWindow();
    win.minimize();
    win.focused = false;
    app.emit('second-instance', electronMock.fakeEvent(), ['agentdesk'], '/');
    expect(win.isMinimized()).toBe(false);
    expect(win.focused).toBe(true);
    expect(electronMock.BrowserWindow.created).toHaveLength(1);
  });
});

describe('start', () => {
  it('registers the app: scheme and enables the sandbox before ready', async () => {
    const outcome = runDesktop(options());
    expect(electronMock.protocol.privileged.map((s) => s.scheme)).toEqual(['app']);
    expect(electronMock.protocol.registeredAfterReady).toBe(false);
    expect(app.enableSandbox).toHaveBeenCalled();
    app.setReady();
    await outcome;
  });

  it('starts the core in AGENTDESK_HOME and makes it Electron userData too', async () => {
    const opts = options();
    await start(opts);
    expect(opts.startCore).toHaveBeenCalledWith({ home: path.join(home, 'data'), mode: 'electron' });
    expect(app.getPath('userData')).toBe(path.join(home, 'data'));
  });

  it('uses userData when AGENTDESK_HOME is not set', async () => {
    app.setPath('userData', path.join(home, 'userData'));
    const opts = options({ env: {} });
    await start(opts);
    expect(opts.startCore).toHaveBeenCalledWith({ home: path.join(home, 'userData'), mode: 'electron' });
  });

  it('creates one hardened window loading app://agentdesk, shown when ready to show', async () => {
    await start(options());
    const win = mainWindow();
    expect(win.options).toMatchObject({
      show: false,
      webPreferences: {
        preload: '/app/out/preload/index.js',
        contextIsolation: true,
        sandbox: true,
        nodeIntegration: false,
        webSecurity: true,
        webviewTag: false,
      },
    });
    expect(win.webContents.loadURL).toHaveBeenCalledWith('app://agentdesk/index.html');
    expect(win.isVisible()).toBe(false);
    win.emit('ready-to-show');
    expect(win.isVisible()).toBe(true);
  });

  it('guards the window: foreign navigation prevented, window.open denied, permissions denied', async () => {
    await start(options());
    const contents = mainWindow().webContents;
    expect(contents.navigate('https://evil.example/')).toBe(true);
    expect(contents.openWindow('https://evil.example/')).toEqual({ action: 'deny' });
    expect(await electronMock.session.defaultSession.requestPermission(contents, 'media')).toBe(false);
  });

  it('serves the renderer on app:// with the CSP', async () => {
    await start(options());
    const res = await electronMock.protocol.request('app://agentdesk/index.html');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
  });

  it('loads the dev server in development, never when packaged or off loopback', async () => {
    await start(options({ env: { ELECTRON_RENDERER_URL: 'http://localhost:5173' } }));
    expect(mainWindow().webContents.loadURL).toHaveBeenCalledWith('http://localhost:5173');
  });

  it.each([
    ['packaged', true, 'http://localhost:5173'],
    ['not loopback', false, 'http://192.168.1.9:5173'],
    ['not http', false, 'file:///tmp/index.html'],
  ])('ignores ELECTRON_RENDERER_URL when %s', async (_why, packaged, url) => {
    app.isPackaged = packaged;
    await start(options({ env: { ELECTRON_RENDERER_URL: url } }));
    expect(mainWindow().webContents.loadURL).toHaveBeenCalledWith('app://agentdesk/index.html');
  });

  it('reports a core that cannot start and exits with 1', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const opts = options({ startCore: () => Promise.reject(new Error('database is locked')) });
    await expect(start(opts)).resolves.toBe('failed');
    expect(electronMock.dialog.showErrorBox).toHaveBeenCalledWith(
      'Agent Desk could not start',
      expect.stringContaining('database is locked'),
    );
    expect(app.exitCode).toBe(1);
    expect(electronMock.BrowserWindow.created).toHaveLength(0);
  });
});

describe('with a real core', () => {
  const realCore: DesktopOptions['startCore'] = (o) =>
    startCore({ ...o, app: testOptions(), healthIntervalMs: 0, log: pino({ level: 'silent' }) });

  it('answers api: calls from the window and refuses them from another origin', async () => {
    await start(options({ startCore: realCore }));
    const contents = mainWindow().webContents;
    const info = await electronMock.ipcMain.invoke(
      'api:system.info',
      { senderFrame: contents.mainFrame, sender: contents },
      {},
    );
    expect(info).toMatchObject({ ok: true, value: { mode: 'electron', data_dir: path.join(home, 'data') } });
    // No background in this test: the shell does not know of a tray.
    expect(info).toMatchObject({ value: { tray_available: null } });

    contents.mainFrame.url = 'https://evil.example/';
    const refused = await electronMock.ipcMain.invoke(
      'api:system.info',
      { senderFrame: contents.mainFrame, sender: contents },
      {},
    );
    expect(refused).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    app.quit();
    await vi.waitFor(() => expect(app.exitCode).toBe(0));
  });

  it('pushes a settings change to the window as evt:settings.changed', async () => {
    await start(options({ startCore: realCore }));
    const contents = mainWindow().webContents;
    const updated = await electronMock.ipcMain.invoke(
      'api:settings.update',
      { senderFrame: contents.mainFrame, sender: contents },
      { theme: 'dark' },
    );
    expect(updated).toMatchObject({ ok: true, value: { theme: 'dark' } });
    expect(contents.send).toHaveBeenCalledWith(
      'evt:settings.changed',
      expect.objectContaining({ theme: 'dark' }),
    );
    app.quit();
    await vi.waitFor(() => expect(app.exitCode).toBe(0));
  });
});

describe('quit', () => {
  it('closing the last window quits; the core is shut down once, then the app exits', async () => {
    const core = fakeCore();
    await start(options({ startCore: () => Promise.resolve(core) }));
    mainWindow().close();
    app.quit(); // a second quit while shutting down
    await vi.waitFor(() => expect(app.exit).toHaveBeenCalledWith(0));
    expect(core.shutdown).toHaveBeenCalledTimes(1);
    expect(electronMock.ipcMain.handlers.size).toBe(0);
    expect(electronMock.protocol.isProtocolHandled('app')).toBe(false);
  });

  it('keeps running without windows when the background says so; its tray Open brings a new window', async () => {
    const core = fakeCore();
    const bg = background({ keepRunningWithoutWindows: () => true });
    let controls: WindowControls | null = null;
    await start(
      options({
        startCore: () => Promise.resolve(core),
        background: (_c, win) => {
          controls = win;
          return Promise.resolve(bg);
        },
      }),
    );
    mainWindow().close();
    expect(app.quit).not.toHaveBeenCalled();
    expect(core.shutdown).not.toHaveBeenCalled();
    expect(electronMock.BrowserWindow.getAllWindows()).toHaveLength(0);
    controls!.show();
    expect(electronMock.BrowserWindow.getAllWindows()).toHaveLength(1);
    app.quit();
    await vi.waitFor(() => expect(app.exit).toHaveBeenCalledWith(0));
    expect(bg.dispose).toHaveBeenCalledTimes(1);
  });

  it('quits on close when the background does not keep running (no tray)', async () => {
    const core = fakeCore();
    await start(
      options({ startCore: () => Promise.resolve(core), background: () => Promise.resolve(background()) }),
    );
    mainWindow().close();
    await vi.waitFor(() => expect(app.exit).toHaveBeenCalledWith(0));
    expect(core.shutdown).toHaveBeenCalledTimes(1);
  });

  it('starts hidden: no window until the tray opens one', async () => {
    let controls: WindowControls | null = null;
    await start(
      options({
        background: (_c, win) => {
          controls = win;
          return Promise.resolve(background({ startHidden: true }));
        },
      }),
    );
    expect(electronMock.BrowserWindow.created).toHaveLength(0);
    expect(controls!.isVisible()).toBe(false);
    controls!.show();
    mainWindow().emit('ready-to-show');
    expect(controls!.isVisible()).toBe(true);
  });

  it('a quit during core start waits for the core, shuts it down, and opens no window', async () => {
    const core = fakeCore();
    const pending: { resolve?: (c: DesktopCore) => void } = {};
    const outcome = runDesktop(options({ startCore: () => new Promise((r) => (pending.resolve = r)) }));
    app.setReady();
    await vi.waitFor(() => expect(pending.resolve).toBeDefined());
    app.quit();
    pending.resolve?.(core);
    await expect(outcome).resolves.toBe('failed');
    await vi.waitFor(() => expect(app.exit).toHaveBeenCalledWith(0));
    expect(core.shutdown).toHaveBeenCalledTimes(1);
    expect(electronMock.BrowserWindow.created).toHaveLength(0);
  });
});
