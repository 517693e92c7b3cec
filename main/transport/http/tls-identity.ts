// The certificate `agentdesk serve --tls` presents: self-signed once per data dir, key 0600 in a 0700 folder, pinned by fingerprint.
import crypto from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { keptCertificate, makeSelfSignedCertificate } from '../../platform/tls-certs';

/** The serving identity: PEM certificate and private key, and the certificate's SHA-256 fingerprint. */
export interface TlsIdentity {
  certPem: string;
  keyPem: string;
  /** `SHA256:<base64 of the DER's SHA-256, unpadded>` (the form OpenSSH prints for host keys). */
  fingerprint: string;
  /** The same digest as colon-separated upper-case hex (the form browsers show). */
  fingerprintHex: string;
}

/** Folder of the serving certificate inside the data dir. */
export function tlsDir(home: string): string {
  return path.join(home, 'tls');
}

/** Days a new serving certificate is valid (clients pin it; a new one means a new fingerprint). */
export const TLS_CERT_DAYS = 3650;

/**
 * The fingerprints of a DER certificate.
 * @returns `{fingerprint: 'SHA256:…', fingerprintHex: 'AB:CD:…'}`.
 */
export function certFingerprint(der: Buffer): { fingerprint: string; fingerprintHex: string } {
  const digest = crypto.createHash('sha256').update(der).digest();
  return {
    fingerprint: `SHA256:${digest.toString('base64').replace(/=+$/, '')}`,
    fingerprintHex: [...digest].map((b) => b.toString(16).padStart(2, '0').toUpperCase()).join(':'),
  };
}

/**
 * Parses a fingerprint the user gives, in either form {@link certFingerprint} prints (`SHA256:<base64>`
 * or 32 colon-separated hex bytes, any case).
 * @returns the 32-byte digest. @throws Error naming both accepted forms.
 */
export function parseFingerprint(text: string): Buffer {
  const t = text.trim();
  const b64 = /^SHA256:([A-Za-z0-9+/]{43})=?$/.exec(t);
  if (b64) return Buffer.from(b64[1]!, 'base64');
  if (/^([0-9a-fA-F]{2}:){31}[0-9a-fA-F]{2}$/.test(t)) return Buffer.from(t.replace(/:/g, ''), 'hex');
  throw new Error(
    `"${t.slice(0, 80)}" is not a certificate fingerprint: give SHA256:<base64> as \`agentdesk serve --tls\` prints it, or 32 hex bytes separated by colons`,
  );
}

/**
 * Makes a new self-signed certificate (see {@link makeSelfSignedCertificate}): ECDSA P-256, CN
 * `agentdesk-core`, SAN `DNS:localhost`, `DNS:<hostname>`, `IP:127.0.0.1`, `IP:::1` and `names`; server
 * auth only; not a CA.
 * @param names extra DNS names or IP literals for the SAN (clients pin the fingerprint, so these are informative).
 */
export async function makeTlsIdentity(names: readonly string[] = []): Promise<TlsIdentity> {
  const made = await makeSelfSignedCertificate({
    commonName: 'agentdesk-core',
    usage: 'server',
    names: ['localhost', os.hostname(), '127.0.0.1', '::1', ...names],
    days: TLS_CERT_DAYS,
  });
  return { ...made, ...certFingerprint(new crypto.X509Certificate(made.certPem).raw) };
}

/**
 * The data dir's serving identity: read from `<home>/tls/` (`cert.pem`, `key.pem`), or made once with
 * {@link makeTlsIdentity} and written there, as `keptCertificate` keeps them: the folder 0700, the key
 * 0600 (created exclusively, never through a link), the certificate 0644. A folder or key that is
 * another user's, a link, or readable by others is refused.
 * @throws NotPrivateError when the folder or key is not private (naming `chmod`); Error when the files
 *   cannot be read/written.
 */
export async function ensureTlsIdentity(home: string, names: readonly string[] = []): Promise<TlsIdentity> {
  const { certPem, keyPem } = await keptCertificate(
    tlsDir(home),
    { cert: 'cert.pem', key: 'key.pem' },
    () => makeTlsIdentity(names),
    'read the TLS key of the core',
  );
  return { certPem, keyPem, ...certFingerprint(new crypto.X509Certificate(certPem).raw) };
}
