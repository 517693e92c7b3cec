// The certificate `agentdesk serve --tls` presents: self-signed once per data dir, key 0600 in a 0700 folder, pinned by fingerprint.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
// @peculiar/x509 (through tsyringe) needs the Reflect metadata API loaded first.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';

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

function pemOf(label: string, der: ArrayBuffer): string {
  const b64 = Buffer.from(der).toString('base64');
  return `-----BEGIN ${label}-----\n${b64.replace(/(.{64})/g, '$1\n').replace(/\n$/, '')}\n-----END ${label}-----\n`;
}

/**
 * Makes a new self-signed certificate: ECDSA P-256, CN `agentdesk-core`, SAN `DNS:localhost`,
 * `DNS:<hostname>`, `IP:127.0.0.1`, `IP:::1` and `names`; server auth only; not a CA.
 * @param names extra DNS names or IP literals for the SAN (clients pin the fingerprint, so these are informative).
 */
export async function makeTlsIdentity(names: readonly string[] = []): Promise<TlsIdentity> {
  const webcrypto = crypto.webcrypto;
  x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify']);
  const sans = new Map<string, { type: 'dns' | 'ip'; value: string }>();
  for (const n of ['localhost', os.hostname(), '127.0.0.1', '::1', ...names]) {
    if (!n) continue;
    sans.set(n, { type: /^[0-9.]+$|:/.test(n) ? 'ip' : 'dns', value: n });
  }
  const notBefore = new Date(Date.now() - 60_000);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01' + crypto.randomBytes(15).toString('hex'),
    name: 'CN=agentdesk-core',
    notBefore,
    notAfter: new Date(notBefore.getTime() + TLS_CERT_DAYS * 86_400_000),
    signingAlgorithm: alg,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension([...sans.values()]),
    ],
  });
  const der = Buffer.from(cert.rawData);
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
  return {
    certPem: cert.toString('pem') + '\n',
    keyPem: pemOf('PRIVATE KEY', pkcs8),
    ...certFingerprint(der),
  };
}

/**
 * The data dir's serving identity: read from `<home>/tls/` (`cert.pem`, `key.pem`), or made once with
 * {@link makeTlsIdentity} and written there — the folder 0700, the key 0600 (created exclusively, never
 * through a link), the certificate 0644. A folder or key readable by others is refused.
 * @throws Error when the folder or key is not private (naming `chmod`), or the files cannot be read/written.
 */
export async function ensureTlsIdentity(home: string, names: readonly string[] = []): Promise<TlsIdentity> {
  const dir = tlsDir(home);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = fs.lstatSync(dir);
  if (!st.isDirectory() || st.mode & 0o077)
    throw new Error(`${dir} must be a folder only you can open: run \`chmod 700 ${dir}\``);
  const certFile = path.join(dir, 'cert.pem');
  const keyFile = path.join(dir, 'key.pem');
  if (fs.existsSync(keyFile) && fs.existsSync(certFile)) {
    const kst = fs.lstatSync(keyFile);
    if (!kst.isFile() || kst.mode & 0o077)
      throw new Error(`${keyFile} must be a file only you can read: run \`chmod 600 ${keyFile}\``);
    const certPem = fs.readFileSync(certFile, 'utf8');
    const keyPem = fs.readFileSync(keyFile, 'utf8');
    return { certPem, keyPem, ...certFingerprint(new crypto.X509Certificate(certPem).raw) };
  }
  const id = await makeTlsIdentity(names);
  fs.rmSync(keyFile, { force: true });
  const fd = fs.openSync(
    keyFile,
    fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW,
    0o600,
  );
  try {
    fs.writeSync(fd, id.keyPem);
  } finally {
    fs.closeSync(fd);
  }
  const tmp = `${certFile}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, id.certPem, { mode: 0o644 });
  fs.renameSync(tmp, certFile);
  return id;
}
