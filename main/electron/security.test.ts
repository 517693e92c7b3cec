// Hardening: webPreferences, navigation and window-open guards, permissions and the CSP header.
import { describe, expect, it, vi } from 'vitest';
import { electronMock, FakeWebContents } from '../../test/electron-mock';
import type { GuardableContents } from './security';
import {
  CONTENT_SECURITY_POLICY,
  contentSecurityPolicy,
  hardenSession,
  hardenWebContents,
  installWebContentsGuards,
  isSafeExternalUrl,
  secureWebPreferences,
} from './security';
import { trustedUrlPredicate } from './origin';

const isTrustedUrl = trustedUrlPredicate(['app://agentdesk']);

function guarded() {
  const contents = new FakeWebContents();
  contents.mainFrame.url = 'app://agentdesk/index.html';
  const openExternal = vi.fn((_url: string) => Promise.resolve());
  const log = { warn: vi.fn() };
  hardenWebContents(contents as unknown as GuardableContents, { isTrustedUrl, openExternal, log });
  return { contents, openExternal, log };
}

describe('secureWebPreferences', () => {
  it('turns on isolation, sandbox and web security and turns off Node and webview', () => {
    expect(secureWebPreferences('/x/preload.js')).toMatchObject({
      preload: '/x/preload.js',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      spellcheck: false,
    });
  });
});

describe('hardenWebContents', () => {
  it('lets the app navigate within its own origin', () => {
    const { contents } = guarded();
    expect(contents.navigate('app://agentdesk/settings')).toBe(false);
  });

  it.each([
    'https://evil.example/',
    'file:///etc/passwd',
    'app://other/index.html',
    'http://localhost:5173/',
  ])('prevents navigation to %s', (url) => {
    const { contents } = guarded();
    expect(contents.navigate(url)).toBe(true);
    expect(contents.getURL()).toBe('app://agentdesk/index.html');
  });

  it('opens an external https link in the browser instead of navigating', () => {
    const { contents, openExternal } = guarded();
    expect(contents.navigate('https://openrouter.ai/keys')).toBe(true);
    expect(openExternal).toHaveBeenCalledWith('https://openrouter.ai/keys');
  });

  it('never hands non-http(s) URLs to the OS', () => {
    const { contents, openExternal } = guarded();
    contents.navigate('file:///etc/passwd');
    contents.openWindow('smb://host/share');
    contents.openWindow('javascript:alert(1)');
    expect(openExternal).not.toHaveBeenCalled();
  });

  it('denies every window.open, opening http(s) ones externally', () => {
    const { contents, openExternal } = guarded();
    expect(contents.openWindow('app://agentdesk/index.html')).toEqual({ action: 'deny' });
    expect(contents.openWindow('https://docs.litellm.ai/')).toEqual({ action: 'deny' });
    expect(openExternal).toHaveBeenCalledTimes(1);
    expect(openExternal).toHaveBeenCalledWith('https://docs.litellm.ai/');
  });

  it('prevents redirects to another origin', () => {
    const { contents } = guarded();
    expect(contents.redirect('https://evil.example/')).toBe(true);
    expect(contents.redirect('app://agentdesk/index.html')).toBe(false);
  });

  it('prevents subframe navigation to another origin and <webview> attachment', () => {
    const { contents } = guarded();
    const sub = electronMock.fakeEvent({ url: 'https://evil.example/', isMainFrame: false });
    contents.emit('will-frame-navigate', sub);
    expect(sub.defaultPrevented).toBe(true);
    const webview = electronMock.fakeEvent();
    contents.emit('will-attach-webview', webview, {}, {});
    expect(webview.defaultPrevented).toBe(true);
  });

  it('is idempotent: guarding twice opens a link once', () => {
    const { contents, openExternal, log } = guarded();
    hardenWebContents(contents as unknown as GuardableContents, { isTrustedUrl, openExternal, log });
    contents.navigate('https://example.com/');
    expect(openExternal).toHaveBeenCalledTimes(1);
  });

  it('installWebContentsGuards guards every webContents the app creates', () => {
    const openExternal = vi.fn((_url: string) => Promise.resolve());
    installWebContentsGuards(electronMock.app as never, {
      isTrustedUrl,
      openExternal,
      log: { warn: vi.fn() },
    });
    const win = new electronMock.BrowserWindow({});
    expect(win.webContents.navigate('https://evil.example/')).toBe(true);
    expect(win.webContents.openWindow('https://evil.example/')).toEqual({ action: 'deny' });
  });
});

