// The gateway's TLS identity: one self-signed ECDSA P-256 certificate for `agentdesk-gateway`, made once, its key private to the core.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';

/** The only name the certificate carries (its CN and its one `DNS:` subject alternative name). */
export const GATEWAY_TLS_NAME = 'agentdesk-gateway';

/** How long a made certificate is valid (days). Agents pin it; a new one means writing their config again. */
const VALIDITY_DAYS = 3650;

/** The certificate and key the TLS listener serves, both PEM. */
export interface GatewayTlsIdentity {
  certPem: string;
  /** PKCS#8 PEM. Never leaves the core: agents get {@link certPem} only. */
  keyPem: string;
  /** SHA-256 fingerprint of the certificate, `AB:CD:…` (as `openssl x509 -fingerprint -sha256` prints it). */
  fingerprint256: string;
}

/** Thrown when the folder or the key file is not private to this user; the message names the fix. */
export class GatewayTlsNotPrivateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GatewayTlsNotPrivateError';
  }
}

const OID_CN = '2.5.4.3';
const OID_SAN = '2.5.29.17';
const OID_BASIC_CONSTRAINTS = '2.5.29.19';
const OID_KEY_USAGE = '2.5.29.15';
const OID_EXT_KEY_USAGE = '2.5.29.37';
const OID_SERVER_AUTH = '1.3.6.1.5.5.7.3.1';

function pem(label: string, der: ArrayBuffer | Buffer): string {
  const b64 = Buffer.from(der as ArrayBuffer).toString('base64');
  return `-----BEGIN ${label}-----\n${b64.match(/.{1,64}/g)!.join('\n')}\n-----END ${label}-----\n`;
}

function name(): pkijs.RelativeDistinguishedNames {
  return new pkijs.RelativeDistinguishedNames({
    typesAndValues: [
      new pkijs.AttributeTypeAndValue({
        type: OID_CN,
        value: new asn1js.Utf8String({ value: GATEWAY_TLS_NAME }),
      }),
    ],
  });
}

/**
 * Makes a new self-signed certificate (X.509 v3, ECDSA P-256 with SHA-256): subject and issuer
 * `CN=agentdesk-gateway`, SAN `DNS:agentdesk-gateway` only, not a CA, key usage digitalSignature,
 * extended key usage serverAuth, a random 128-bit serial, valid from one minute ago for 10 years.
 * @param now epoch ms (tests).
 */
export async function makeGatewayTlsIdentity(now = Date.now()): Promise<GatewayTlsIdentity> {
  const subtle = crypto.webcrypto.subtle;
  const engine = new pkijs.CryptoEngine({
    name: 'node',
    // Node's WebCrypto is the engine pkijs expects (its type names the DOM's Crypto, absent here).
    crypto: crypto.webcrypto as never,
  });
  const alg = { name: 'ECDSA', namedCurve: 'P-256' };
  const keys = await subtle.generateKey(alg, true, ['sign', 'verify']);
  const cert = new pkijs.Certificate();
  cert.version = 2;
  const serial = crypto.randomBytes(16);
  serial[0] = (serial[0]! & 0x7f) | 0x01; // positive, no leading zero byte
  cert.serialNumber = new asn1js.Integer({ valueHex: new Uint8Array(serial).buffer });
  cert.subject = name();
  cert.issuer = name();
  cert.notBefore.value = new Date(now - 60_000);
  cert.notAfter.value = new Date(now + VALIDITY_DAYS * 86_400_000);
  const san = new pkijs.AltName({ altNames: [new pkijs.GeneralName({ type: 2, value: GATEWAY_TLS_NAME })] });
  const keyUsage = new asn1js.BitString({ valueHex: new Uint8Array([0x80]).buffer, unusedBits: 7 });
  const eku = new pkijs.ExtKeyUsage({ keyPurposes: [OID_SERVER_AUTH] });
  cert.extensions = [
    new pkijs.Extension({ extnID: OID_SAN, critical: false, extnValue: san.toSchema().toBER(false) }),
    new pkijs.Extension({
      extnID: OID_BASIC_CONSTRAINTS,
      critical: true,
      extnValue: new pkijs.BasicConstraints({ cA: false }).toSchema().toBER(false),
    }),
    new pkijs.Extension({ extnID: OID_KEY_USAGE, critical: true, extnValue: keyUsage.toBER(false) }),
    new pkijs.Extension({
      extnID: OID_EXT_KEY_USAGE,
      critical: false,
      extnValue: eku.toSchema().toBER(false),
    }),
  ];
  await cert.subjectPublicKeyInfo.importKey(keys.publicKey, engine);
  await cert.sign(keys.privateKey, 'SHA-256', engine);
  const certPem = pem('CERTIFICATE', cert.toSchema(true).toBER(false));
  const keyPem = crypto.KeyObject.from(keys.privateKey).export({ type: 'pkcs8', format: 'pem' }) as string;
  return { certPem, keyPem, fingerprint256: new crypto.X509Certificate(certPem).fingerprint256 };
}

