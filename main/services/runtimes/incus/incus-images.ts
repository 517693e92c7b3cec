// Incus images by alias: presence, split-image upload (metadata + rootfs) with progress, alias replace, removal.
import fs from 'node:fs';
import { RuntimeOperationError } from '../container-runtime';
import type { RuntimeProgress } from '../container-runtime';
import { isNotFound } from './incus-client';
import type { IncusClient, IncusOperation } from './incus-client';
import { incusImageAlias } from './incus-config';

interface Alias {
  name: string;
  target: string;
}

interface Image {
  fingerprint: string;
  aliases: { name: string }[] | null;
}

/** Upload share of the progress bar: the upload is most of the work, the daemon's unpack the rest. */
const UPLOAD_SHARE = 0.9;
/** How long the daemon may take to check and store an uploaded image (ms). */
const IMPORT_DEADLINE_MS = 10 * 60_000;

function aliasPath(ref: string): string {
  return `/1.0/images/aliases/${encodeURIComponent(incusImageAlias(ref))}`;
}

/** The fingerprint the alias `ref` points at, or null when there is no such alias. */
export async function aliasTarget(client: IncusClient, ref: string): Promise<string | null> {
  try {
    return (await client.get<Alias>(aliasPath(ref), 'image lookup')).target;
  } catch (err) {
    if (isNotFound(err)) return null;
    throw err;
  }
}

/**
 * Uploads a split image (`POST /1.0/images`, multipart parts `metadata` then `rootfs`; Incus docs,
 * "Images": the metadata tarball holds metadata.yaml, the rootfs tarball the file system; tar, tar.gz
 * and tar.xz are accepted) and points the alias `ref` at it. An alias that pointed elsewhere is moved,
 * and its old image deleted when no other alias uses it. Uploading an image Incus already holds (same
 * fingerprint = SHA-256 of metadata then rootfs bytes) only sets the alias.
 * Progress: bytes uploaded (0–0.9), then the daemon's operation, then 1.
 * @throws Error when a file is missing; RuntimeOperationError with Incus's text when it refuses the image.
 */
export async function importSplitImage(
  client: IncusClient,
  ref: string,
  files: { metadata: string; rootfs: string },
  onProgress?: (p: RuntimeProgress) => void,
): Promise<void> {
  const alias = incusImageAlias(ref);
  for (const [what, file] of Object.entries(files))
    if (!fs.existsSync(file)) throw new Error(`Incus image ${what} tarball ${file} does not exist`);
  const report = (fraction: number | null, message: string): void => onProgress?.({ fraction, message });
  report(0, `Uploading image ${alias}`);
  let lastPct = -1;
  const { operationId, sha256 } = await client.upload(
    '/1.0/images',
    [
      { field: 'metadata', file: files.metadata },
      { field: 'rootfs', file: files.rootfs },
    ],
    'image import',
    (sent, total) => {
      const pct = total ? Math.floor((sent / total) * 100) : 0;
      if (pct === lastPct) return;
      lastPct = pct;
      report((pct / 100) * UPLOAD_SHARE, `Uploading image ${alias}: ${mib(sent)} of ${mib(total)} MiB`);
    },
  );
  let fingerprint = sha256;
  try {
    const op = await client.wait(operationId, 'image import', Date.now() + IMPORT_DEADLINE_MS, (o) =>
      report(UPLOAD_SHARE, `Storing image ${alias}${progressText(o)}`),
    );
    const reported = op.metadata?.fingerprint;
    fingerprint = typeof reported === 'string' && reported ? reported : sha256;
  } catch (err) {
    // Incus 6.0.4 refuses a second upload of the same bytes; the image is there under our fingerprint.
    if (!(err instanceof RuntimeOperationError && /same fingerprint already exists/i.test(err.message)))
      throw err;
  }
  await pointAlias(client, alias, fingerprint);
  report(1, `Image ${alias} imported`);
}

/** Creates the alias, or moves it to `fingerprint` and deletes the image it left when nothing else uses it. */
async function pointAlias(client: IncusClient, alias: string, fingerprint: string): Promise<void> {
  const old = await aliasTarget(client, alias);
  if (old === fingerprint) return;
  if (old === null) {
    await client.send('POST', '/1.0/images/aliases', { name: alias, target: fingerprint }, 'image alias');
    return;
  }
  await client.send('PUT', aliasPath(alias), { target: fingerprint, description: '' }, 'image alias');
  await deleteIfUnaliased(client, old);
}

/** Deletes the alias `ref` and its image when no other alias points at it; missing = no-op. */
export async function removeImageByAlias(client: IncusClient, ref: string): Promise<void> {
  const target = await aliasTarget(client, ref);
  if (target === null) return;
  await client.send('DELETE', aliasPath(ref), undefined, 'image remove').catch((err: unknown) => {
    if (!isNotFound(err)) throw err;
  });
  await deleteIfUnaliased(client, target);
}

async function deleteIfUnaliased(client: IncusClient, fingerprint: string): Promise<void> {
  const path = `/1.0/images/${encodeURIComponent(fingerprint)}`;
  try {
    const image = await client.get<Image>(path, 'image remove');
    if ((image.aliases ?? []).length > 0) return;
    await client.run('DELETE', path, undefined, 'image remove', 60_000);
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}

function progressText(op: IncusOperation): string {
  const progress = op.metadata?.progress as { percent?: string } | undefined;
  return progress?.percent ? ` (${progress.percent}%)` : '';
}

function mib(bytes: number): string {
  return (bytes / 2 ** 20).toFixed(1);
}
