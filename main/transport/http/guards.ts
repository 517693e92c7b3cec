// Request guards of the HTTP transport: Host and Origin allow-lists, bearer token check.
import crypto from 'node:crypto';

/**
 * Names the server answers to besides the loopback ones, and the scheme of its pages: `agentdesk
 * serve --tls --listen ADDR` adds its listen address (or every interface address for a wildcard) and the
 * host name, and serves `https`. The default (no names, `http`) is the loopback-only server.
 */
export interface ServedNames {
  /** Extra host names or address literals (IPv6 without brackets), lower case. */
  names?: readonly string[];
  scheme?: 'http' | 'https';
}

function hostPart(name: string): string {
  return name.includes(':') ? `[${name}]` : name;
}

/**
 * Hosts a request may name: the loopback address and `localhost` on our port, and the `served` names.
 * Anything else is refused, which defeats DNS rebinding (a hostile page whose name resolves to us).
 */
export function allowedHosts(port: number, served: ServedNames = {}): Set<string> {
  const names = ['127.0.0.1', 'localhost', '::1', ...(served.names ?? [])];
  return new Set(names.map((n) => `${hostPart(n.toLowerCase())}:${port}`));
}

/** Origins a browser request may come from: our own page (on any of our names), nothing else. */
export function allowedOrigins(port: number, served: ServedNames = {}): Set<string> {
  const scheme = served.scheme ?? 'http';
  return new Set([...allowedHosts(port, served)].map((h) => `${scheme}://${h}`));
}

/** True when the `Host` header names us. A missing Host (HTTP/1.0) is refused. */
export function hostAllowed(host: string | undefined, port: number, served: ServedNames = {}): boolean {
  return host !== undefined && allowedHosts(port, served).has(host.toLowerCase());
}

/** True when there is no `Origin` (CLI, curl) or it is our own origin. `null` origins are refused. */
export function originAllowed(origin: string | undefined, port: number, served: ServedNames = {}): boolean {
  return origin === undefined || allowedOrigins(port, served).has(origin.toLowerCase());
}

/** True for an address literal of the loopback interface (`127.0.0.0/8`, `::1`) or `localhost`. */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
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
