// Node's compile cache for the agent's user. The image fills its cache at build time as root, and Node names
// its cache folder after the user id (`v<node>-<arch>-<flags hash>-<uid>`: GetCacheVersionTag() and the uid
// appended in Node's src/compile_cache.cc), so an agent running as another user finds nothing there, cannot
// write beside it (read-only root), and compiles OpenClaw's modules from source on every start. This mirrors
// the cache's folders in a writable place and links each folder built for root under the agent's own name.
import fs from 'node:fs';
import path from 'node:path';

/** A Node compile-cache folder name: `v24.21.0-x64-964aae3f-0` → tag `v24.21.0-x64-964aae3f`, uid `0`. */
const CACHE_FOLDER = /^(v\d+\.\d+\.\d+-[A-Za-z0-9_]+-[0-9a-f]+)-(\d+)$/;

/**
 * Makes the compile cache at `from` (filled by user `builtBy`) readable as the cache of user `uid`: under
 * `to` (emptied first) it recreates `from`'s folders and, for each cache folder `<tag>-<builtBy>`, a
 * symbolic link `<tag>-<uid>` to it. Entries Node cannot find there are compiled as without a cache and not
 * stored (the linked folders are read-only to `uid`). Folders deeper than `depth` levels are not mirrored.
 * @param from the image's cache (its NODE_COMPILE_CACHE), absolute path.
 * @param to a folder only this container writes (e.g. under /tmp), absolute path.
 * @returns the folder to give as NODE_COMPILE_CACHE: `from` itself when `uid` is `builtBy`, `to` when at
 *   least one cache folder was linked, otherwise null (no cache to share: leave NODE_COMPILE_CACHE as is).
 * @throws Error from the file system (unreadable `from`, unwritable `to`); callers treat it as "no cache".
 */
export function compileCacheFor(from, to, uid, builtBy = 0, depth = 6) {
  if (uid === builtBy) return from;
  fs.rmSync(to, { recursive: true, force: true });
  fs.mkdirSync(to, { recursive: true, mode: 0o700 });
  let linked = 0;
  const walk = (src, dst, left) => {
    for (const entry of fs.readdirSync(src, { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      const m = CACHE_FOLDER.exec(entry.name);
      if (m) {
        if (Number(m[2]) !== builtBy) continue;
        fs.symlinkSync(path.join(src, entry.name), path.join(dst, `${m[1]}-${uid}`), 'dir');
        linked++;
      } else if (left > 0) {
        fs.mkdirSync(path.join(dst, entry.name));
        walk(path.join(src, entry.name), path.join(dst, entry.name), left - 1);
      }
    }
  };
  walk(from, to, depth);
  return linked ? to : null;
}
