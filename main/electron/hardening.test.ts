// The desktop shell's hardening as a whole (Electron's security checklist), asserted on the started shell.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { listChannels } from '../../contract/api';
import { electronMock, FakeWebContents, FakeWebFrameMain } from '../../test/electron-mock';
import type { FakeBrowserWindow } from '../../test/electron-mock';
import { ELECTRON_FUSES } from './fuses';
import { runDesktop } from './lifecycle';
import { CONTENT_SECURITY_POLICY, secureWebPreferences } from './security';

const { app } = electronMock;
const PRELOAD = '/opt/agentdesk/resources/app.asar/out/preload/index.js';
let home: string;
let rendererDir: string;

beforeEach(() => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-test-hardening-'));
  rendererDir = path.join(home, 'renderer');
  fs.mkdirSync(path.join(rendererDir, 'assets'), { recursive: true });
  fs.writeFileSync(path.join(rendererDir, 'index.html'), '<!doctype html><title>Agent Desk</title>');
  fs.writeFileSync(path.join(rendererDir, 'assets', 'app.js'), 'void 0');
  fs.writeFileSync(path.join(home, 'outside.txt'), 'outside');
});
afterEach(() => fs.rmSync(home, { recursive: true, force: true }));

/** Starts the shell as Electron would (packaged, production origin) around a core whose dispatcher is a spy. */
async function startShell() {
  app.isPackaged = true;
  const dispatch = vi.fn(() => Promise.resolve({ ok: true as const, value: 'reached the core' }));
  const outcome = runDesktop({
    startCore: () =>
      Promise.resolve({
        dispatcher: { dispatch },
        bus: { onAny: () => () => undefined },
        log: { info: vi.fn(), warn: vi.fn(), error: vi.fn(), debug: vi.fn() },
        shutdown: () => Promise.resolve(),
      }),
    preloadPath: PRELOAD,
    rendererDir,
    env: { AGENTDESK_HOME: path.join(home, 'data'), ELECTRON_RENDERER_URL: 'http://localhost:5173' },
    handleSignals: false,
  });
  app.setReady();
  await expect(outcome).resolves.toBe('running');
  const [win] = electronMock.BrowserWindow.getAllWindows();
  if (!win) throw new Error('the shell opened no window');
  return { dispatch, win };
}

describe('windows', () => {
  it('every window has contextIsolation, sandbox, webSecurity on and Node integration off', async () => {
    await startShell();
    expect(app.enableSandbox).toHaveBeenCalled(); // sandbox for every renderer, whatever its options
    expect(electronMock.BrowserWindow.created.length).toBeGreaterThan(0);
    for (const win of electronMock.BrowserWindow.created) {
      expect(win.options.webPreferences).toEqual(secureWebPreferences(PRELOAD));
      expect(win.options.webPreferences).toMatchObject({
        contextIsolation: true,
        sandbox: true,
        nodeIntegration: false,
        nodeIntegrationInWorker: false,
        nodeIntegrationInSubFrames: false,
        webSecurity: true,
        allowRunningInsecureContent: false,
        webviewTag: false,
      });
    }
  });

  it('the UI comes from app://agentdesk, never file:// — even with a dev server URL in a packaged app', async () => {
    const { win } = await startShell();
    expect(win.webContents.loadURL.mock.calls).toEqual([['app://agentdesk/index.html']]);
    expect(electronMock.protocol.privileged.map((s) => s.scheme)).toEqual(['app']);
    expect(electronMock.protocol.privileged[0]?.privileges).not.toHaveProperty('bypassCSP');
    // file: pages get no extra privileges in the packaged app either (fuse).
    expect(ELECTRON_FUSES.grantFileProtocolExtraPrivileges).toBe(false);
  });
});

describe('Content-Security-Policy', () => {
  it.each([
    ['a page', 'app://agentdesk/index.html', 200],
    ['a client-side route', 'app://agentdesk/agents/7', 200],
    ['a script', 'app://agentdesk/assets/app.js', 200],
    ['a missing file', 'app://agentdesk/assets/none.js', 404],
    ['a traversal attempt', 'app://agentdesk/..%2Foutside.txt', 403],
  ])('is sent as a header with %s', async (_what, url, status) => {
    await startShell();
    const res = await electronMock.protocol.request(url);
    expect(res.status).toBe(status);
    expect(res.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
  });

  it('allows only the app’s own scripts: no inline or eval, no plugins, no framing, no foreign connections', () => {
    const directives = new Map(
      CONTENT_SECURITY_POLICY.split(';').map((d) => {
        const [name = '', ...values] = d.trim().split(/\s+/);
        return [name, values];
      }),
    );
    expect(directives.get('default-src')).toEqual(["'self'"]);
    expect(directives.get('script-src')).toEqual(["'self'"]);
    expect(directives.get('connect-src')).toEqual(["'self'"]);
    expect(directives.get('object-src')).toEqual(["'none'"]);
    expect(directives.get('frame-ancestors')).toEqual(["'none'"]);
    expect(directives.get('base-uri')).toEqual(["'none'"]);
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/unsafe-eval|\*|http:|https:/);
  });
});

