// Whether a program is safe for the core to run: owned by this user or root and writable by no one else, nor its folders.
import fs from 'node:fs';
import path from 'node:path';

/** Why a program must not be run, and what the user can do about it. */
export interface ExecutableProblem {
  /** One sentence naming the file and the reason, e.g. "/x/litellm is writable by other users (mode 0777)". */
  reason: string;
  /** The fix as an imperative sentence, e.g. "Run `chmod go-w /x/litellm`". */
  fix: string;
}

const mode = (m: number) => `0${(m & 0o7777).toString(8).padStart(3, '0')}`;

/** The user id the check trusts besides root: this process's own (`undefined` on Windows). */
function currentUid(): number | undefined {
  return typeof process.getuid === 'function' ? process.getuid() : undefined;
}

/**
 * Checks one folder of the chain: owned by `uid` or root, and not writable by group or others —
 * unless it has the sticky bit (like `/tmp`: others cannot rename or remove what they do not own,
 * and the next entry of the chain is checked for its own owner).
 */
function folderProblem(dir: string, uid: number): ExecutableProblem | null {
  let st: fs.Stats;
  try {
    st = fs.statSync(dir);
  } catch (err) {
    return {
      reason: `${dir} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
      fix: 'Check the path',
    };
  }
  if (st.uid !== uid && st.uid !== 0)
    return {
      reason: `the folder ${dir} belongs to another user (uid ${st.uid}), who could replace the program`,
      fix: 'Move the program to a folder owned by you or root',
    };
  if (st.mode & 0o022 && !(st.mode & 0o1000))
    return {
      reason: `the folder ${dir} is writable by ${st.mode & 0o002 ? 'other users' : 'its group'} (mode ${mode(st.mode)}), who could replace the program`,
      fix: `Run \`chmod go-w ${dir}\`, or move the program to a folder only you can write`,
    };
  return null;
}

/** Checks the file itself: a regular, executable file owned by `uid` or root and writable by no one else. */
function fileProblem(file: string, uid: number): ExecutableProblem | null {
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return {
      reason: code === 'ENOENT' ? `${file} does not exist` : `${file} cannot be read (${code ?? 'error'})`,
      fix: 'Give the path of an installed program',
    };
  }
  if (!st.isFile())
    return { reason: `${file} is not a regular file`, fix: 'Give the path of the program itself' };
  try {
    fs.accessSync(file, fs.constants.X_OK);
  } catch {
    return { reason: `${file} is not executable`, fix: `Run \`chmod u+x ${file}\`` };
  }
  if (st.uid !== uid && st.uid !== 0)
    return {
      reason: `${file} belongs to another user (uid ${st.uid})`,
      fix: 'Use a program owned by you or root (`chown` it, or install your own copy)',
    };
  if (st.mode & 0o022)
    return {
      reason: `${file} is writable by ${st.mode & 0o002 ? 'other users' : 'its group'} (mode ${mode(st.mode)})`,
      fix: `Run \`chmod go-w ${file}\``,
    };
  return null;
}

/** The file and every folder above it, root first, each checked; the first problem found. */
function chainProblem(file: string, uid: number): ExecutableProblem | null {
  const dirs: string[] = [];
  for (let d = path.dirname(file); ; d = path.dirname(d)) {
    dirs.unshift(d);
    if (path.dirname(d) === d) break;
  }
  for (const d of dirs) {
    const p = folderProblem(d, uid);
    if (p) return p;
  }
  return fileProblem(file, uid);
}

/** The absolute interpreter of a `#!` script (`#!/usr/bin/env x` gives `/usr/bin/env`), else `null`. */
function interpreterOf(file: string): string | null {
  let fd: number | null = null;
  try {
    fd = fs.openSync(file, 'r');
    const buf = Buffer.alloc(256);
    const n = fs.readSync(fd, buf, 0, buf.length, 0);
    const head = buf.subarray(0, n).toString('utf8');
    if (!head.startsWith('#!')) return null;
    const first = head.slice(2).split('\n')[0]!.trim().split(/\s+/)[0] ?? '';
    return path.isAbsolute(first) ? first : null;
  } catch {
    return null;
  } finally {
    if (fd !== null) fs.closeSync(fd);
  }
}

/**
 * Why the core must not run `file`, or `null` when it may. The same rule as sudo's and OpenSSH's
 * safe-path checks, so that no other local user can choose what the core runs (it runs LiteLLM with
 * every provider key in its environment):
 * - an absolute path to a regular, executable file owned by this user or root, not writable by group
 *   or others;
 * - every folder above it (as given and after resolving links) owned by this user or root and not
 *   writable by group or others, except sticky folders such as `/tmp`;
 * - for a `#!` script, its absolute interpreter passes the same check (a venv's `python` link resolves
 *   to the system Python).
 * Not applied on Windows (no POSIX owners and modes): always `null` there.
 * @param uid the user trusted besides root (default: this process's user).
 */
export function executableProblem(file: string, uid = currentUid()): ExecutableProblem | null {
  if (uid === undefined) return null;
  if (!path.isAbsolute(file))
    return {
      reason: `"${file}" is not an absolute path`,
      fix: 'Give the full path, e.g. /usr/local/bin/litellm',
    };
  const given = chainProblem(path.normalize(file), uid);
  if (given) return given;
  let real: string;
  try {
    real = fs.realpathSync(file);
  } catch {
    return { reason: `${file} cannot be resolved`, fix: 'Give the path of an installed program' };
  }
  if (real !== path.normalize(file)) {
    const p = chainProblem(real, uid);
    if (p) return p;
  }
  const interpreter = interpreterOf(real);
  if (interpreter) {
    const p = chainProblem(interpreter, uid);
    if (p) return { reason: `its interpreter is not safe: ${p.reason}`, fix: p.fix };
    const realInterpreter = fs.realpathSync(interpreter);
    if (realInterpreter !== interpreter) {
      const q = chainProblem(realInterpreter, uid);
      if (q) return { reason: `its interpreter is not safe: ${q.reason}`, fix: q.fix };
    }
  }
  return null;
}

/** `reason` and `fix` of a problem as one sentence for messages and logs. */
export function describeExecutableProblem(file: string, p: ExecutableProblem): string {
  return `Refusing to run ${file}: ${p.reason}. ${p.fix}.`;
}
