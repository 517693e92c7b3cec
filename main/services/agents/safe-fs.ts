// File operations inside an agent-writable tree that never follow a link the agent planted (docs/security/containment.md).
import fs from 'node:fs';
import path from 'node:path';

/** A path inside an agent's tree that is a link (or not what it must be); the host refused to touch it. */
export class UnsafePathError extends Error {
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(message);
    this.name = 'UnsafePathError';
  }
}

const { O_CREAT, O_EXCL, O_NOFOLLOW, O_WRONLY } = fs.constants;

/** `lstat` or null when missing. @throws for errors other than ENOENT/ENOTDIR. */
function lstatOrNull(p: string): fs.Stats | null {
  try {
    return fs.lstatSync(p);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw err;
  }
}

/** The components of `target` below `base`. @throws UnsafePathError when `target` is not under `base`. */
function componentsBelow(base: string, target: string): string[] {
  const rel = path.relative(base, target);
  if (rel === '') return [];
  if (rel.startsWith('..') || path.isAbsolute(rel))
    throw new UnsafePathError(target, `${target} is not inside ${base}`);
  return rel.split(path.sep);
}

/**
 * Checks that no component of `target` from `base` down (both included) is a symbolic link; every
 * existing component but the last must be a directory. Missing components are fine.
 * Race-freedom comes from the callers: they write into an agent's tree only while no process of the
 * agent runs (its container is created, stopped or removed), so nothing can swap a component between
 * this check and the use.
 * @returns whether `target` exists.
 * @throws UnsafePathError naming the first link or non-directory.
 */
export function assertNoLinks(base: string, target: string): boolean {
  let cur = base;
  const parts = ['', ...componentsBelow(base, target)];
  for (let i = 0; i < parts.length; i++) {
    cur = parts[i] ? path.join(cur, parts[i]!) : cur;
    const st = lstatOrNull(cur);
    if (!st) return false;
    if (st.isSymbolicLink())
      throw new UnsafePathError(
        cur,
        `${cur} is a symbolic link; Agent Desk does not follow links in an agent's folder (remove it and retry)`,
      );
    if (i < parts.length - 1 && !st.isDirectory())
      throw new UnsafePathError(cur, `${cur} is not a folder; Agent Desk expected one there`);
  }
  return true;
}

/**
 * Creates the folder `target` (and the missing folders between `base` and it) with `mode`, refusing a
 * link on any component; existing folders are kept as they are. `owner` (uid/gid) is applied to the
 * folders it creates when given (the core runs as root and the agent as an unprivileged user).
 * @throws UnsafePathError for a link or a file in the way.
 */
export function mkdirNoFollow(
  base: string,
  target: string,
  mode: number,
  owner?: { uid: number; gid: number },
): void {
  assertNoLinks(base, base);
  let cur = base;
  for (const part of componentsBelow(base, target)) {
    cur = path.join(cur, part);
    const st = lstatOrNull(cur);
    if (st?.isSymbolicLink())
      throw new UnsafePathError(
        cur,
        `${cur} is a symbolic link; Agent Desk does not follow links in an agent's folder (remove it and retry)`,
      );
    if (st && !st.isDirectory())
      throw new UnsafePathError(cur, `${cur} is not a folder; Agent Desk expected one there`);
    if (st) continue;
    fs.mkdirSync(cur, { mode }); // mkdir never follows a link at its last component (EEXIST)
    fs.chmodSync(cur, mode); // umask
    if (owner) fs.lchownSync(cur, owner.uid, owner.gid);
  }
}

/**
 * Writes `content` to `file` with `mode`: a temporary sibling is created exclusively without following
 * links (`O_CREAT|O_EXCL|O_NOFOLLOW`), written, and renamed over `file` (rename replaces a link itself,
 * never its target). The folder of `file` is checked from `base` down for links first.
 * @throws UnsafePathError for a link on the way; file system errors.
 */
export function writeFileNoFollow(base: string, file: string, content: string | Buffer, mode: number): void {
  assertNoLinks(base, path.dirname(file));
  const tmp = `${file}.${process.pid}.${Date.now().toString(36)}.tmp`;
  const fd = fs.openSync(tmp, O_CREAT | O_EXCL | O_NOFOLLOW | O_WRONLY, mode);
  try {
    fs.writeSync(fd, typeof content === 'string' ? Buffer.from(content, 'utf8') : content);
    fs.fchmodSync(fd, mode);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  try {
    fs.renameSync(tmp, file);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw err;
  }
}

/**
 * Renames `from` to `to` (both under `base`), refusing links on every component of both paths (the
 * last component may be renamed as it is: rename never follows it).
 * @throws UnsafePathError; file system errors.
 */
export function renameNoFollow(base: string, from: string, to: string): void {
  assertNoLinks(base, path.dirname(from));
  assertNoLinks(base, path.dirname(to));
  const st = lstatOrNull(from);
  if (st?.isSymbolicLink())
    throw new UnsafePathError(from, `${from} is a symbolic link; Agent Desk does not move links`);
  fs.renameSync(from, to);
}

/** Removes `file` if it is there (a link is removed itself, never its target); folders on the way are checked. */
export function unlinkNoFollow(base: string, file: string): void {
  if (!assertNoLinks(base, path.dirname(file))) return;
  const st = lstatOrNull(file);
  if (!st || st.isDirectory()) return;
  fs.unlinkSync(file);
}

/**
 * Deletes the tree at `root` without ever following a link: links are unlinked, folders are made
 * readable and writable by their owner first (an agent may leave `0000` folders or read-only trees),
 * files of any mode (setuid, `0000`) are unlinked. It never crosses into another file system (a mount
 * point below `root` is left as it is and reported), so a folder mounted there is never emptied.
 * @returns whether `root` existed.
 * @throws Error naming the first entry that could not be removed (and why).
 */
export function removeTreeNoFollow(root: string): boolean {
  const top = lstatOrNull(root);
  if (!top) return false;
  if (top.isSymbolicLink() || !top.isDirectory()) {
    fs.unlinkSync(root);
    return true;
  }
  const dev = top.dev;
  const remove = (dir: string): void => {
    const st = fs.lstatSync(dir);
    if (st.dev !== dev)
      throw new Error(`${dir} is another file system mounted inside the agent's folder; unmount it first`);
    if ((st.mode & 0o700) !== 0o700) fs.chmodSync(dir, (st.mode & 0o7777) | 0o700);
    for (const name of fs.readdirSync(dir)) {
      const p = path.join(dir, name);
      const s = fs.lstatSync(p);
      if (s.isDirectory()) remove(p);
      else fs.unlinkSync(p);
    }
    fs.rmdirSync(dir);
  };
  remove(root);
  return true;
}

/**
 * Gives every entry of the tree at `root` to `uid:gid` with `lchown` (a link itself, never its target),
 * staying on `root`'s file system. Used once, by a root core, on a home an earlier version left to root.
 */
export function chownTreeNoFollow(root: string, uid: number, gid: number): void {
  const top = fs.lstatSync(root);
  if (top.isSymbolicLink()) throw new UnsafePathError(root, `${root} is a symbolic link`);
  const walk = (p: string): void => {
    const st = fs.lstatSync(p);
    if (st.dev !== top.dev) return;
    fs.lchownSync(p, uid, gid);
    if (st.isDirectory()) for (const name of fs.readdirSync(p)) walk(path.join(p, name));
  };
  walk(root);
}
