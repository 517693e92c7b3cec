// The app:// protocol serves the built renderer and nothing outside it.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { electronMock } from '../../test/electron-mock';
import { registerAppScheme, resolveAppFile, serveAppProtocol } from './protocol';
import { CONTENT_SECURITY_POLICY } from './security';

let base: string;
let root: string;

beforeAll(() => {
  base = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-protocol-'));
  root = path.join(base, 'out', 'renderer');
  fs.mkdirSync(path.join(root, 'assets'), { recursive: true });
  fs.writeFileSync(path.join(root, 'index.html'), '<!doctype html><title>Agent Desk</title>');
  fs.writeFileSync(path.join(root, 'assets', 'app.js'), 'console.log("app")');
  fs.writeFileSync(path.join(base, 'secret.txt'), 'TOP SECRET');
  fs.writeFileSync(path.join(base, 'out', 'renderer-secret.txt'), 'SIBLING SECRET');
  fs.symlinkSync(path.join(base, 'secret.txt'), path.join(root, 'assets', 'link.txt'));
});
afterAll(() => fs.rmSync(base, { recursive: true, force: true }));

describe('registerAppScheme', () => {
  it('registers app: as standard and secure, without bypassCSP', () => {
    registerAppScheme(electronMock.protocol);
    expect(electronMock.protocol.privileged).toEqual([
      { scheme: 'app', privileges: { standard: true, secure: true, supportFetchAPI: true, codeCache: true } },
    ]);
    expect(electronMock.protocol.registeredAfterReady).toBe(false);
  });
});

describe('app:// handler', () => {
  const log = { warn: vi.fn() };
  beforeEach(() => {
    log.warn.mockClear();
    serveAppProtocol(electronMock.protocol, {
      rootDir: root,
      csp: CONTENT_SECURITY_POLICY,
      fetchFile: (url) => electronMock.net.fetch(url),
      log,
    });
  });

  /** Every file:// URL the handler asked net.fetch for. */
  const fetched = (): string[] =>
    electronMock.net.fetch.mock.calls.map(([input]) => (typeof input === 'string' ? input : input.url));

  it('serves index.html with the CSP header', async () => {
    const res = await electronMock.protocol.request('app://agentdesk/index.html');
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('<title>Agent Desk</title>');
    expect(res.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(fetched()).toEqual([pathToFileURL(path.join(fs.realpathSync(root), 'index.html')).toString()]);
  });

  it('serves assets', async () => {
    const res = await electronMock.protocol.request('app://agentdesk/assets/app.js');
    expect(await res.text()).toBe('console.log("app")');
  });

  it('falls back to index.html for / and for client-side routes', async () => {
    for (const url of ['app://agentdesk/', 'app://agentdesk/agents/42']) {
      const res = await electronMock.protocol.request(url);
      expect(res.status).toBe(200);
      expect(await res.text()).toContain('Agent Desk');
    }
  });

  it('answers 404 for a missing file with an extension', async () => {
    const res = await electronMock.protocol.request('app://agentdesk/assets/missing.js');
    expect(res.status).toBe(404);
    expect(res.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
  });

  it('never reads outside the renderer dir for app://agentdesk/../../etc/passwd', async () => {
    // The URL parser (WHATWG here, Chromium in Electron) resolves the dots to /etc/passwd under the root.
    const res = await electronMock.protocol.request('app://agentdesk/../../etc/passwd');
    const body = await res.text();
    expect(body).not.toMatch(/root:/);
    for (const url of fetched())
      expect(url.startsWith(pathToFileURL(fs.realpathSync(root)).toString() + '/')).toBe(true);
  });

  it.each([
    ['app://agentdesk/..%2F..%2Fsecret.txt', 403],
    ['app://agentdesk/..%2f..%2f..%2f..%2fetc%2fpasswd', 403],
    ['app://agentdesk/assets/..%2F..%2Frenderer-secret.txt', 403],
    ['app://agentdesk/..%5C..%5Csecret.txt', 400],
    ['app://agentdesk/%E0%A4%A', 400],
    ['app://agentdesk/index.html%00.js', 400],
    ['app://agentdesk/assets/link.txt', 403],
    ['app://evil/index.html', 404],
  ])('refuses %s with %i and reads nothing', async (url, status) => {
    const res = await electronMock.protocol.request(url);
    expect(res.status).toBe(status);
    expect(await res.text()).not.toMatch(/SECRET|root:/);
    expect(fetched()).toEqual([]);
    expect(log.warn).toHaveBeenCalled();
  });

  it('refuses methods other than GET and HEAD', async () => {
    const res = await electronMock.protocol.request('app://agentdesk/index.html', {
      method: 'POST',
      body: 'x',
    });
    expect(res.status).toBe(405);
  });

  it('unregisters with the returned function', () => {
    electronMock.protocol.unhandle('app');
    const dispose = serveAppProtocol(electronMock.protocol, {
      rootDir: root,
      csp: 'x',
      fetchFile: (u) => electronMock.net.fetch(u),
      log,
    });
    dispose();
    expect(electronMock.protocol.isProtocolHandled('app')).toBe(false);
  });
});

describe('resolveAppFile', () => {
  it('keeps a path that only looks like a dot segment', async () => {
    fs.writeFileSync(path.join(root, '..hidden.js'), '');
    await expect(resolveAppFile(root, 'app://agentdesk/..hidden.js')).resolves.toMatchObject({
      kind: 'file',
    });
  });
});
