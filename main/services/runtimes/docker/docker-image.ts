// `docker import` through the Engine API: a rootfs tar streamed to POST /images/create?fromSrc=-, with progress.
import fs from 'node:fs';
import type Dockerode from 'dockerode';
import { RuntimeOperationError } from '../container-runtime';
import type { RuntimeProgress } from '../container-runtime';
import { dockerStatus } from './docker-errors';
import { parseImageRef } from './docker-mapping';

/** Instructions `docker import --change` accepts (Docker CLI reference, "docker image import"). */
const CHANGE_INSTRUCTIONS = [
  'CMD',
  'ENTRYPOINT',
  'ENV',
  'EXPOSE',
  'LABEL',
  'ONBUILD',
  'USER',
  'VOLUME',
  'WORKDIR',
];

/** One line of the JSON progress stream (`{"status": …, "progressDetail": {…}}` or `{"error": …}`). */
interface ProgressLine {
  status?: string;
  progressDetail?: { current?: number; total?: number };
  error?: string;
  errorDetail?: { message?: string };
}

function fail(message: string): RuntimeOperationError {
  return new RuntimeOperationError('docker', 'importImage', message);
}

/**
 * Checks `changes` against the instructions `docker import` accepts.
 * @throws RuntimeOperationError naming the bad line and the valid instructions.
 */
export function validateChanges(changes: readonly string[]): void {
  for (const line of changes) {
    const word = line.trim().split(/\s+/)[0]?.toUpperCase() ?? '';
    if (!CHANGE_INSTRUCTIONS.includes(word)) {
      throw fail(`change "${line}" is not valid: start it with one of ${CHANGE_INSTRUCTIONS.join(', ')}`);
    }
  }
}

async function imageId(docker: Dockerode, ref: string): Promise<string | null> {
  try {
    return (await docker.getImage(ref).inspect()).Id;
  } catch (err) {
    if (dockerStatus(err) === 404) return null;
    throw err;
  }
}

/**
 * Imports `rootfsPath` (an uncompressed or gzip rootfs tarball) as `ref`, applying `changes`
 * (e.g. `ENTRYPOINT ["/usr/local/bin/agentdesk-init"]`). Progress: the fraction of the tar uploaded
 * (0–0.99) with the engine's status lines, then `{fraction: 1}` once the engine answered. When `ref`
 * already named another image, that image is removed afterwards if no container uses it.
 * @throws RuntimeOperationError for a bad ref/changes, a missing tar, or an error the engine reports
 *   in its progress stream; socket and HTTP errors are rethrown as they are (the caller maps them).
 */
export async function importRootfs(
  docker: Dockerode,
  ref: string,
  rootfsPath: string,
  changes: readonly string[],
  onProgress?: (p: RuntimeProgress) => void,
): Promise<void> {
  let repo: string;
  let tag: string;
  try {
    ({ repo, tag } = parseImageRef(ref));
  } catch (err) {
    throw fail((err as Error).message);
  }
  validateChanges(changes);
  let size: number;
  try {
    const st = await fs.promises.stat(rootfsPath);
    if (!st.isFile()) throw new Error('not a file');
    size = st.size;
  } catch {
    throw fail(
      `rootfs tarball ${rootfsPath} does not exist or is not a file: give the path of a .tar or .tar.gz`,
    );
  }
  const previous = await imageId(docker, ref);

  let lastPercent = -1;
  let message = `Importing ${ref}`;
  const report = (fraction: number | null): void => {
    const percent = fraction === null ? -1 : Math.floor(fraction * 100);
    if (percent === lastPercent && fraction !== null) return;
    lastPercent = percent;
    onProgress?.({ fraction, message });
  };
  report(0);

  const body = fs.createReadStream(rootfsPath);
  let sent = 0;
  body.on('data', (chunk: Buffer | string) => {
    sent += chunk.length;
    report(size ? Math.min(0.99, sent / size) : null);
  });
  const response = await docker.importImage(body, { repo, tag, changes: [...changes] });
  await new Promise<void>((resolve, reject) => {
    let partial = '';
    let engineError: string | null = null;
    const onLine = (line: string): void => {
      let p: ProgressLine;
      try {
        p = JSON.parse(line) as ProgressLine;
      } catch {
        return;
      }
      if (p.error || p.errorDetail?.message) {
        engineError = p.errorDetail?.message ?? p.error ?? 'import failed';
        return;
      }
      if (p.status) {
        message = p.status;
        const d = p.progressDetail;
        report(d?.total ? Math.min(0.99, (d.current ?? 0) / d.total) : Math.max(lastPercent, 0) / 100);
      }
    };
    response.on('data', (chunk: Buffer | string) => {
      const lines = (partial + chunk.toString()).split('\n');
      partial = lines.pop() ?? '';
      for (const l of lines) if (l.trim()) onLine(l.trim());
    });
    let done = false;
    const end = (): void => {
      if (done) return;
      done = true;
      if (partial.trim()) onLine(partial.trim());
      if (engineError) reject(fail(engineError));
      else resolve();
    };
    response.on('end', end);
    response.on('close', end);
    response.on('error', (err: Error) => {
      if (done) return;
      done = true;
      reject(err);
    });
  });
  message = `Imported ${ref}`;
  report(1);

  const current = await imageId(docker, ref);
  if (!current) throw fail(`the engine accepted the tarball but ${ref} does not exist afterwards`);
  if (previous && previous !== current) {
    // The old image lost its tag; drop it unless a container still uses it (409, kept).
    await docker
      .getImage(previous)
      .remove()
      .catch(() => undefined);
  }
}