/** Why `file` (a folder when `dir`) is not private to `uid`, or `null`. */
function privacyProblem(file: string, dir: boolean, uid: number | undefined): string | null {
  const st = fs.lstatSync(file);
  if (dir ? !st.isDirectory() : !st.isFile())
    return `${file} is not a ${dir ? 'folder' : 'regular file'} (a link or something else): remove it and start again.`;
  if (uid !== undefined && st.uid !== uid)
    return `${file} belongs to another user (uid ${st.uid}), not to you (uid ${uid}): remove it (a new certificate is made) or take it over with \`chown ${uid} ${file}\`.`;
  if (st.mode & 0o077)
    return `${file} has mode 0${(st.mode & 0o777).toString(8)}: other users could read the gateway's TLS key. Run \`chmod ${dir ? 700 : 600} ${file}\` and start again.`;
  return null;
}

/**
 * The gateway's identity in `dir` (`<dataDir>/gateway-tls`): `cert.pem` and `key.pem`, made once (see
 * {@link makeGatewayTlsIdentity}) and read back at later starts. The folder is made 0700 and the key
 * written 0600 (exclusive create, no link followed); at every load both are checked to be this user's
 * and to have no group or other bits, and the key to match the certificate.
 * @throws GatewayTlsNotPrivateError when the folder or the key is another user's, a link, or readable by
 *   others; Error when the files are unreadable or do not belong together (the message says to remove
 *   the folder: a new certificate is then made, and remote agents get it at their next start).
 */
export async function loadGatewayTlsIdentity(
  dir: string,
  uid = typeof process.getuid === 'function' ? process.getuid() : undefined,
): Promise<GatewayTlsIdentity> {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const dirProblem = privacyProblem(dir, true, uid);
  if (dirProblem) throw new GatewayTlsNotPrivateError(dirProblem);
  const certFile = path.join(dir, 'cert.pem');
  const keyFile = path.join(dir, 'key.pem');
  if (!fs.existsSync(keyFile) && !fs.existsSync(certFile)) {
    const made = await makeGatewayTlsIdentity();
    const { O_CREAT, O_EXCL, O_NOFOLLOW, O_WRONLY } = fs.constants;
    for (const [file, text, mode] of [
      [keyFile, made.keyPem, 0o600],
      [certFile, made.certPem, 0o644],
    ] as const) {
      const fd = fs.openSync(file, O_CREAT | O_EXCL | O_NOFOLLOW | O_WRONLY, mode);
      try {
        fs.writeSync(fd, text);
        fs.fchmodSync(fd, mode);
      } finally {
        fs.closeSync(fd);
      }
    }
    return made;
  }
  const keyProblem = fs.existsSync(keyFile) ? privacyProblem(keyFile, false, uid) : null;
  if (keyProblem) throw new GatewayTlsNotPrivateError(keyProblem);
  const read = (file: string): string => {
    const fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
    try {
      return fs.readFileSync(fd, 'utf8');
    } finally {
      fs.closeSync(fd);
    }
  };
  try {
    const certPem = read(certFile);
    const keyPem = read(keyFile);
    const x = new crypto.X509Certificate(certPem);
    if (!x.checkPrivateKey(crypto.createPrivateKey(keyPem)))
      throw new Error('the key does not match the certificate');
    if (!x.checkHost(GATEWAY_TLS_NAME)) throw new Error(`the certificate does not name ${GATEWAY_TLS_NAME}`);
    return { certPem, keyPem, fingerprint256: x.fingerprint256 };
  } catch (err) {
    throw new Error(
      `The gateway's TLS files in ${dir} are not usable (${(err as Error).message}). Remove the folder: a new certificate is made at the next start, and remote agents get it when they start again.`,
      { cause: err },
    );
  }
}

/**
 * The TLS port of the last run, kept in `<dir>/port.json` (`{"port": N}`), or 0 (none, or unreadable):
 * remote agents' env files name it, so it is passed to `Gateway.enableTls` again at the next start.
 */
export function rememberedTlsPort(dir: string): number {
  try {
    const p = (JSON.parse(fs.readFileSync(path.join(dir, 'port.json'), 'utf8')) as { port?: unknown }).port;
    return typeof p === 'number' && Number.isInteger(p) && p > 0 && p < 65536 ? p : 0;
  } catch {
    return 0;
  }
}

/** Keeps `port` as {@link rememberedTlsPort}'s answer (mode 0600). @throws Error on a file system error. */
export function rememberTlsPort(dir: string, port: number): void {
  fs.writeFileSync(path.join(dir, 'port.json'), JSON.stringify({ port }), { mode: 0o600 });
}
