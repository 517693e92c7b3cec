// Confines the file tools to the workspace: paths are resolved with realpath and escapes (`..`, symlinks) refused.
import fs from 'node:fs/promises';
import path from 'node:path';

/** A path the model gave cannot be used: nothing is there, or it leads outside the workspace (refused). */
export class PathError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PathError';
  }
}

function inside(root: string, p: string): boolean {
  const rel = path.relative(root, p);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/**
 * The workspace folder and the path checks of every file tool. Relative paths are taken from the
 * workspace; absolute paths are accepted when they lie inside it. Not a security boundary against the
 * agent itself (it has a shell; the container is the boundary): it keeps the model's file tools where
 * the user expects them and says so when a path points elsewhere.
 */
export class Workspace {
  private realRoot: string | null = null;

  /** @param root absolute folder, e.g. `/home/agent/workspace`; created by {@link ensure}. */
  constructor(readonly root: string) {}

  /** Creates the folder (mkdir -p) and remembers its real path. @throws Error from the file system. */
  async ensure(): Promise<string> {
    await fs.mkdir(this.root, { recursive: true });
    this.realRoot = await fs.realpath(this.root);
    return this.realRoot;
  }

  /** `p` relative to the workspace, for messages (`.` for the root). */
  display(p: string): string {
    const rel = path.relative(this.realRoot ?? this.root, p);
    return rel === '' ? '.' : rel;
  }

  /**
   * The real path of an existing file or folder inside the workspace.
   * @throws PathError when `p` (or a symlink on the way) leads outside, or nothing exists there.
   */
  async existing(p: string): Promise<string> {
    const root = await this.rootReal();
    const lexical = this.lexical(p, root);
    let real: string;
    try {
      real = await fs.realpath(lexical);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        await this.parentInside(lexical, p, root);
        throw new PathError(`${p}: no such file or folder in the workspace`);
      }
      throw err;
    }
    if (!inside(root, real)) throw this.refused(p, 'a symlink leads outside the workspace');
    return real;
  }

  /**
   * The path to write `p` at: its real parent folder (created with mkdir -p) joined with its name.
   * @throws PathError when `p` leads outside the workspace, is the workspace itself, or is a symlink
   *   (a dangling one could point anywhere).
   */
  async writable(p: string): Promise<string> {
    const root = await this.rootReal();
    const lexical = this.lexical(p, root);
    if (lexical === root) throw new PathError(`${p}: is the workspace folder itself; give a file name`);
    const parent = await this.parentInside(lexical, p, root);
    await fs.mkdir(parent, { recursive: true });
    const realParent = await fs.realpath(parent);
    if (!inside(root, realParent)) throw this.refused(p, 'a symlink leads outside the workspace');
    const target = path.join(realParent, path.basename(lexical));
    const stat = await fs.lstat(target).catch(() => null);
    if (stat?.isSymbolicLink()) {
      const real = await fs.realpath(target).catch(() => null);
      if (!real || !inside(root, real))
        throw this.refused(p, 'it is a symlink that leads outside the workspace or nowhere');
      return real;
    }
    if (stat?.isDirectory()) throw new PathError(`${p}: is a folder; give a file name`);
    return target;
  }

  private async rootReal(): Promise<string> {
    return this.realRoot ?? (await this.ensure());
  }

  private lexical(p: string, root: string): string {
    if (typeof p !== 'string' || p === '') throw new PathError('path must be a non-empty string');
    if (p.includes('\0')) throw new PathError('path must not contain NUL characters');
    const abs = path.isAbsolute(p) ? path.resolve(p) : path.resolve(root, p);
    // An absolute path naming the workspace by its configured (not real) name is inside too.
    const mapped = inside(this.root, abs) ? path.join(root, path.relative(this.root, abs)) : abs;
    if (!inside(root, mapped)) throw this.refused(p, `it resolves to ${mapped}`);
    return mapped;
  }

  /** The nearest existing ancestor of `lexical` must be inside the workspace once symlinks are resolved. */
  private async parentInside(lexical: string, p: string, root: string): Promise<string> {
    const parent = path.dirname(lexical);
    let probe = parent;
    for (;;) {
      const real = await fs.realpath(probe).catch(() => null);
      if (real !== null) {
        if (!inside(root, real)) throw this.refused(p, 'a symlink leads outside the workspace');
        return parent;
      }
      probe = path.dirname(probe);
    }
  }

  private refused(p: string, why: string): PathError {
    return new PathError(
      `${p}: refused, ${why}; file tools only reach ${this.root} (use a path relative to it)`,
    );
  }
}
