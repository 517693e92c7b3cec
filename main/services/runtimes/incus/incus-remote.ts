// `incus remote add` semantics: this core's client certificate, the server's certificate checked against a trust token, then trust by token.
import os from 'node:os';
import tls from 'node:tls';
import { keptCertificate, makeSelfSignedCertificate } from '../../../platform/tls-certs';
import type { EngineTarget } from '../engine-target';
import { IncusClient, certFingerprint } from './incus-client';

/** What `incus config trust add <name>` prints, decoded (base64 of this JSON). */
export interface IncusTrustToken {
  /** The name the server gives the certificate it will trust. */
  client_name: string;
  /** SHA-256 of the server's certificate (64 hex digits). */
  fingerprint: string;
  /** `host:port` addresses the server listens on. */
  addresses: string[];
  secret: string;
  /** RFC 3339; `0001-01-01T00:00:00Z` = never expires. */
  expires_at: string;
}

/** A trust token that cannot be used, or a server that is not the one the token names. */
export class IncusTrustError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IncusTrustError';
  }
}

/** This core's client certificate for Incus remotes. */
export interface IncusClientCertificate {
  certPem: string;
  keyPem: string;
  /** SHA-256 of the certificate (hex), as `incus config trust list` shows it. */
  fingerprint: string;
}

const CERT_FILE = 'client.crt';
const KEY_FILE = 'client.key';
/** Incus's own clients make ECDSA P-384 certificates; ten years, like `incus remote generate-certificate`. */
const CLIENT_CERT_YEARS = 10;

/**
 * Decodes and checks a trust token.
 * @param now epoch ms the expiry is compared with.
 * @throws IncusTrustError naming what is wrong: not base64 JSON, a field missing or malformed, expired.
 */
export function parseTrustToken(token: string, now = Date.now()): IncusTrustToken {
  const text = token.trim();
  let decoded: Partial<IncusTrustToken>;
  try {
    if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(text)) throw new Error('not base64');
    decoded = JSON.parse(Buffer.from(text, 'base64').toString('utf8')) as Partial<IncusTrustToken>;
    if (typeof decoded !== 'object' || decoded === null) throw new Error('not an object');
  } catch {
    throw new IncusTrustError(
      'The Incus trust token is not readable (expected the base64 text `incus config trust add <name>` prints): copy it again, whole',
    );
  }
  const { client_name, fingerprint, addresses, secret, expires_at } = decoded;
  if (typeof fingerprint !== 'string' || !/^[0-9a-f]{64}$/i.test(fingerprint))
    throw new IncusTrustError('The Incus trust token carries no valid server fingerprint (64 hex digits)');
  if (typeof secret !== 'string' || secret.length < 16)
    throw new IncusTrustError('The Incus trust token carries no secret');
  if (typeof client_name !== 'string' || !client_name)
    throw new IncusTrustError('The Incus trust token carries no client name');
  const addrs = Array.isArray(addresses) ? addresses.filter((a): a is string => typeof a === 'string') : [];
  const expiry = typeof expires_at === 'string' ? expires_at : '0001-01-01T00:00:00Z';
  const at = Date.parse(expiry);
  if (!expiry.startsWith('0001-') && (Number.isNaN(at) || at <= now))
    throw new IncusTrustError(
      `The Incus trust token expired at ${expiry}: make a new one on the server (\`incus config trust add ${client_name}\`)`,
    );
  return {
    client_name,
    fingerprint: fingerprint.toLowerCase(),
    addresses: addrs,
    secret,
    expires_at: expiry,
  };
}

/**
 * This core's client certificate in `folder` (`client.crt`, `client.key`), made at the first call:
 * ECDSA P-384, self-signed, CN `agentdesk@<host name>`, client authentication, valid ten years. Kept as
 * `keptCertificate` keeps it: the folder 0700, the key 0600, both checked at every call to be this
 * user's, not links and with no group or other bits.
 * @throws NotPrivateError when the folder or key is not private (naming the fix); Error when the folder
 *   cannot be written.
 */
export async function ensureIncusClientCertificate(folder: string): Promise<IncusClientCertificate> {
  const { certPem, keyPem } = await keptCertificate(
    folder,
    { cert: CERT_FILE, key: KEY_FILE },
    () => selfSignedCertificate(`agentdesk@${os.hostname()}`, 'client'),
    'use the key Incus remotes trust',
  );
  return { certPem, keyPem, fingerprint: certFingerprint(certPem) };
}

/**
 * A self-signed ECDSA P-384 certificate (see {@link makeSelfSignedCertificate}), valid ten years.
 * `usage` sets the extended key usage (TLS client or server authentication); `names` become DNS/IP
 * subject alternative names.
 */
export async function selfSignedCertificate(
  commonName: string,
  usage: 'client' | 'server',
  names: string[] = [],
): Promise<IncusClientCertificate> {
  const made = await makeSelfSignedCertificate({
    commonName,
    usage,
    names,
    curve: 'P-384',
    days: CLIENT_CERT_YEARS * 365,
  });
  return { ...made, fingerprint: certFingerprint(made.certPem) };
}

