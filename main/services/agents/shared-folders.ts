// Shared host folders of an agent: links resolved, blocked places refused (naming the rule), mount paths under /shared.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FolderGrant, SharedFolder } from '../../../contract/agents';
import { AppError } from '../../../contract/errors';
import type { MountSpec } from '../runtimes/container-runtime';

/** Where shared folders appear in the container (outside the agent-writable home, so the engine never makes mount points in it). */
export const SHARED_ROOT = '/shared';

/** System trees never shared, nor anything inside them (devices, kernel state, sockets, boot, config). */
const SYSTEM_TREES = [
  '/etc',
  '/proc',
  '/sys',
  '/dev',
  '/boot',
  '/run',
  '/var/run',
  '/var/lib/docker',
  '/var/lib/incus',
  '/var/lib/lxd',
  '/snap/lxd',
];
/** Folders never shared themselves (their subfolders may be). */
const SYSTEM_ROOTS = [
  '/',
  '/bin',
  '/sbin',
  '/lib',
  '/lib32',
  '/lib64',
  '/usr',
  '/var',
  '/opt',
  '/srv',
  '/home',
  '/root',
  '/tmp',
  '/mnt',
  '/media',
  '/Users',
  '/Volumes',
  '/System',
  '/Library',
  '/private',
];

/** A blocked name and the rule it breaks, matched against every component of the real path. */
const SECRET_NAMES: { test: (name: string) => boolean; rule: string }[] = [
  { test: (n) => n === '.ssh', rule: '.ssh (SSH keys)' },
  { test: (n) => n === '.gnupg', rule: '.gnupg (GnuPG keys)' },
  {
    test: (n) => n === '.aws' || n === '.azure' || n === '.kube',
    rule: `cloud credentials (.aws, .azure, .kube)`,
  },
  { test: (n) => n === '.docker', rule: '.docker (registry credentials, the Docker socket)' },
  { test: (n) => n === '.password-store', rule: '.password-store (pass)' },
  { test: (n) => n === 'Keychains', rule: 'Keychains (macOS keychain files)' },
  { test: (n) => n === 'keyrings', rule: 'keyrings (GNOME keyring files, ~/.local/share/keyrings)' },
  { test: (n) => n === '.env' || n.startsWith('.env.'), rule: '.env files (secrets of a project)' },
  { test: (n) => n.endsWith('.pem'), rule: '*.pem (keys and certificates)' },
  { test: (n) => n.endsWith('.key'), rule: '*.key (private keys)' },
  { test: (n) => /^id_(rsa|dsa|ecdsa|ed25519)$/.test(n), rule: 'id_* (SSH private keys)' },
];

/** What the checks need to know about this machine. */
export interface FolderContext {
  /** The data dir (`<data>`): neither it, nor a folder inside it, nor one that holds it can be shared. */
  dataDir: string;
  /** The user's home (default `os.homedir()`): shared only as a subfolder, never itself. */
  homeDir?: string;
}

const under = (p: string, dir: string) => p === dir || p.startsWith(dir === '/' ? '/' : `${dir}/`);

/** The real path of `dir` with every link resolved, or null when it does not exist. */
function realDir(p: string): string | null {
  try {
    return fs.realpathSync.native(p);
  } catch {
    return null;
  }
}

/**
 * Why `real` (a real path) may not be shared, or null. The rules (docs/security/containment.md):
 * system trees and roots, the data dir and anything inside or above it, the home folder itself, any
 * path with a secret-looking component (.ssh, .gnupg, keyrings, .env, *.pem, *.key …), and a folder
 * whose top level holds such an entry or a unix socket (nested folders are not scanned).
 */
