// Self-signed TLS certificates the core makes for itself, kept with their key in a private folder (0700, key 0600, this user's, no link).
import crypto from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type * as X509 from '@peculiar/x509';
import { currentUid, ensurePrivateFolder, NotPrivateError, privacyProblem } from './private-folder';

/**
 * @peculiar/x509, loaded at the first certificate made: it and its dependencies take about 140 ms to load
 * (measured with `--cpu-prof` at `agentdesk serve` start), and most starts make no certificate. It
 * resolves its services through tsyringe, which needs the Reflect metadata API loaded first.
 */
let x509Module: typeof X509 | null = null;
function loadX509(): typeof X509 {
  if (x509Module) return x509Module;
  const load = createRequire(import.meta.url);
  load('reflect-metadata');
  return (x509Module = load('@peculiar/x509') as typeof X509);
}

/** What {@link makeSelfSignedCertificate} makes. */
export interface CertificateSpec {
  /** The subject's (and issuer's) CN. */
  commonName: string;
  /** The one extended key usage: TLS server or TLS client authentication. */
  usage: 'server' | 'client';
  /** DNS names or IP literals for the subject alternative name; none: no SAN extension. */
  names?: readonly string[];
  /** ECDSA curve, signed with SHA-256 (P-256) or SHA-384 (P-384). Default P-256. */
  curve?: 'P-256' | 'P-384';
  /** Days of validity from now. */
  days: number;
  /** Epoch ms taken as now (tests). */
  now?: number;
}

/** A certificate and its private key, both PEM (the key PKCS#8). */
export interface CertificateAndKey {
  certPem: string;
  keyPem: string;
}

/** True when `name` is an IPv4 or IPv6 literal (for the SAN's `IP:` rather than `DNS:`). */
function isIpLiteral(name: string): boolean {
  return /^[\d.]+$|:/.test(name);
}

/**
 * Makes a new key (node:crypto's WebCrypto) and a self-signed X.509 v3 certificate for it
 * (@peculiar/x509; node:crypto makes keys but not certificates): subject = issuer = `CN=<commonName>`,
 * basic constraints critical and not a CA, key usage critical digitalSignature, the one extended key
 * usage of `usage`, SAN from `names` (each an `IP:` when an IP literal, else `DNS:`; duplicates and empty
 * names dropped), a random positive 128-bit serial, valid from one minute before now for `days` days.
 */
export async function makeSelfSignedCertificate(spec: CertificateSpec): Promise<CertificateAndKey> {
  const x509 = loadX509();
  const webcrypto = crypto.webcrypto;
  x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
  const curve = spec.curve ?? 'P-256';
  const alg = { name: 'ECDSA', namedCurve: curve, hash: curve === 'P-384' ? 'SHA-384' : 'SHA-256' };
  const keys = await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify']);
  const now = spec.now ?? Date.now();
  const serial = crypto.randomBytes(16);
  serial[0] = (serial[0]! & 0x7f) | 0x01; // positive, no leading zero byte
  const names = [...new Set(spec.names ?? [])].filter(Boolean);
  const extensions: X509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
    new x509.ExtendedKeyUsageExtension(
      [spec.usage === 'client' ? x509.ExtendedKeyUsage.clientAuth : x509.ExtendedKeyUsage.serverAuth],
      false,
    ),
  ];
  if (names.length)
    extensions.push(
      new x509.SubjectAlternativeNameExtension(
        names.map((n) => ({ type: isIpLiteral(n) ? 'ip' : 'dns', value: n })),
      ),
    );
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial.toString('hex'),
    name: `CN=${spec.commonName}`,
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + spec.days * 86_400_000),
    signingAlgorithm: alg,
    keys,
    extensions,
  });
  return {
    certPem: cert.toString('pem') + '\n',
    keyPem: crypto.KeyObject.from(keys.privateKey).export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}

/** Writes `text` to a new `file` with `mode` (exclusive create, no link followed, mode set past the umask). */
function writeNew(file: string, text: string, mode: number): void {
  const { O_CREAT, O_EXCL, O_NOFOLLOW, O_WRONLY } = fs.constants;
  const fd = fs.openSync(file, O_CREAT | O_EXCL | O_NOFOLLOW | O_WRONLY, mode);
  try {
    fs.writeSync(fd, text);
    fs.fchmodSync(fd, mode);
  } finally {
    fs.closeSync(fd);
  }
}

/** Reads `file` as UTF-8, refusing a link. */
function readNoLink(file: string): string {
  const fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
  try {
    return fs.readFileSync(fd, 'utf8');
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * A certificate and key kept in the private folder `dir`: `dir` is made 0700 and checked (see
 * {@link ensurePrivateFolder}); when both `files.cert` and `files.key` (names inside `dir`) are there,
 * the key is checked (see {@link privacyProblem}) and both are read (no link followed); otherwise
 * `make` makes a new pair, written key first (a stale one removed; exclusive create, 0600, no link
 * followed), then the certificate (0644, through a temporary file renamed into place), whose presence
 * marks the pair complete.
 * @param risk what others could do with the key, for the messages.
 * @returns the pair, and whether it was made now.
 * @throws NotPrivateError when the folder or key is not private; Error when the files cannot be read or written.
 */
export async function keptCertificate(
  dir: string,
  files: { cert: string; key: string },
  make: () => Promise<CertificateAndKey>,
  risk: string,
  uid: number | undefined = currentUid(),
): Promise<CertificateAndKey & { made: boolean }> {
  ensurePrivateFolder(dir, risk, uid);
  const certFile = path.join(dir, files.cert);
  const keyFile = path.join(dir, files.key);
  if (fs.existsSync(certFile) && fs.existsSync(keyFile)) {
    const problem = privacyProblem(keyFile, 'file', risk, uid);
    if (problem) throw new NotPrivateError(problem);
    return { certPem: readNoLink(certFile), keyPem: readNoLink(keyFile), made: false };
  }
  const made = await make();
  fs.rmSync(keyFile, { force: true });
  writeNew(keyFile, made.keyPem, 0o600);
  const tmp = `${certFile}.${process.pid}.tmp`;
  fs.rmSync(tmp, { force: true });
  writeNew(tmp, made.certPem, 0o644);
  fs.renameSync(tmp, certFile);
  return { ...made, made: true };
}
