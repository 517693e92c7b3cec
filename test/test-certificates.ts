// Test helper: throwaway TLS certificates made with openssl (a CA, and certificates it signs).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/**
 * Makes `<name>.key` (ECDSA P-256, PKCS#8 PEM) and `<name>.pem` in `dir` with openssl, valid `days`
 * days: when `ca` is null a self-signed CA (basicConstraints critical CA:TRUE, keyUsage critical
 * keyCertSign, cRLSign), else a certificate signed by the CA `<ca>.pem`/`<ca>.key` in `dir`, with the
 * extensions in `ext` (lines of an openssl extension file, e.g. `extendedKeyUsage=clientAuth`).
 * @throws Error when openssl fails (or takes more than 20 s a step).
 */
export function opensslCertificate(
  dir: string,
  name: string,
  subject: string,
  ca: string | null,
  ext: string,
  days = 2,
): void {
  const openssl = (...args: string[]) =>
    execFileSync('openssl', args, { cwd: dir, stdio: 'pipe', timeout: 20_000 });
  const key = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}.key`];
  if (!ca) {
    openssl(
      'req',
      '-x509',
      ...key,
      '-out',
      `${name}.pem`,
      '-days',
      String(days),
      '-subj',
      subject,
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    );
    return;
  }
  fs.writeFileSync(path.join(dir, `${name}.ext`), `${ext}\n`);
  openssl('req', ...key, '-out', `${name}.csr`, '-subj', subject);
  openssl(
    'x509',
    '-req',
    '-in',
    `${name}.csr`,
    '-CA',
    `${ca}.pem`,
    '-CAkey',
    `${ca}.key`,
    '-CAcreateserial',
    '-out',
    `${name}.pem`,
    '-days',
    String(days),
    '-extfile',
    `${name}.ext`,
  );
}
