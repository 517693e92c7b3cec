// Images to another Docker engine offline: `docker save` here (GET /images/{name}/get) streamed into its POST /images/load.
import { PassThrough, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type Dockerode from 'dockerode';
import { RuntimeOperationError } from '../container-runtime';
import { dockerStatus } from './docker-errors';

/** An image's identity on one engine: its id (the config digest, kept by save/load) and labels. */
export interface ImageIdentity {
  /** `sha256:…`, the same on every engine for the same image. */
  id: string;
  labels: Record<string, string>;
  /** Uncompressed size in bytes, as the engine reports it. */
  sizeBytes: number;
}

/** Progress of a transfer: bytes sent so far and the expected total (the image's size; the tar is near it). */
export interface ImageTransferProgress {
  ref: string;
  sentBytes: number;
  /** The local image's size in bytes, or null when unknown. */
  totalBytes: number | null;
  message: string;
}

/** Labels naming the recipe an image was built from: `agentdesk.<…>.recipe` (harness and helper images). */
export const RECIPE_LABEL = /^agentdesk\.(.+\.)?recipe$/;

/**
 * True when `remote` is already the image `local` is: the same id, or the same non-empty set of recipe
 * labels ({@link RECIPE_LABEL}) with equal values (a rebuild from the same recipe).
 */
export function sameImage(local: ImageIdentity, remote: ImageIdentity | null): boolean {
  if (!remote) return false;
  if (local.id === remote.id) return true;
  const recipes = Object.keys(local.labels).filter((k) => RECIPE_LABEL.test(k));
  return recipes.length > 0 && recipes.every((k) => remote.labels[k] === local.labels[k]);
}

/** The image `ref` on `docker`, or null when it is missing. */
export async function imageIdentity(docker: Dockerode, ref: string): Promise<ImageIdentity | null> {
  try {
    const info = await docker.getImage(ref).inspect();
    return { id: info.Id, labels: info.Config?.Labels ?? {}, sizeBytes: info.Size ?? 0 };
  } catch (err) {
    if (dockerStatus(err) === 404) return null;
    throw err;
  }
}

/** One line of the load answer (`{"stream": "Loaded image: …"}` or `{"error": …}`). */
interface LoadLine {
  stream?: string;
  error?: string;
  errorDetail?: { message?: string };
}

/**
 * Streams `ref` from `from` (`GET /images/{ref}/get`, the tar `docker save` writes) into `to`
 * (`POST /images/load`) without a file in between, reporting the bytes sent (at most every 1 MiB and at
 * the end). Nothing is sent when `to` already has the same image ({@link sameImage}).
 * @returns whether it was sent, and how many bytes.
 * @throws RuntimeOperationError (operation `transferImage`) when `ref` is missing on `from`, the engine
 *   refuses the tar, or `to` does not have `ref` afterwards; the engines' call errors otherwise.
 */
export async function transferImage(
  from: Dockerode,
  to: Dockerode,
  ref: string,
  onProgress?: (p: ImageTransferProgress) => void,
): Promise<{ sent: boolean; bytes: number }> {
  const local = await imageIdentity(from, ref);
  if (!local)
    throw new RuntimeOperationError(
      'docker',
      'transferImage',
      `image ${ref} is not on this machine's engine`,
    );
  if (sameImage(local, await imageIdentity(to, ref))) {
    onProgress?.({ ref, sentBytes: 0, totalBytes: 0, message: `${ref} is already there` });
    return { sent: false, bytes: 0 };
  }
  const total = local.sizeBytes || null;
  let sent = 0;
  let reported = 0;
  const report = (message: string) => onProgress?.({ ref, sentBytes: sent, totalBytes: total, message });
  report(`Sending ${ref}`);
  const tar = (await from.getImage(ref).get()) as Readable;
  const counter = new PassThrough();
  counter.on('data', (chunk: Buffer) => {
    sent += chunk.length;
    if (sent - reported >= 1 << 20) {
      reported = sent;
      report(`Sending ${ref}`);
    }
  });
  const piping = pipeline(tar, counter);
  piping.catch(() => {}); // awaited below; a load that fails first must not leave it unhandled
  const answer = (await to.loadImage(counter, { quiet: true })) as Readable;
  const engineError = await readLoadAnswer(answer);
  await piping;
  if (engineError)
    throw new RuntimeOperationError('docker', 'transferImage', `loading ${ref} failed: ${engineError}`);
  const there = await imageIdentity(to, ref);
  if (!there)
    throw new RuntimeOperationError(
      'docker',
      'transferImage',
      `the engine loaded the tar but has no ${ref} afterwards`,
    );
  report(`Sent ${ref}`);
  return { sent: true, bytes: sent };
}

/** Reads the JSON lines of a load answer to its end; the engine's error message, or null. */
async function readLoadAnswer(answer: Readable): Promise<string | null> {
  let text = '';
  for await (const chunk of answer) text += (chunk as Buffer).toString();
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const l = JSON.parse(line) as LoadLine;
      if (l.error || l.errorDetail?.message) return l.errorDetail?.message ?? l.error ?? 'load failed';
    } catch {
      /* not JSON: ignore */
    }
  }
  return null;
}