export function blockedReason(real: string, ctx: FolderContext): string | null {
  const home = realDir(ctx.homeDir ?? os.homedir()) ?? ctx.homeDir ?? os.homedir();
  const data = realDir(ctx.dataDir) ?? path.resolve(ctx.dataDir);
  for (const t of SYSTEM_TREES) if (under(real, realDir(t) ?? t)) return `system folder ${t}`;
  if (SYSTEM_ROOTS.includes(real)) return `system folder ${real}`;
  if (real === home) return 'your home folder itself (share a folder inside it)';
  if (under(real, data) || under(data, real))
    return `the Agent Desk data folder ${data} (or a folder holding it)`;
  for (const part of real.split('/').filter(Boolean)) {
    const hit = SECRET_NAMES.find((s) => s.test(part));
    if (hit) return hit.rule;
  }
  let entries: fs.Dirent[] = [];
  try {
    entries = fs.readdirSync(real, { withFileTypes: true });
  } catch (err) {
    return `unreadable by Agent Desk (${(err as NodeJS.ErrnoException).code ?? 'error'})`;
  }
  for (const e of entries) {
    const hit = SECRET_NAMES.find((s) => s.test(e.name));
    if (hit) return `it holds ${e.name} at its top level: ${hit.rule}`;
    if (e.isSocket()) return `it holds the socket ${e.name} at its top level`;
  }
  return null;
}

/** A mount name from a folder's base name: letters, digits, `.`, `_`, `-` (others become `-`). */
function mountName(real: string): string {
  const base = path
    .basename(real)
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/^[.-]+/, '');
  return base.slice(0, 64) || 'folder';
}

/**
 * Checks grants and gives each a real path and a mount path: `realpath` first (a link to `~/.ssh` is
 * judged as `~/.ssh`), then {@link blockedReason}; `/shared/<base name>`, `-2`, `-3` … on collision
 * (with `keep`'s mounts first). A path given twice keeps the last mode.
 * @param keep folders the agent already has (their mounts do not move).
 * @throws AppError INVALID_INPUT naming the folder and the rule it breaks, or that it is missing.
 */
export function resolveFolders(
  grants: readonly FolderGrant[],
  ctx: FolderContext,
  keep: readonly SharedFolder[] = [],
): SharedFolder[] {
  const out: SharedFolder[] = keep.map((f) => ({ ...f }));
  for (const g of grants) {
    const mode = g.mode ?? 'ro';
    const real = realDir(g.path);
    if (!real)
      throw new AppError('INVALID_INPUT', `folders: ${g.path} does not exist; give an existing folder`);
    if (!fs.statSync(real).isDirectory())
      throw new AppError('INVALID_INPUT', `folders: ${g.path} is not a folder; give a folder, not a file`);
    const why = blockedReason(real, ctx);
    if (why)
      throw new AppError(
        'INVALID_INPUT',
        `folders: ${g.path}${real !== g.path ? ` (${real})` : ''} cannot be shared: ${why}`,
      );
    const same = out.find((f) => f.path === real);
    if (same) {
      same.mode = mode;
      continue;
    }
    const base = mountName(real);
    let mount = `${SHARED_ROOT}/${base}`;
    for (let n = 2; out.some((f) => f.mount === mount); n++) mount = `${SHARED_ROOT}/${base}-${n}`;
    out.push({ path: real, mode, mount });
  }
  return out;
}

/**
 * The mounts of an agent's folders at deploy, each checked again (a folder may have been replaced by
 * a link since it was granted).
 * @throws AppError INVALID_INPUT as {@link resolveFolders}.
 */
export function folderMounts(folders: readonly SharedFolder[], ctx: FolderContext): MountSpec[] {
  return folders.map((f) => {
    const [checked] = resolveFolders([{ path: f.path, mode: f.mode }], ctx);
    return { hostPath: checked!.path, containerPath: f.mount, readOnly: f.mode !== 'rw' };
  });
}

/**
 * An agent's folders after `agents.folders`: `remove` (host paths as given or as resolved) taken out,
 * `add` checked and added (or a new mode for one it has). Mounts of kept folders do not move.
 * @throws AppError INVALID_INPUT for a removed path the agent does not have (listing those it has), or
 *   as {@link resolveFolders}.
 */
export function changedFolders(
  current: readonly SharedFolder[],
  add: readonly FolderGrant[],
  remove: readonly string[],
  ctx: FolderContext,
): SharedFolder[] {
  const same = (f: SharedFolder, p: string) => f.path === p || f.path === (realDir(p) ?? path.resolve(p));
  for (const p of remove)
    if (!current.some((f) => same(f, p)))
      throw new AppError(
        'INVALID_INPUT',
        `remove: ${p} is not shared with this agent; shared: ${current.map((f) => f.path).join(', ') || 'none'}`,
      );
  const keep = current.filter((f) => !remove.some((p) => same(f, p)));
  return resolveFolders(add, ctx, keep);
}
