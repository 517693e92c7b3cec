// Folders and files that must be private to this user (a key, the sockets reaching agents): this user's, not a link, no group or other bits.
import fs from 'node:fs';

/** Thrown when a folder or key file that must be private to this user is not; the message names the fix. */
export class NotPrivateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NotPrivateError';
  }
}

/** This process's uid, or undefined where there is none (Windows). */
export function currentUid(): number | undefined {
  return typeof process.getuid === 'function' ? process.getuid() : undefined;
}

/**
 * Why `file` is not private to `uid`, or `null`: it must be a folder (`kind: 'folder'`, mode 0700 or
 * stricter) or a regular file (`kind: 'file'`, 0600 or stricter) itself — not a link —, owned by `uid`,
 * with no group or other bits.
 * @param risk what others could do otherwise, for the message (e.g. `read the gateway's TLS key`).
 * @param uid the owner required; `undefined`: the owner is not checked.
 * @throws Error (ENOENT…) when `file` cannot be looked at.
 */
export function privacyProblem(
  file: string,
  kind: 'folder' | 'file',
  risk: string,
  uid: number | undefined = currentUid(),
): string | null {
  const st = fs.lstatSync(file);
  const folder = kind === 'folder';
  if (folder ? !st.isDirectory() : !st.isFile())
    return `${file} is not a ${folder ? 'folder' : 'regular file'} (a link or something else): remove it and start again.`;
  if (uid !== undefined && st.uid !== uid)
    return `${file} belongs to another user (uid ${st.uid}), not to you (uid ${uid}): remove it or take it over with \`chown ${uid} ${file}\`.`;
  if (st.mode & 0o077) {
    const want = folder ? '700' : '600';
    return `${file} has mode 0${(st.mode & 0o777).toString(8)} where it must have mode 0${want}: other users could ${risk}. Run \`chmod ${want} ${file}\` and start again.`;
  }
  return null;
}

/**
 * Makes `dir` (and missing parents) with mode 0700 when it does not exist, then checks it with
 * {@link privacyProblem}.
 * @throws NotPrivateError naming the problem and the fix; Error when it cannot be made.
 */
export function ensurePrivateFolder(dir: string, risk: string, uid: number | undefined = currentUid()): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const problem = privacyProblem(dir, 'folder', risk, uid);
  if (problem) throw new NotPrivateError(problem);
}
