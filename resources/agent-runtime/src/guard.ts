// Who may talk to the runtime: the core only (credential), over a loopback or local-address Host, JSON bodies, no browser Origin.
import { createHash, timingSafeEqual } from 'node:crypto';
import type http from 'node:http';

/** A refused request: the status and a message that names what was wrong and what is valid. */
export interface Refusal {
  status: 401 | 403 | 415;
  message: string;
}

/** Loopback host names a request may carry in `Host` (besides the address it arrived on). */
const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/** Constant-time comparison of two strings of any lengths (both hashed first). */
export function sameSecret(a: string, b: string): boolean {
  return timingSafeEqual(digest(a), digest(b));
}

/** The host name of a `Host` header without its port (`[::1]:8100` → `[::1]`), lower-cased. */
function hostName(host: string): string {
  const h = host.trim().toLowerCase();
  if (h.startsWith('[')) return h.slice(0, h.indexOf(']') + 1);
  const colon = h.lastIndexOf(':');
  return colon >= 0 ? h.slice(0, colon) : h;
}

/**
 * Checks a request before any route runs (PROTOCOL.md "Authentication"); `null` = allowed.
 * - any `Origin` → 403 (a web page's request; the core never sends one);
 * - `Host` must be a loopback name or the very address the connection arrived on (the container's
 *   address on the bridge), so DNS rebinding (`Host: evil.example`) is refused → 403;
 * - a request other than GET/HEAD must be `Content-Type: application/json` → 415 (a page's
 *   "simple" `text/plain` POST never gets in);
 * - every route but a bare `GET /health` needs `Authorization: Bearer <credential>` → 401.
 */
export function refuse(req: http.IncomingMessage, pathname: string, credential: string): Refusal | null {
  if (req.headers.origin !== undefined)
    return { status: 403, message: 'requests from web pages (with an Origin header) are refused' };
  const host = req.headers.host;
  const local = (req.socket.localAddress ?? '').replace(/^::ffff:/, '');
  const name = host ? hostName(host) : '';
  const allowedHost = LOOPBACK.has(name) || (local !== '' && (name === local || name === `[${local}]`));
  if (!allowedHost)
    return {
      status: 403,
      message: `Host "${host ?? ''}" is refused: use localhost, 127.0.0.1 or the address the request arrived on`,
    };
  const method = req.method ?? 'GET';
  if (method !== 'GET' && method !== 'HEAD') {
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (type !== 'application/json')
      return { status: 415, message: `Content-Type "${type}" is refused: send application/json` };
  }
  if (pathname === '/health' && method === 'GET') return null;
  const auth = req.headers.authorization ?? '';
  const m = /^Bearer (.+)$/.exec(auth);
  if (!m || !sameSecret(m[1]!.trim(), credential))
    return { status: 401, message: 'missing or wrong runtime credential (Authorization: Bearer …)' };
  return null;
}