describe('isSafeExternalUrl', () => {
  it.each([
    ['https://example.com/a', true],
    ['http://example.com', true],
    ['https://user:pw@example.com/', false],
    ['file:///etc/passwd', false],
    ['javascript:alert(1)', false],
    ['ms-msdt:/id', false],
    ['nonsense', false],
  ])('%s → %s', (url, safe) => expect(isSafeExternalUrl(url)).toBe(safe));
});

describe('hardenSession', () => {
  function hardened() {
    const session = electronMock.session.defaultSession;
    hardenSession(session as never, { isTrustedUrl, csp: CONTENT_SECURITY_POLICY, log: { warn: vi.fn() } });
    return session;
  }

  it.each(['media', 'geolocation', 'notifications', 'clipboard-read', 'openExternal', 'fullscreen'])(
    'denies the %s permission',
    async (permission) => {
      const session = hardened();
      const contents = new FakeWebContents();
      expect(await session.requestPermission(contents, permission, 'app://agentdesk/index.html')).toBe(false);
      expect(session.checkPermission(contents, permission, 'app://agentdesk')).toBe(false);
    },
  );

  it('allows clipboard writes (copy buttons) from our origin only', async () => {
    const session = hardened();
    const contents = new FakeWebContents();
    expect(
      await session.requestPermission(contents, 'clipboard-sanitized-write', 'app://agentdesk/index.html'),
    ).toBe(true);
    expect(
      await session.requestPermission(contents, 'clipboard-sanitized-write', 'https://evil.example/'),
    ).toBe(false);
    expect(session.checkPermission(contents, 'clipboard-sanitized-write', 'app://agentdesk')).toBe(true);
    expect(session.checkPermission(contents, 'clipboard-sanitized-write', 'https://evil.example')).toBe(
      false,
    );
  });

  it('sets the CSP header on responses from our origins, replacing one sent by the server', async () => {
    const session = hardened();
    const answer = await session.headersReceived({
      url: 'app://agentdesk/index.html',
      responseHeaders: { 'content-security-policy': ['default-src *'], 'Content-Type': ['text/html'] },
    });
    expect(answer.responseHeaders).toEqual({
      'Content-Type': ['text/html'],
      'Content-Security-Policy': [CONTENT_SECURITY_POLICY],
    });
  });

  it('leaves responses from other origins untouched', async () => {
    const session = hardened();
    expect(await session.headersReceived({ url: 'https://example.com/', responseHeaders: {} })).toEqual({});
  });
});

describe('CSP', () => {
  it('is the strict policy in production', () => {
    expect(CONTENT_SECURITY_POLICY).toBe(
      "default-src 'self'; script-src 'self'; style-src 'self' 'sha256-liYS2EkGkEQctGOAw0hqzCeXkYGF6UDpaCJkOt8cDSE='; img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    );
    expect(contentSecurityPolicy({ dev: false })).toBe(CONTENT_SECURITY_POLICY);
  });

  it('relaxes only script-src and style-src in development (inline React-refresh preamble, injected CSS)', () => {
    const dev = contentSecurityPolicy({ dev: true });
    expect(dev).toContain("script-src 'self' 'unsafe-inline'");
    expect(dev).toContain("style-src 'self' 'unsafe-inline'");
    const others = (csp: string) => csp.split('; ').filter((d) => !/^(script|style)-src /.test(d));
    expect(others(dev)).toEqual(others(CONTENT_SECURITY_POLICY));
  });
});
