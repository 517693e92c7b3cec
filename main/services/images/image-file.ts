// The tarball `images.export` writes and `images.import` reads, named by an API caller: created exclusively in a folder no one else can change; read only when a regular file.
import fs from 'node:fs';
import path from 'node:path';
import { AppError } from '../../../contract/errors';

const { O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW, O_RDONLY, O_NONBLOCK } = fs.constants;

/** Who the core runs as (`null` on Windows, where these checks do not apply). */
function self(): { uid: number } | null {
  return typeof process.getuid === 'function' ? { uid: process.getuid() } : null;
}

function octal(mode: number): string {
  return (mode & 0o7777).toString(8).padStart(4, '0');
}

/**
 * Why another user could change what `dir` (a real path, no links) or a folder above it holds, or
 * `null`: each must be a folder owned by the core's user or root; `dir` itself writable by no one else
 * (group or others); a folder above it may be writable by others only with the sticky bit (as /tmp),
 * which keeps them from renaming or removing what is not theirs. Then no other user can swap a
 * component of the path between the check and the write. The rule of the programs the core runs
 * (main/platform/trusted-executable.ts), stricter for the folder written into.
 */
function folderProblem(dir: string, me: { uid: number }): string | null {
  for (let d = dir, first = true; ; first = false) {
    const st = fs.lstatSync(d);
    if (!st.isDirectory()) return `${d} is not a folder`;
    if (st.uid !== me.uid && st.uid !== 0)
      return `the folder ${d} belongs to uid ${st.uid}, not to the user Agent Desk runs as (uid ${me.uid}) or root`;
    const who = st.mode & 0o002 ? 'other users' : st.mode & 0o020 ? 'its group' : null;
    if (who && first) return `the folder ${d} can be written by ${who} (mode ${octal(st.mode)})`;
    if (who && (st.mode & 0o1000) === 0)
      return `the folder ${d} above it can be written by ${who} and has no sticky bit (mode ${octal(st.mode)})`;
    const up = path.dirname(d);
    if (up === d) return null;
    d = up;
  }
}

/** What valid targets look like, for every refusal of an export path. */
const VALID_EXPORT =
  'give a new file name in a folder that only you (or root) can write, e.g. `mkdir -m 700 ~/agentdesk-export` and a file in it';

/** A file created for an export: its descriptor (write to it) and its real path. */
export interface ExportFile {
  fd: number;
  path: string;
}

/**
 * Creates the export file `file` exclusively: its folder (resolved through links) and every folder
 * above must pass {@link folderProblem}; the file must not exist (`O_CREAT|O_EXCL|O_NOFOLLOW`, mode
 * 0644): neither an existing file nor a link is ever written through or replaced. The image is not
 * secret; 0644 lets the user copy a file the core (root in the documented setup) wrote.
 * @throws AppError INVALID_INPUT naming the path, what is wrong, and what is valid.
 */
export function createExportFile(file: string): ExportFile {
  const target = path.resolve(file);
  const name = path.basename(target);
  if (!name || name === '.' || name === '..' || /[\\/]$/.test(file))
    throw new AppError('INVALID_INPUT', `Cannot write ${target}: that names a folder; ${VALID_EXPORT}.`);
  let dir: string;
  try {
    dir = fs.realpathSync(path.dirname(target));
  } catch (err) {
    const why =
      (err as NodeJS.ErrnoException).code === 'ENOENT'
        ? `the folder ${path.dirname(target)} does not exist`
        : (err as Error).message;
    throw new AppError('INVALID_INPUT', `Cannot write ${target}: ${why}; ${VALID_EXPORT}.`);
  }
  const me = self();
  const bad = me ? folderProblem(dir, me) : null;
  if (bad) throw new AppError('INVALID_INPUT', `Cannot write ${target}: ${bad}; ${VALID_EXPORT}.`);
  const real = path.join(dir, name);
  try {
    return { fd: fs.openSync(real, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o644), path: real };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' || code === 'ELOOP') {
      const link = fs.lstatSync(real, { throwIfNoEntry: false })?.isSymbolicLink();
      throw new AppError(
        'INVALID_INPUT',
        `Cannot write ${target}: ${link ? 'a symbolic link' : 'a file'} with that name already exists, and an export never replaces a file or writes through a link; remove it or ${VALID_EXPORT}.`,
      );
    }
    throw new AppError(
      'INVALID_INPUT',
      `Cannot write ${target}: ${(err as Error).message}; ${VALID_EXPORT}.`,
    );
  }
}

/** Removes an export file after a failed write, if the path still names the file of `out.fd`. Closes nothing. */
export function removeExportFile(out: ExportFile): void {
  const mine = fs.fstatSync(out.fd);
  const there = fs.lstatSync(out.path, { throwIfNoEntry: false });
  if (there && there.dev === mine.dev && there.ino === mine.ino) fs.unlinkSync(out.path);
}

/** An import file that passed {@link checkImportFile}: reopened by {@link openImportFile}, which checks it is still the same file. */
export interface ImportFile {
  path: string;
  dev: number;
  ino: number;
}

function kindOf(st: fs.Stats): string {
  if (st.isDirectory()) return 'a folder';
  if (st.isFIFO()) return 'a named pipe (FIFO)';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

/**
 * Checks that `file` is a regular file reached without a link as its last component, with no other
 * hard link, before anything opens it (opening a device or a FIFO can block or act).
 * @throws AppError INVALID_INPUT naming the path and what it is (link, FIFO, device, folder …).
 */
export function checkImportFile(file: string): ImportFile {
  const source = path.resolve(file);
  const st = fs.lstatSync(source, { throwIfNoEntry: false });
  const valid = 'give the path of the tarball itself, a regular file written by `agentdesk images export`';
  if (!st) throw new AppError('INVALID_INPUT', `No image export at ${source}: ${valid}.`);
  if (st.isSymbolicLink())
    throw new AppError(
      'INVALID_INPUT',
      `${source} is a symbolic link, which an import never follows; ${valid}.`,
    );
  if (!st.isFile())
    throw new AppError('INVALID_INPUT', `${source} is ${kindOf(st)}, not a regular file; ${valid}.`);
  if (st.nlink > 1)
    throw new AppError(
      'INVALID_INPUT',
      `${source} has ${st.nlink} hard links (the same file under other names); copy it (cp) and import the copy.`,
    );
  return { path: source, dev: st.dev, ino: st.ino };
}

/**
 * Opens a checked import file for reading (`O_NOFOLLOW|O_NONBLOCK`: a link or FIFO swapped in since the
 * check neither is followed nor blocks), and checks it is the same regular file.
 * @returns a descriptor at offset 0 (close it).
 * @throws AppError INVALID_INPUT when the path now names something else.
 */
export function openImportFile(f: ImportFile): number {
  let fd: number;
  try {
    fd = fs.openSync(f.path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
  } catch (err) {
    throw new AppError('INVALID_INPUT', `Cannot read ${f.path}: ${(err as Error).message}.`);
  }
  const st = fs.fstatSync(fd);
  if (!st.isFile() || st.dev !== f.dev || st.ino !== f.ino) {
    fs.closeSync(fd);
    throw new AppError(
      'INVALID_INPUT',
      `${f.path} was replaced while it was being imported; import it again.`,
    );
  }
  return fd;
}
