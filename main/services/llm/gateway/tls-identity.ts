// The gateway's TLS identity: one self-signed ECDSA P-256 certificate for `agentdesk-gateway`, made once, its key private to the core.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { NotPrivateError } from '../../../platform/private-folder';
import { keptCertificate, makeSelfSignedCertificate } from '../../../platform/tls-certs';

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
export { NotPrivateError as GatewayTlsNotPrivateError };

/** What others could do with a folder or key not private to this user (for the messages). */
const RISK = "read the gateway's TLS key";

/**
 * Makes a new self-signed certificate (see {@link makeSelfSignedCertificate}; ECDSA P-256 with
 * SHA-256): subject and issuer `CN=agentdesk-gateway`, SAN `DNS:agentdesk-gateway` only, not a CA, key
 * usage digitalSignature, extended key usage serverAuth, a random 128-bit serial, valid from one minute
 * ago for 10 years.
 * @param now epoch ms (tests).
 */
export async function makeGatewayTlsIdentity(now = Date.now()): Promise<GatewayTlsIdentity> {
  const made = await makeSelfSignedCertificate({
    commonName: GATEWAY_TLS_NAME,
    usage: 'server',
    names: [GATEWAY_TLS_NAME],
    days: VALIDITY_DAYS,
    now,
  });
  return { ...made, fingerprint256: new crypto.X509Certificate(made.certPem).fingerprint256 };
}

/**
 * The gateway's identity in `dir` (`<dataDir>/gateway-tls`): `cert.pem` and `key.pem`, made once (see
 * {@link makeGatewayTlsIdentity}) and read back at later starts, kept as `keptCertificate` keeps them:
 * the folder 0700 and the key 0600, both checked at every load to be this user's, not links and to have
 * no group or other bits; here also the key to match the certificate.
 * @throws GatewayTlsNotPrivateError when the folder or the key is another user's, a link, or readable by
 *   others; Error when the files are unreadable or do not belong together (the message says to remove
 *   the folder: a new certificate is then made, and remote agents get it at their next start).
 */
export async function loadGatewayTlsIdentity(
  dir: string,
  uid = typeof process.getuid === 'function' ? process.getuid() : undefined,
): Promise<GatewayTlsIdentity> {
  try {
    const files = { cert: 'cert.pem', key: 'key.pem' };
    const { certPem, keyPem } = await keptCertificate(dir, files, makeGatewayTlsIdentity, RISK, uid);
    const x = new crypto.X509Certificate(certPem);
    if (!x.checkPrivateKey(crypto.createPrivateKey(keyPem)))
      throw new Error('the key does not match the certificate');
    if (!x.checkHost(GATEWAY_TLS_NAME)) throw new Error(`the certificate does not name ${GATEWAY_TLS_NAME}`);
    return { certPem, keyPem, fingerprint256: x.fingerprint256 };
  } catch (err) {
    if (err instanceof NotPrivateError) throw err;
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
