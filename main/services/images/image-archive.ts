// The base image as files: a built rootfs folder in the cache, and the one-tar export of it (GNU tar CLI).
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { AppError } from '../../../contract/errors';
import { run, SpawnError } from '../../platform/spawn';
import { checkImportFile, createExportFile, openImportFile, removeExportFile } from './image-file';
import { BASE_IMAGE_REF, IMAGE_FILES, validateManifest } from './image-manifest';
import type { ImageManifest } from './image-manifest';

/** Deadline of one tar run (ms): an export is ~300 MB of local disk I/O. */
const TAR_TIMEOUT_MS = 10 * 60_000;

/** A built rootfs: its folder and parsed manifest. Paths are absolute. */
export interface RootfsFiles {
  dir: string;
  manifest: ImageManifest;
  rootfs: string;
  metadata: string;
}

/** SHA-256 of a file, hex (streamed: a rootfs is hundreds of MB). @throws Error when it cannot be read. */
export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of fs.createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * The rootfs built in `dir` when it is complete and matches this app: manifest.json valid for
 * {@link BASE_IMAGE_REF} and both tarballs present with the sizes it records. Null otherwise (never
 * throws for a missing or stale build). `verifyHashes` also checks the SHA-256 sums (seconds per GB).
 */
export async function readRootfs(dir: string, verifyHashes = false): Promise<RootfsFiles | null> {
  let manifest: ImageManifest;
  try {
    manifest = validateManifest(await fs.promises.readFile(path.join(dir, 'manifest.json'), 'utf8'), dir);
  } catch {
    return null;
  }
  const files: RootfsFiles = {
    dir,
    manifest,
    rootfs: path.join(dir, 'rootfs.tar'),
    metadata: path.join(dir, 'metadata.tar.gz'),
  };
  const entries = [
    [files.rootfs, manifest.files['rootfs.tar']],
    [files.metadata, manifest.files['metadata.tar.gz']],
  ] as const;
  for (const [file, entry] of entries) {
    const size = await fs.promises.stat(file).then(
      (s) => s.size,
      () => -1,
    );
    if (size !== entry.bytes) return null;
    if (verifyHashes && (await sha256File(file)) !== entry.sha256) return null;
  }
  return files;
}

/**
 * Writes one uncompressed tar at `file` holding manifest.json, rootfs.tar and metadata.tar.gz of
 * `built` (manifest first, so a reader finds it at once). `file` is created exclusively, in a folder
 * no other user can change (createExportFile: never an existing file, never through a link); tar writes
 * to that descriptor, and the file is removed again when tar fails.
 * @returns the real path written and its size in bytes.
 * @throws AppError INVALID_INPUT naming what is wrong with `file` and what is valid; INTERNAL when tar fails.
 */
export async function writeExport(
  built: RootfsFiles,
  file: string,
): Promise<{ path: string; bytes: number }> {
  const out = createExportFile(file);
  try {
    await run('tar', ['--numeric-owner', '-cf', '-', '-C', built.dir, ...IMAGE_FILES], {
      timeoutMs: TAR_TIMEOUT_MS,
      stdoutFd: out.fd,
    });
    fs.fsyncSync(out.fd);
    return { path: out.path, bytes: fs.fstatSync(out.fd).size };
  } catch (err) {
    removeExportFile(out);
    throw new AppError(
      'INTERNAL',
      `Exporting ${BASE_IMAGE_REF} to ${out.path} failed: ${(err as Error).message}`,
    );
  } finally {
    fs.closeSync(out.fd);
  }
}

/**
 * Unpacks an export written by {@link writeExport} into the new folder `into` and checks it: exactly
 * the three files, a manifest for {@link BASE_IMAGE_REF}, SHA-256 sums that match. `file` must be a
 * regular file that is not a link (checkImportFile); tar reads it from a descriptor opened with
 * `O_NOFOLLOW` and checked to be that same file, never by path.
 * @throws AppError INVALID_INPUT naming the file, what was found and what was expected.
 */
export async function readExport(file: string, into: string): Promise<RootfsFiles> {
  const checked = checkImportFile(file);
  const source = checked.path;
  const expected = `a tar holding ${IMAGE_FILES.join(', ')} (written by Agent Desk's image export)`;
  /** One tar run reading the file on its stdin, from a fresh descriptor (each starts at offset 0). */
  const tar = async (args: string[], fullStdout = false) => {
    const fd = openImportFile(checked);
    try {
      return await run('tar', args, { timeoutMs: TAR_TIMEOUT_MS, stdinFd: fd, fullStdout });
    } finally {
      fs.closeSync(fd);
    }
  };
  let members: string[];
  try {
    members = (await tar(['-tf', '-'], true)).stdout
      .split('\n')
      .map((l) => l.replace(/^\.\//, '').trim())
      .filter(Boolean);
  } catch (err) {
    if (err instanceof AppError) throw err;
    const why = err instanceof SpawnError ? err.stderr.trim().split('\n').pop() : (err as Error).message;
    throw new AppError(
      'INVALID_INPUT',
      `${source} is not a tar archive (${why ?? 'unreadable'}); expected ${expected}`,
    );
  }
  const sorted = [...members].sort();
  if (sorted.join('\n') !== [...IMAGE_FILES].sort().join('\n')) {
    throw new AppError(
      'INVALID_INPUT',
      `${source} is not an Agent Desk image export: it holds ${members.slice(0, 8).join(', ') || 'nothing'}; expected ${expected}`,
      { found: members.slice(0, 20), expected: [...IMAGE_FILES] },
    );
  }
  const manifestText = (await tar(['-xOf', '-', '--occurrence=1', 'manifest.json'], true)).stdout;
  validateManifest(manifestText, source);
  await fs.promises.mkdir(into, { recursive: true });
  await tar(['--no-same-owner', '-xf', '-', '-C', into, ...IMAGE_FILES]);
  const built = await readRootfs(into, true);
  if (!built)
    throw new AppError(
      'INVALID_INPUT',
      `${source} is damaged: rootfs.tar or metadata.tar.gz does not match the SHA-256 in its manifest.json`,
    );
  return built;
}
