// Files to a container on a remote Incus (a host folder copied through the file API) and image fingerprints computed here.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { isNotFound } from './incus-client';
import type { IncusClient } from './incus-client';

/** Most entries one folder push copies (a config folder holds a few files; this bounds a mistake). */
const MAX_ENTRIES = 2000;

/**
 * Copies the host folder `hostDir` (or a single file) to `containerPath` inside the instance
 * (`instancePath` = `/1.0/instances/<name>`) through Incus's file API: directories 0750, files 0640
 * (0750 when executable on the host), owned by root with group `owner.gid`, so the agent's group reads
 * them and nobody but root inside may change them. Symbolic links and special files are skipped.
 * @throws Error when the folder holds more than 2000 entries; RuntimeOperationError with Incus's text.
 */
export async function pushTree(
  client: IncusClient,
  instancePath: string,
  hostDir: string,
  containerPath: string,
  owner: { gid: number },
): Promise<number> {
  let count = 0;
  const walk = async (from: string, to: string): Promise<void> => {
    const st = fs.lstatSync(from);
    if (++count > MAX_ENTRIES)
      throw new Error(`${hostDir} holds more than ${MAX_ENTRIES} entries: too many to copy`);
    if (st.isDirectory()) {
      await client.putPath(
        instancePath,
        to,
        { type: 'directory', uid: 0, gid: owner.gid, mode: 0o750 },
        'copy files',
      );
      for (const name of fs.readdirSync(from).sort())
        await walk(path.join(from, name), path.posix.join(to, name));
    } else if (st.isFile()) {
      const mode = st.mode & 0o111 ? 0o750 : 0o640;
      const content = fs.readFileSync(from);
      await client.putPath(
        instancePath,
        to,
        { type: 'file', content, uid: 0, gid: owner.gid, mode },
        'copy files',
      );
    }
  };
  // Missing parents of the target (e.g. /opt/agentdesk for /opt/agentdesk/config) are made root-owned
  // 0755; existing ones are left as the image has them.
  const parents: string[] = [];
  for (let p = path.posix.dirname(containerPath); p !== '/'; p = path.posix.dirname(p)) parents.unshift(p);
  for (const p of parents) {
    const there = await client.get(`${instancePath}/files?path=${encodeURIComponent(p)}`, 'copy files').then(
      () => true,
      (err: unknown) => {
        if (isNotFound(err)) return false;
        throw err;
      },
    );
    if (!there)
      await client.putPath(instancePath, p, { type: 'directory', uid: 0, gid: 0, mode: 0o755 }, 'copy files');
  }
  await walk(hostDir, containerPath);
  return count;
}

/** SHA-256 (hex) of the files' bytes in order: the Incus fingerprint of a split image (metadata, then rootfs). */
export async function sha256OfFiles(files: string[]): Promise<string> {
  const hash = crypto.createHash('sha256');
  for (const f of files)
    for await (const chunk of fs.createReadStream(f, { highWaterMark: 1 << 20 }))
      hash.update(chunk as Buffer);
  return hash.digest('hex');
}