describe('navigation and new windows', () => {
  it('are denied in the main window and in any webContents created later (devtools, popups)', async () => {
    const { win } = await startShell();
    const later = new FakeWebContents();
    later.mainFrame.url = 'app://agentdesk/index.html';
    app.emit('web-contents-created', electronMock.fakeEvent(), later);
    for (const contents of [win.webContents, later]) {
      expect(contents.navigate('https://evil.example/')).toBe(true);
      expect(contents.navigate('file:///etc/passwd')).toBe(true);
      expect(contents.redirect('https://evil.example/')).toBe(true);
      expect(contents.openWindow('app://agentdesk/index.html')).toEqual({ action: 'deny' });
      expect(contents.openWindow('https://example.com/')).toEqual({ action: 'deny' });
      expect(contents.getURL()).toBe('app://agentdesk/index.html');
    }
    // The link is opened in the user's browser instead, and only http(s) ones.
    expect(electronMock.shell.openExternal.mock.calls.map(([url]) => url)).not.toContain(
      'file:///etc/passwd',
    );
  });
});

describe('permissions', () => {
  it.each([
    'media',
    'geolocation',
    'notifications',
    'midi',
    'pointerLock',
    'fullscreen',
    'openExternal',
    'clipboard-read',
    'hid',
    'serial',
    'usb',
    'display-capture',
  ])('%s is denied when requested and when checked, even from the app’s own page', async (permission) => {
    const { win } = await startShell();
    const session = electronMock.session.defaultSession;
    expect(await session.requestPermission(win.webContents, permission, 'app://agentdesk/index.html')).toBe(
      false,
    );
    expect(session.checkPermission(win.webContents, permission, 'app://agentdesk')).toBe(false);
  });
});

describe('IPC', () => {
  /** Senders that must never reach the core, for a window `win` we own. */
  function untrustedSenders(win: FakeBrowserWindow) {
    const ours = win.webContents;
    const stranger = new FakeWebContents();
    stranger.mainFrame.url = 'app://agentdesk/index.html';
    const foreign = new FakeWebFrameMain('https://evil.example/', null);
    const subframe = new FakeWebFrameMain('app://agentdesk/index.html', ours.mainFrame);
    const detached = Object.assign(new FakeWebFrameMain('app://agentdesk/index.html'), { detached: true });
    const fileFrame = new FakeWebFrameMain('file:///opt/agentdesk/index.html', null);
    return [
      ['a page of another origin in our window', { senderFrame: foreign, sender: ours }],
      ['a subframe of our page', { senderFrame: subframe, sender: ours }],
      ['a detached frame', { senderFrame: detached, sender: ours }],
      ['no frame (navigated away)', { senderFrame: null, sender: ours }],
      ['a file:// page', { senderFrame: fileFrame, sender: ours }],
      ['a webContents that is not our window', { senderFrame: stranger.mainFrame, sender: stranger }],
    ] as const;
  }

  it('every contract channel is handled, and every handler refuses every untrusted sender', async () => {
    const { win, dispatch } = await startShell();
    const handled = [...electronMock.ipcMain.handlers.keys()].sort();
    expect(handled).toEqual(
      listChannels()
        .map((c) => `api:${c}`)
        .sort(),
    );
    for (const channel of handled) {
      for (const [who, event] of untrustedSenders(win)) {
        const answer = await electronMock.ipcMain.invoke(channel, event, {});
        expect({ channel, who, answer }).toMatchObject({
          answer: { ok: false, error: { code: 'FORBIDDEN' } },
        });
      }
    }
    expect(dispatch).not.toHaveBeenCalled();
  });

  it('a call from our own window’s page reaches the core', async () => {
    const { win, dispatch } = await startShell();
    const [channel] = electronMock.ipcMain.handlers.keys();
    if (!channel) throw new Error('no IPC handler registered');
    await expect(
      electronMock.ipcMain.invoke(
        channel,
        { senderFrame: win.webContents.mainFrame, sender: win.webContents },
        {},
      ),
    ).resolves.toEqual({ ok: true, value: 'reached the core' });
    expect(dispatch).toHaveBeenCalledTimes(1);
  });

  it('there is no unchecked ipcMain.on listener', async () => {
    await startShell();
    expect(electronMock.ipcMain.eventNames()).toEqual([]);
  });
});

describe('sources', () => {
  const mainDir = path.resolve(__dirname, '..');
  const sources = (fs.readdirSync(mainDir, { recursive: true }) as string[])
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
    .map((f) => ({ file: f, text: fs.readFileSync(path.join(mainDir, f), 'utf8') }));

  it('every BrowserWindow in main/ is created with secureWebPreferences', () => {
    const creators = sources.filter((s) => s.text.includes('new BrowserWindow('));
    expect(creators.length).toBeGreaterThan(0);
    for (const s of creators)
      expect({ file: s.file, secure: s.text.includes('secureWebPreferences(') }).toEqual({
        file: s.file,
        secure: true,
      });
  });

  it('no code in main/ loads a file:// page or weakens a window', () => {
    const weakening =
      /\.loadFile\(|nodeIntegration:\s*true|contextIsolation:\s*false|sandbox:\s*false|webSecurity:\s*false|allowRunningInsecureContent:\s*true|webviewTag:\s*true/;
    expect(sources.filter((s) => weakening.test(s.text)).map((s) => s.file)).toEqual([]);
  });
});
