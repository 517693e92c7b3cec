// Test helper: fixture folders in the temp dir that record their owning test process, and finding those a killed run left.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { processAlive } from '../main/platform/locks';

/** The text of `file`, or '' when it cannot be read. */
export function readOr(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/** Records this process as the owner of the fixture folder `dir` (see {@link orphanedFixtureDirs}). */
export function claimFixtureDir(dir: string): void {
  fs.writeFileSync(path.join(dir, 'owner.pid'), String(process.pid));
}

/**
 * The fixture folders in the temp dir whose name starts with `prefix` and whose owning test process
 * (recorded by {@link claimFixtureDir}) is gone: what killed runs left. Folders of live test processes
 * (other workers) are not listed.
 */
export function orphanedFixtureDirs(prefix: string): string[] {
  const tmp = os.tmpdir();
  return fs
    .readdirSync(tmp)
    .filter((name) => name.startsWith(prefix))
    .map((name) => path.join(tmp, name))
    .filter((dir) => {
      const owner = Number(readOr(path.join(dir, 'owner.pid')));
      return !(owner && processAlive(owner));
    });
}
