// Host folders on a remote Docker engine: each mount of an agent's spec becomes a named volume there,
// filled from the host folder over the engine's archive API (no shared filesystem between the two hosts).
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type Dockerode from 'dockerode';
import { LABELS } from '../container-runtime';
import type { ContainerSpec, MountSpec } from '../container-runtime';
import { dockerStatus } from './docker-errors';

/** Label on an agent container on a remote engine: JSON of its {@link VolumeMount}s, read back at start. */
export const VOLUMES_LABEL = 'agentdesk.volumes';
/** Label on each volume: the container path it stands for (`/home/agent`, `/opt/agentdesk/config` …). */
export const VOLUME_TARGET_LABEL = 'agentdesk.target';

/** Where the fill container mounts the volume (the tar's entries start with it). */
const FILL_MOUNT = 'v';

/** Largest host folder copied into a volume (bytes): the config folder and a fresh home are a few KiB. */
export const MAX_FILL_BYTES = 64 * 1024 * 1024;

/**
 * One host folder of a spec as a volume on a remote engine. `readOnly` mounts (config, runtime bundle)
 * are filled again at every start from the host (the core rewrites the config folder before starts);
 * writable ones (the agent's home) are filled once, when the volume is created, and then belong to the
 * agent: the host never reads them back by path.
 */
export interface VolumeMount {
  volume: string;
  hostPath: string;
  containerPath: string;
  readOnly: boolean;
}

/**
 * The volumes standing for `spec.mounts` on a remote engine. Names are stable per agent (the
 * `agentdesk.agent_id` label, else the container name) and container path, so a container created again
 * (new containment, renamed by archive) finds its home: `agentdesk-<12 hex of sha256(owner:path)>`.
 */
export function volumeMounts(spec: Pick<ContainerSpec, 'name' | 'labels' | 'mounts'>): VolumeMount[] {
  const owner = spec.labels[LABELS.agentId] ?? spec.name;
  return spec.mounts.map((m: MountSpec) => ({
    volume: volumeName(owner, m.containerPath),
    hostPath: m.hostPath,
    containerPath: m.containerPath,
    readOnly: m.readOnly,
  }));
}

/** The volume name of `owner`'s mount at `containerPath`. */
export function volumeName(owner: string, containerPath: string): string {
  const h = crypto.createHash('sha256').update(`${owner}:${containerPath}`).digest('hex').slice(0, 12);
  return `agentdesk-${h}`;
}

/**
 * Parses {@link VOLUMES_LABEL}; entries that are not well-formed are dropped (the label is ours, but a
 * container on a shared engine could carry anything).
 */
export function parseVolumesLabel(text: string | undefined): VolumeMount[] {
  if (!text) return [];
  try {
    const raw = JSON.parse(text) as unknown;
    if (!Array.isArray(raw)) return [];
    return raw.filter(
      (v): v is VolumeMount =>
        typeof v === 'object' &&
        v !== null &&
        typeof (v as VolumeMount).volume === 'string' &&
        /^agentdesk-[0-9a-f]{12}$/.test((v as VolumeMount).volume) &&
        typeof (v as VolumeMount).hostPath === 'string' &&
        path.isAbsolute((v as VolumeMount).hostPath) &&
        typeof (v as VolumeMount).containerPath === 'string' &&
        typeof (v as VolumeMount).readOnly === 'boolean',
    );
  } catch {
    return [];
  }
}

/**
 * Creates the volumes that do not exist yet (labelled as Agent Desk's and with the agent's id) and fills
 * every new one, and every read-only one, from its host folder.
 * @param image an image present on the engine (the agent's own), run by no process: the fill container is
 *   created, given the tar, and removed without starting.
 * @throws the engine's errors; Error when a host folder is larger than {@link MAX_FILL_BYTES}.
 */
export async function ensureVolumes(
  docker: Dockerode,
  mounts: readonly VolumeMount[],
  image: string,
  labels: Record<string, string>,
): Promise<void> {
  for (const m of mounts) {
    const created = await createVolumeIfMissing(docker, m, labels);
    if (created || m.readOnly) await fillVolume(docker, m, image);
  }
}

/** Fills the read-only volumes again from their host folders (before a start). */
export async function refreshReadOnlyVolumes(
  docker: Dockerode,
  mounts: readonly VolumeMount[],
  image: string,
): Promise<void> {
  for (const m of mounts) if (m.readOnly) await fillVolume(docker, m, image);
}

