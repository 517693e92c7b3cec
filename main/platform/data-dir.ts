// The data dir must be private: mode 0700 (no group or other bits) and owned by the user running the core.
import fs from 'node:fs';

/** Thrown when the data dir is readable or writable by others, or owned by someone else; the message names the fix. */
export class DataDirNotPrivateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DataDirNotPrivateError';
  }
}

/**
 * Why `home` is not private to this user, or `null` when it is: it must be a directory owned by this
 * process's user with no permission bits for group or others (0700, or stricter). It holds the database
 * (settings, providers, virtual key hashes), the control token and agents' folders; another user who can
 * write there could change what the core runs or read the token. Not applied on Windows (`null`).
 * @param uid this process's user (default `process.getuid()`).
 */
export function dataDirProblem(
  home: string,
  uid = typeof process.getuid === 'function' ? process.getuid() : undefined,
): string | null {
  if (uid === undefined) return null;
  const st = fs.statSync(home);
  if (!st.isDirectory()) return `The data dir ${home} is not a directory.`;
  if (st.uid !== uid)
    return `The data dir ${home} belongs to another user (uid ${st.uid}), not to you (uid ${uid}): another user could change what Agent Desk runs. Take it over with \`sudo chown -R ${uid} ${home}\` (and \`chmod 700 ${home}\`), or use another data dir with --home.`;
  if (st.mode & 0o077)
    return `The data dir ${home} has mode 0${(st.mode & 0o777).toString(8)}: other users could read or change it. Run \`chmod 700 ${home}\` and start again.`;
  return null;
}

/**
 * Creates `home` (and missing parents) with mode 0700 when it does not exist, then checks it with
 * {@link dataDirProblem}. Called before anything is read or written in it.
 * @throws DataDirNotPrivateError naming the problem and the fix; Error when it cannot be created.
 */
export function ensurePrivateDataDir(home: string): void {
  fs.mkdirSync(home, { recursive: true, mode: 0o700 });
  const problem = dataDirProblem(home);
  if (problem) throw new DataDirNotPrivateError(problem);
}
