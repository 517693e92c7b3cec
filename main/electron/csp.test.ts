// The renderer gets one Content-Security-Policy: the Electron shell and `agentdesk serve` send the same header.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { electronMock } from '../../test/electron-mock';
import { EventBus } from '../platform/event-bus';
import { RENDERER_CSP, rendererCspMeta } from '../transport/csp';
import type { Dispatcher } from '../transport/dispatch';
import { startHttpTransport } from '../transport/http/server';
import type { HttpTransport } from '../transport/http/server';
import { trustedUrlPredicate } from './origin';
import { serveAppProtocol } from './protocol';
import { contentSecurityPolicy, hardenSession } from './security';

let rendererDir: string;
let http: HttpTransport;

beforeAll(async () => {
  rendererDir = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-csp-'));
  fs.writeFileSync(path.join(rendererDir, 'index.html'), '<!doctype html><title>Agent Desk</title>');
  http = await startHttpTransport({
    // The page route never dispatches.
    dispatcher: {} as Dispatcher,
    bus: new EventBus(),
    log: pino({ level: 'silent' }),
    token: 'test-token',
    port: 0,
    rendererDir,
  });
});
afterAll(async () => {
  await http.close();
  fs.rmSync(rendererDir, { recursive: true, force: true });
});

/** The CSP header `agentdesk serve` sends with the entry page. */
async function servePolicy(): Promise<string | undefined> {
  const res = await fetch(`${http.url}/`);
  expect(res.status).toBe(200);
  return res.headers.get('content-security-policy') ?? undefined;
}

/** The CSP header the packaged Electron shell sends with the entry page (app://). */
async function electronAppPolicy(): Promise<string | null> {
  serveAppProtocol(electronMock.protocol, {
    rootDir: rendererDir,
    csp: contentSecurityPolicy({ dev: false }),
    fetchFile: (url) => electronMock.net.fetch(url),
    log: { warn: vi.fn() },
  });
  const res = await electronMock.protocol.request('app://agentdesk/index.html');
  expect(res.status).toBe(200);
  return res.headers.get('content-security-policy');
}

/** The CSP header the Electron session puts on responses from a trusted http(s) origin. */
async function electronSessionPolicy(): Promise<string | string[] | undefined> {
  const session = electronMock.session.defaultSession;
  hardenSession(session as never, {
    isTrustedUrl: trustedUrlPredicate(['app://agentdesk']),
    csp: contentSecurityPolicy({ dev: false }),
    log: { warn: vi.fn() },
  });
  const answer = await session.headersReceived({ url: 'app://agentdesk/index.html', responseHeaders: {} });
  return answer.responseHeaders?.['Content-Security-Policy'];
}

describe('the renderer’s Content-Security-Policy', () => {
  it('is the same in Electron (app:// and session) and in serve', async () => {
    const serve = await servePolicy();
    expect(serve).toBe(RENDERER_CSP);
    expect(await electronAppPolicy()).toBe(serve);
    expect(await electronSessionPolicy()).toEqual([serve]);
  });

  it('is at least as strict as either of the two it replaces: no remote, inline or eval script, no inline style', () => {
    const directives = new Map(
      RENDERER_CSP.split('; ').map((d) => {
        const [name = '', ...values] = d.split(' ');
        return [name, values];
      }),
    );
    expect(directives.get('default-src')).toEqual(["'self'"]);
    expect(directives.get('script-src')).toEqual(["'self'"]);
    expect(directives.get('style-src')?.[0]).toBe("'self'");
    expect(
      directives
        .get('style-src')
        ?.slice(1)
        .every((v) => v.startsWith("'sha256-")),
    ).toBe(true);
    expect(directives.get('img-src')).toEqual(["'self'", 'data:']);
    expect(directives.get('font-src')).toEqual(["'self'"]);
    expect(directives.get('connect-src')).toEqual(["'self'"]);
    expect(directives.get('object-src')).toEqual(["'none'"]);
    expect(directives.get('base-uri')).toEqual(["'none'"]);
    expect(directives.get('form-action')).toEqual(["'none'"]);
    expect(directives.get('frame-ancestors')).toEqual(["'none'"]);
    expect(RENDERER_CSP).not.toMatch(/unsafe-|\*|http:|https:/);
  });

  it('is put into the entry page’s meta tag too, less frame-ancestors (ignored there)', () => {
    expect(rendererCspMeta({ dev: false })).toBe(RENDERER_CSP.replace("; frame-ancestors 'none'", ''));
  });
});