/** Removes every volume labelled with agent `agentId`'s id (purge); volumes in use are left and reported. */
export async function removeAgentVolumes(docker: Dockerode, agentId: string): Promise<string[]> {
  const { Volumes } = await docker.listVolumes({
    filters: JSON.stringify({ label: [`${LABELS.agentId}=${agentId}`, `${LABELS.managed}=1`] }),
  });
  const left: string[] = [];
  for (const v of Volumes ?? []) {
    try {
      await docker.getVolume(v.Name).remove();
    } catch (err) {
      if (dockerStatus(err) !== 404) left.push(v.Name);
    }
  }
  return left;
}

async function createVolumeIfMissing(
  docker: Dockerode,
  m: VolumeMount,
  labels: Record<string, string>,
): Promise<boolean> {
  try {
    await docker.getVolume(m.volume).inspect();
    return false;
  } catch (err) {
    if (dockerStatus(err) !== 404) throw err;
  }
  await docker.createVolume({
    Name: m.volume,
    Labels: {
      [LABELS.managed]: '1',
      ...(labels[LABELS.agentId] ? { [LABELS.agentId]: labels[LABELS.agentId] } : {}),
      ...(labels[LABELS.instance] ? { [LABELS.instance]: labels[LABELS.instance] } : {}),
      [VOLUME_TARGET_LABEL]: m.containerPath,
    },
  });
  return true;
}

/**
 * Copies the host folder into the volume: a container of `image` that never starts mounts the volume at
 * `/v`, the engine extracts a tar of the folder there (owners, modes and the folder's own owner and mode
 * kept: the tar's first entry is `v/` itself), and the container is removed. Symbolic links in the host
 * folder are not followed (stored as links); special files are left out.
 */
async function fillVolume(docker: Dockerode, m: VolumeMount, image: string): Promise<void> {
  const size = folderBytes(m.hostPath);
  if (size > MAX_FILL_BYTES)
    throw new Error(
      `${m.hostPath} holds ${size} bytes: a remote engine gets at most ${MAX_FILL_BYTES} bytes of a host folder`,
    );
  const name = `agentdesk-fill-${crypto.randomBytes(6).toString('hex')}`;
  const c = await docker.createContainer({
    name,
    Image: image,
    Entrypoint: ['/bin/true'],
    Cmd: [],
    Labels: { [LABELS.managed]: '1' },
    NetworkDisabled: true,
    HostConfig: {
      Mounts: [{ Type: 'volume', Source: m.volume, Target: `/${FILL_MOUNT}` }],
      NetworkMode: 'none',
    },
  });
  try {
    // Loaded here: only remote engines need it, and the core's start should not pay for it.
    const tar = await import('tar');
    const archive = tar.c(
      {
        cwd: m.hostPath,
        prefix: FILL_MOUNT,
        portable: false,
        follow: false,
        filter: (_p, st) => !('isFile' in st) || st.isFile() || st.isDirectory() || st.isSymbolicLink(),
      },
      ['.'],
    ) as unknown as Readable;
    await c.putArchive(archive, { path: '/' });
  } finally {
    await c.remove({ force: true }).catch(() => undefined);
  }
}

/** Bytes of the regular files under `dir` (links not followed). */
function folderBytes(dir: string): number {
  let total = 0;
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) total += fs.lstatSync(p).size;
    }
  };
  walk(dir);
  return total;
}

/** A file copied out of a container. */
export interface CopiedFile {
  name: string;
  mtimeMs: number;
  data: Buffer;
}

/**
 * Reads a tar stream of one folder (the engine's `GET /containers/{id}/archive?path=…`: entries
 * `<folder>/<name>`) and keeps the regular files directly inside it that `accept` passes, within the limits;
 * everything else is drained unread.
 */
export async function filesOfArchive(
  archive: NodeJS.ReadableStream,
  limits: { accept: (fileName: string) => boolean; maxFiles: number; maxBytes: number },
): Promise<CopiedFile[]> {
  const tar = await import('tar');
  const out: CopiedFile[] = [];
  let bytes = 0;
  await new Promise<void>((resolve, reject) => {
    const parser = new tar.Parser({
      onReadEntry: (entry) => {
        const parts = entry.path.replace(/\/+$/, '').split('/');
        const fileName = parts[1] ?? '';
        const take =
          entry.type === 'File' &&
          parts.length === 2 &&
          limits.accept(fileName) &&
          out.length < limits.maxFiles &&
          bytes + (entry.size ?? 0) <= limits.maxBytes;
        if (!take) {
          entry.resume();
          return;
        }
        bytes += entry.size ?? 0;
        const chunks: Buffer[] = [];
        entry.on('data', (c: Buffer) => chunks.push(c));
        entry.on('end', () =>
          out.push({ name: fileName, mtimeMs: entry.mtime?.getTime() ?? 0, data: Buffer.concat(chunks) }),
        );
      },
    });
    parser.on('end', resolve);
    parser.on('error', reject);
    archive.on('error', reject);
    archive.pipe(parser);
  });
  return out;
}
