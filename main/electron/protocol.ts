// The `app://agentdesk` protocol: serves the built renderer from disk, refusing anything outside it.
import fs from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Protocol } from 'electron';
import { APP_HOST, APP_SCHEME } from './origin';

/**
 * Registers `app:` as a privileged scheme: standard (tuple origin, relative URLs resolve), secure
 * (a secure context, like https), fetch-capable, V8 code cache. No `bypassCSP`, no CORS, no service
 * workers. Electron requires this before the app's `ready` event (protocol docs).
 */
export function registerAppScheme(protocol: Pick<Protocol, 'registerSchemesAsPrivileged'>): void {
  protocol.registerSchemesAsPrivileged([
    {
      scheme: APP_SCHEME,
      privileges: { standard: true, secure: true, supportFetchAPI: true, codeCache: true },
    },
  ]);
}

/** Where a request goes: a file to serve, or a refusal with its HTTP status. */
export type AppFileResolution =
  { kind: 'file'; file: string } | { kind: 'refused'; status: 400 | 403 | 404 | 405; reason: string };

function isInside(root: string, file: string): boolean {
  const rel = path.relative(root, file);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel));
}

async function isFile(file: string): Promise<boolean> {
  try {
    return (await fs.stat(file)).isFile();
  } catch {
    return false;
  }
}

/**
 * Maps an `app://agentdesk/<path>` URL to a file under `rootDir` (the built renderer).
 * Refuses: another host or scheme (404); undecodable escapes, NUL or backslashes (400); any path
 * that resolves outside `rootDir`, lexically or through a symlink (403). `/` and extension-less
 * paths that are not files get `index.html` (client-side routes); a missing file with an
 * extension is 404. Literal `..` segments are already resolved by the URL parser (Chromium's and
 * WHATWG's), so only encoded ones (`..%2F`) reach the checks here.
 */
export async function resolveAppFile(rootDir: string, requestUrl: string): Promise<AppFileResolution> {
  let url: URL;
  try {
    url = new URL(requestUrl);
  } catch {
    return { kind: 'refused', status: 400, reason: 'unparsable URL' };
  }
  if (url.protocol !== `${APP_SCHEME}:` || url.host !== APP_HOST)
    return { kind: 'refused', status: 404, reason: `unknown host ${url.host}` };
  let decoded: string;
  try {
    decoded = decodeURIComponent(url.pathname);
  } catch {
    return { kind: 'refused', status: 400, reason: 'bad percent-encoding' };
  }
  if (decoded.includes('\0') || decoded.includes('\\'))
    return { kind: 'refused', status: 400, reason: 'NUL or backslash in path' };
  if (decoded.split('/').includes('..')) return { kind: 'refused', status: 403, reason: 'path traversal' };

  const root = path.resolve(rootDir);
  const relative = decoded.replace(/^\/+/, '');
  const candidate = path.resolve(root, relative === '' ? 'index.html' : relative);
  if (!isInside(root, candidate))
    return { kind: 'refused', status: 403, reason: 'path outside the renderer dir' };

  let file = candidate;
  if (!(await isFile(candidate))) {
    if (path.extname(candidate) !== '') return { kind: 'refused', status: 404, reason: 'no such file' };
    file = path.join(root, 'index.html');
  }
  try {
    const [realRoot, realFile] = await Promise.all([fs.realpath(root), fs.realpath(file)]);
    if (!isInside(realRoot, realFile))
      return { kind: 'refused', status: 403, reason: 'symlink leads outside the renderer dir' };
    return { kind: 'file', file: realFile };
  } catch {
    return { kind: 'refused', status: 404, reason: 'no such file' };
  }
}

export interface AppProtocolOptions {
  /** The built renderer (`rendererDir()` = `<appRoot>/out/renderer`). */
  rootDir: string;
  /** Content-Security-Policy put on every response (webRequest cannot add headers to custom schemes). */
  csp: string;
  /** Electron's `net.fetch`, which reads `file:` URLs with the right MIME type. */
  fetchFile: (url: string) => Promise<Response>;
  log: { warn(obj: object, msg: string): void };
}

/**
 * Builds the `app:` request handler: GET/HEAD only (405 otherwise), files resolved by
 * {@link resolveAppFile} and read through `net.fetch(pathToFileURL(file))`; every answer carries
 * the CSP and `X-Content-Type-Options: nosniff`. Refusals are plain-text errors and a warning log.
 */
export function createAppProtocolHandler(opts: AppProtocolOptions): (request: Request) => Promise<Response> {
  const headers = (from?: Headers): Headers => {
    const h = new Headers(from);
    h.set('Content-Security-Policy', opts.csp);
    h.set('X-Content-Type-Options', 'nosniff');
    return h;
  };
  const refuse = (status: number, reason: string, url: string): Response => {
    opts.log.warn({ url, status, reason }, 'app:// request refused');
    const h = headers();
    h.set('Content-Type', 'text/plain; charset=utf-8');
    return new Response(`${status} ${reason}`, { status, headers: h });
  };

  return async (request) => {
    if (request.method !== 'GET' && request.method !== 'HEAD')
      return refuse(405, `method ${request.method} not allowed`, request.url);
    const target = await resolveAppFile(opts.rootDir, request.url);
    if (target.kind === 'refused') return refuse(target.status, target.reason, request.url);
    try {
      const res = await opts.fetchFile(pathToFileURL(target.file).toString());
      return new Response(request.method === 'HEAD' ? null : res.body, {
        status: res.status,
        statusText: res.statusText,
        headers: headers(res.headers),
      });
    } catch (err) {
      opts.log.warn({ err, url: request.url }, 'app:// file could not be read');
      return refuse(404, 'file could not be read', request.url);
    }
  };
}

/**
 * Serves the renderer on `app://agentdesk` (Electron ≥ 25 `protocol.handle`). Call after `ready`;
 * pass `session.protocol` to serve a non-default session.
 * @returns a function that unregisters the handler.
 * @throws Error from Electron when `app:` already has a handler.
 */
export function serveAppProtocol(
  protocol: Pick<Protocol, 'handle' | 'unhandle'>,
  opts: AppProtocolOptions,
): () => void {
  protocol.handle(APP_SCHEME, createAppProtocolHandler(opts));
  return () => protocol.unhandle(APP_SCHEME);
}
