// Where a client reaches a core: a URL, the access token, optionally a unix socket (an SSH forward) and a pinned TLS certificate.
import crypto from 'node:crypto';
import http from 'node:http';
import type { IncomingMessage } from 'node:http';
import net from 'node:net';
import tls from 'node:tls';
import { certFingerprint, parseFingerprint } from '../transport/http/tls-identity';

/**
 * A core's address as a client uses it.
 * - `url`: `http(s)://host:port`; its host and port form the `Host` header, and the TCP address unless
 *   `socketPath` is given.
 * - `socketPath`: connect through this unix socket instead (the local end of an SSH forward).
 * - `fingerprint`: for `https` URLs, the SHA-256 fingerprint the server's certificate must have
 *   (`SHA256:<base64>` or colon hex). Nothing is sent before it matched; no CA is consulted.
 */
export interface CoreEndpoint {
  url: string;
  token: string;
  socketPath?: string;
  fingerprint?: string;
}

/** The server's certificate is not the pinned one: no byte of the request was sent. */
export class FingerprintMismatchError extends Error {
  constructor(where: string, expected: string, got: string) {
    super(
      `The certificate of ${where} has fingerprint ${got}, not the pinned ${expected}: refusing to talk to it (someone may be in the middle, or the server made a new certificate — compare with \`agentdesk serve --print-connection\` on the server).`,
    );
    this.name = 'FingerprintMismatchError';
  }
}

/**
 * Opens the transport connection to `endpoint`: TCP or its unix socket, then for `https` a TLS handshake
 * whose peer certificate is compared with the pinned fingerprint before the socket is handed out.
 * @throws (through `cb`) FingerprintMismatchError; Error for an https URL without a fingerprint; socket errors.
 */
export function openCoreSocket(
  endpoint: CoreEndpoint,
  cb: (err: Error | null, socket?: net.Socket) => void,
): void {
  const u = new URL(endpoint.url);
  const tcp = () =>
    endpoint.socketPath
      ? net.connect({ path: endpoint.socketPath })
      : net.connect({
          host: u.hostname.replace(/^\[|\]$/g, ''),
          port: Number(u.port || (u.protocol === 'https:' ? 443 : 80)),
        });
  if (u.protocol === 'http:') {
    const s = tcp();
    s.once('connect', () => cb(null, s));
    s.once('error', (err) => cb(err));
    return;
  }
  if (u.protocol !== 'https:') return cb(new Error(`${endpoint.url} is neither http:// nor https://`));
  if (!endpoint.fingerprint)
    return cb(
      new Error(
        `${endpoint.url} is served over TLS with its own certificate: give its fingerprint (--fingerprint SHA256:…, printed by \`agentdesk serve --tls\`)`,
      ),
    );
  let expected: Buffer;
  try {
    expected = parseFingerprint(endpoint.fingerprint);
  } catch (err) {
    return cb(err as Error);
  }
  const hostname = u.hostname.replace(/^\[|\]$/g, '');
  const socket = tls.connect({
    socket: tcp(),
    // The pinned fingerprint is the trust decision; no CA signs a self-made certificate.
    rejectUnauthorized: false,
    servername: net.isIP(hostname) ? undefined : hostname,
    minVersion: 'TLSv1.2',
  });
  let done = false;
  socket.once('secureConnect', () => {
    const raw = socket.getPeerCertificate().raw;
    const got = raw ? crypto.createHash('sha256').update(raw).digest() : Buffer.alloc(0);
    if (got.length !== expected.length || !crypto.timingSafeEqual(got, expected)) {
      done = true;
      socket.destroy();
      return cb(
        new FingerprintMismatchError(
          `${u.host}`,
          `SHA256:${expected.toString('base64').replace(/=+$/, '')}`,
          raw ? certFingerprint(raw).fingerprint : 'none',
        ),
      );
    }
    done = true;
    cb(null, socket);
  });
  socket.once('error', (err: Error) => {
    if (!done) cb(err);
  });
}

/** One HTTP request to the core; the answer's status, headers and body stream. */
export interface CoreRequest {
  method: 'GET' | 'POST';
  /** Path under the server, e.g. `/api/system/info`. */
  path: string;
  headers?: Record<string, string>;
  body?: string;
  signal?: AbortSignal;
}

/**
 * Sends `req` to `endpoint` with its bearer token (through {@link openCoreSocket}: one connection per
 * request, no pool, so a pinned check runs for each).
 * @returns the response (its body is a readable stream). @throws socket, TLS and abort errors.
 */
export function coreRequest(endpoint: CoreEndpoint, req: CoreRequest): Promise<IncomingMessage> {
  const u = new URL(endpoint.url);
  return new Promise((resolve, reject) => {
    const r = http.request({
      method: req.method,
      path: req.path,
      headers: {
        Host: u.host,
        Authorization: `Bearer ${endpoint.token}`,
        ...(req.body !== undefined
          ? { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(req.body)) }
          : {}),
        ...req.headers,
      },
      signal: req.signal,
      createConnection: (_opts, cb) => {
        openCoreSocket(endpoint, (err, socket) => cb(err, socket as net.Socket));
        return undefined;
      },
    });
    r.once('response', resolve);
    r.once('error', reject);
    r.end(req.body);
  });
}

/** Reads a response body to the end as UTF-8 text. */
export async function readBody(res: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of res) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
