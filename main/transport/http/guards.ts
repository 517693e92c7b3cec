// Request guards of the HTTP transport: Host and Origin allow-lists, bearer token check.
import crypto from 'node:crypto';

/**
 * Hosts a request may name: the loopback address and `localhost` on our port. Anything else is
 * refused, which defeats DNS rebinding (a hostile page whose name resolves to 127.0.0.1).
 */
export function allowedHosts(port: number): Set<string> {
  return new Set([`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`]);
}

/** Origins a browser request may come from: our own page, nothing else. */
export function allowedOrigins(port: number): Set<string> {
  return new Set([`http://127.0.0.1:${port}`, `http://localhost:${port}`, `http://[::1]:${port}`]);
}

/** True when the `Host` header names us. A missing Host (HTTP/1.0) is refused. */
export function hostAllowed(host: string | undefined, port: number): boolean {
  return host !== undefined && allowedHosts(port).has(host.toLowerCase());
}

/** True when there is no `Origin` (CLI, curl) or it is our own origin. `null` origins are refused. */
export function originAllowed(origin: string | undefined, port: number): boolean {
  return origin === undefined || allowedOrigins(port).has(origin.toLowerCase());
}

/** Constant-time check of an `Authorization: Bearer <token>` header against the expected token. */
export function bearerMatches(header: string | undefined, token: string): boolean {
  if (!header) return false;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!m) return false;
  const given = Buffer.from(m[1]!);
  const expected = Buffer.from(token);
  return given.length === expected.length && crypto.timingSafeEqual(given, expected);
}