/**
 * The certificate an HTTPS server presents, read from a TLS handshake that sends nothing else (no
 * request, no client certificate, nothing trusted yet).
 * @returns its PEM and SHA-256 fingerprint (hex).
 * @throws Error when the server cannot be reached or presents no certificate within `timeoutMs`.
 */
export function fetchServerCertificate(
  url: string,
  timeoutMs = 10_000,
): Promise<{ pem: string; fingerprint: string }> {
  const u = new URL(url);
  const host = u.hostname.replace(/^\[|\]$/g, '');
  return new Promise((resolve, reject) => {
    const sock = tls.connect({
      host,
      port: Number(u.port || 8443),
      rejectUnauthorized: false,
      minVersion: 'TLSv1.2',
      ...(/^[\d.]+$|:/.test(host) ? {} : { servername: host }),
    });
    const timer = setTimeout(
      () => sock.destroy(new Error(`no TLS handshake within ${timeoutMs} ms`)),
      timeoutMs,
    );
    sock.once('secureConnect', () => {
      clearTimeout(timer);
      const raw = sock.getPeerCertificate().raw;
      sock.destroy();
      if (!raw) return reject(new Error(`${u.origin} presented no certificate`));
      const b64 = raw.toString('base64').replace(/.{64}/g, '$&\n');
      resolve({
        pem: `-----BEGIN CERTIFICATE-----\n${b64.replace(/\n$/, '')}\n-----END CERTIFICATE-----\n`,
        fingerprint: certFingerprint(raw),
      });
    });
    sock.once('error', (err: Error) => {
      clearTimeout(timer);
      reject(new Error(`cannot reach the Incus server at ${u.origin}: ${err.message}`));
    });
  });
}

/**
 * Adds an Incus remote as `incus remote add <name> <url> --token <token>` does:
 * 1. decodes the token (refused when garbled or expired, before any connection);
 * 2. makes this core's client certificate once (see {@link ensureIncusClientCertificate});
 * 3. reads the server's certificate and compares its SHA-256 with the token's fingerprint — a
 *    different one (another server, or someone in between) is refused with both fingerprints, and the
 *    token is never sent;
 * 4. over a connection pinned to that certificate, `POST /1.0/certificates` with `trust_token`
 *    (skipped when the server already trusts this certificate), then checks `GET /1.0` says `trusted`.
 * @param opts.url `https://host:port`; default: the token's first address.
 * @param opts.certFolder the folder of this core's client certificate (0700, in the data dir).
 * @returns the engine target to store (PEMs go to the engine's folder).
 * @throws IncusTrustError for a bad token, a fingerprint mismatch or a refused token; Error when unreachable.
 */
export async function addIncusRemote(opts: {
  token: string;
  certFolder: string;
  url?: string;
  now?: number;
}): Promise<Extract<EngineTarget, { kind: 'incus'; transport: 'https' }>> {
  const token = parseTrustToken(opts.token, opts.now);
  const first = token.addresses[0];
  const url = opts.url ?? (first ? `https://${first}` : '');
  if (!url) throw new IncusTrustError('No server address: give the remote URL (https://host:8443)');
  const u = new URL(url);
  if (u.protocol !== 'https:')
    throw new IncusTrustError(`Incus remote URL ${url} is not valid: use https://host:port`);
  const origin = u.port ? u.origin : `https://${u.host}:8443`;
  const client = await ensureIncusClientCertificate(opts.certFolder);
  const server = await fetchServerCertificate(origin);
  if (server.fingerprint !== token.fingerprint)
    throw new IncusTrustError(
      `The server at ${origin} presented certificate ${server.fingerprint}, but the trust token names ` +
        `${token.fingerprint}: not the server the token was made on (or someone in between). Nothing was sent.`,
    );
  const target = {
    kind: 'incus' as const,
    transport: 'https' as const,
    url: origin,
    serverCertPem: server.pem,
    clientCertPem: client.certPem,
    clientKeyPem: client.keyPem,
    member: null,
  };
  const api = new IncusClient(
    { url: origin, serverCertPem: server.pem, clientCertPem: client.certPem, clientKeyPem: client.keyPem },
    'default',
  );
  try {
    const before = await api.get<{ auth?: string }>('/1.0', 'remote add');
    if (before.auth !== 'trusted') {
      await api
        .send(
          'POST',
          '/1.0/certificates',
          { type: 'client', name: token.client_name, trust_token: opts.token.trim() },
          'remote add',
        )
        .catch((err: Error) => {
          throw new IncusTrustError(
            `The Incus server at ${origin} refused the trust token (${err.message}): make a new one (\`incus config trust add ${token.client_name}\`)`,
          );
        });
      const after = await api.get<{ auth?: string }>('/1.0', 'remote add');
      if (after.auth !== 'trusted')
        throw new IncusTrustError(
          `The Incus server at ${origin} accepted the token but does not trust this core`,
        );
    }
  } finally {
    api.close();
  }
  return target;
}
