// Named engines in the app database (migration 011), their PEM files in `<data>/engines/<id>/`, never in the database.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { looksLikePem } from '../../../contract/engines';
import { AppError } from '../../../contract/errors';
import type { RuntimeKind } from '../runtimes/container-runtime';
import type { EngineRecord, EngineTarget } from '../runtimes/engine-target';
import { LOCAL_ENGINE } from '../runtimes/engine-target';
import {
  assertNoLinks,
  mkdirNoFollow,
  removeTreeNoFollow,
  UnsafePathError,
  writeFileNoFollow,
} from '../agents/safe-fs';
import type { Db } from '../storage/database';

/** What an engine id must look like: 1–32 of `a-z`, `0-9` and `-`, starting with a letter or digit; never `local`. */
export const ENGINE_ID = /^[a-z0-9][a-z0-9-]{0,31}$/;

/** Longest PEM text accepted for one certificate or key, in characters. */
export const PEM_MAX = 16_384;

/** The PEM files of each remote transport: the target field and the file name in the engine's folder. */
const PEM_FILES: Record<string, readonly (readonly [field: string, file: string])[]> = {
  'docker/tls': [
    ['caPem', 'ca.pem'],
    ['certPem', 'cert.pem'],
    ['keyPem', 'key.pem'],
  ],
  'incus/https': [
    ['serverCertPem', 'server.crt'],
    ['clientCertPem', 'client.crt'],
    ['clientKeyPem', 'client.key'],
  ],
};

/** An `engines` row as stored. */
interface EngineRow {
  id: string;
  name: string;
  kind: RuntimeKind;
  transport: string;
  /** JSON of the target without its PEM fields. */
  target: string;
  created_at: number;
}

/**
 * Why `pem` is not one PEM certificate (`kind: 'cert'`) or private key (`'key'`) of at most
 * {@link PEM_MAX} characters, or null when it is. `field` names it in the message.
 */
export function pemProblem(field: string, pem: string, kind: 'cert' | 'key'): string | null {
  if (pem.length > PEM_MAX) return `${field}: longer than ${PEM_MAX} characters; a PEM ${kind} is a few KB`;
  if (!looksLikePem(pem)) return `${field}: not PEM text (it must start with -----BEGIN …-----)`;
  try {
    if (kind === 'cert') new crypto.X509Certificate(pem);
    else crypto.createPrivateKey(pem);
  } catch (err) {
    return `${field}: not a PEM ${kind === 'cert' ? 'certificate' : 'private key'} (${(err as Error).message})`;
  }
  return null;
}

/** The SHA-256 fingerprint of a PEM certificate, as `AB:CD:…`, or null when it does not parse. */
export function certFingerprint(pem: string): string | null {
  try {
    return new crypto.X509Certificate(pem).fingerprint256;
  } catch {
    return null;
  }
}

/**
 * Reads and writes named engines. The database row holds the target without PEM text; the PEMs are
 * files in `<dataDir>/engines/<id>/` (folder 0700, files 0600, written and read without following a
 * link). The engine `local` is never stored: it is the engine found on this machine.
 */
export class EngineRepository {
  constructor(
    private readonly db: Db,
    private readonly dataDir: string,
  ) {}

  /** The folder holding every engine's PEM files. */
  private root(): string {
    return path.join(this.dataDir, 'engines');
  }

  /**
   * The folder of engine `id`. @throws AppError INVALID_INPUT when `id` is not an engine id (so no id
   * can name a path outside {@link root}).
   */
  folderOf(id: string): string {
    if (!ENGINE_ID.test(id) || id === LOCAL_ENGINE)
      throw new AppError(
        'INVALID_INPUT',
        `id: "${id}" is not an engine id (a-z, 0-9 and -, 1–32 characters)`,
      );
    return path.join(this.root(), id);
  }

  /** Every named engine, oldest first, with its PEM texts read back. Engines whose files are unreadable are left out (logged by the caller via {@link problems}). */
  list(): EngineRecord[] {
    const rows = this.db.prepare('SELECT * FROM engines ORDER BY created_at, id').all() as EngineRow[];
    return rows.flatMap((r) => {
      try {
        return [this.toRecord(r)];
      } catch {
        return [];
      }
    });
  }

  /** Ids of engines whose row exists but whose PEM files cannot be read (missing, a link, unreadable). */
  problems(): { id: string; error: string }[] {
    const rows = this.db.prepare('SELECT * FROM engines ORDER BY created_at, id').all() as EngineRow[];
    return rows.flatMap((r) => {
      try {
        this.toRecord(r);
        return [];
      } catch (err) {
        return [{ id: r.id, error: (err as Error).message }];
      }
    });
  }

  /** The named engine `id`, or undefined. @throws Error when its PEM files cannot be read. */
  get(id: string): EngineRecord | undefined {
    const row = this.db.prepare('SELECT * FROM engines WHERE id = ?').get(id) as EngineRow | undefined;
    return row ? this.toRecord(row) : undefined;
  }

  /** Id, name and kind of every named engine, oldest first (the rows only: no file is read). */
  briefs(): { id: string; name: string; kind: RuntimeKind }[] {
    return this.db.prepare('SELECT id, name, kind FROM engines ORDER BY created_at, id').all() as {
      id: string;
      name: string;
      kind: RuntimeKind;
    }[];
  }

  /** Whether a named engine `id` is stored (without reading its files). */
  has(id: string): boolean {
    return this.db.prepare('SELECT 1 FROM engines WHERE id = ?').get(id) !== undefined;
  }

  /**
   * Stores a named engine: its PEM files first (a fresh folder), then its row.
   * @throws AppError INVALID_INPUT (bad id, `local`, a PEM that does not parse), CONFLICT (id taken).
   */
  add(rec: EngineRecord): void {
    const dir = this.folderOf(rec.id);
    if (this.has(rec.id))
      throw new AppError(
        'CONFLICT',
        `An engine with the id "${rec.id}" exists; choose another id or remove it first`,
      );
    const { pems, rest } = splitPems(rec.target);
    for (const [field, , kind] of pemFields(rec.target)) {
      const problem = pemProblem(field, pems[field] ?? '', kind);
      if (problem) throw new AppError('INVALID_INPUT', problem);
    }
    fs.mkdirSync(this.dataDir, { recursive: true, mode: 0o700 });
    mkdirNoFollow(this.dataDir, this.root(), 0o700);
    // A folder left by an earlier engine of the same id (a crash between files and row) is replaced.
    if (assertNoLinks(this.dataDir, dir)) removeTreeNoFollow(dir);
    try {
      mkdirNoFollow(this.dataDir, dir, 0o700);
      for (const [field, file] of pemFields(rec.target))
        writeFileNoFollow(this.dataDir, path.join(dir, file), pems[field]!, 0o600);
      this.db
        .prepare(
          'INSERT INTO engines (id, name, kind, transport, target, created_at) VALUES (?, ?, ?, ?, ?, ?)',
        )
        .run(rec.id, rec.name, rec.target.kind, rec.target.transport, JSON.stringify(rest), rec.createdAt);
    } catch (err) {
      removeTreeNoFollow(dir);
      throw err;
    }
  }

  /**
   * Removes engine `id` (row, then its folder). Refused while any agent, in any phase, archived
   * included, is recorded on it.
   * @throws AppError NOT_FOUND; CONFLICT naming the agents.
   */
  remove(id: string): void {
    const dir = this.folderOf(id);
    if (!this.has(id)) throw new AppError('NOT_FOUND', `No engine with the id "${id}"; see \`engines.list\``);
    const users = this.db
      .prepare('SELECT name, phase FROM agents WHERE engine = ? ORDER BY name')
      .all(id) as {
      name: string;
      phase: string;
    }[];
    if (users.length)
      throw new AppError(
        'CONFLICT',
        `The engine "${id}" still has agents: ${users.map((u) => `${u.name} (${u.phase})`).join(', ')}; purge them first`,
      );
    this.db.prepare('DELETE FROM engines WHERE id = ?').run(id);
    if (assertNoLinks(this.dataDir, this.root())) removeTreeNoFollow(dir);
  }

  private toRecord(row: EngineRow): EngineRecord {
    const rest = JSON.parse(row.target) as Record<string, unknown>;
    const target = { ...rest, kind: row.kind, transport: row.transport } as Record<string, unknown>;
    const dir = this.folderOf(row.id);
    for (const [field, file] of pemFields(target as EngineTarget))
      target[field] = readNoFollow(this.dataDir, path.join(dir, file));
    return { id: row.id, name: row.name, target: target as EngineTarget, createdAt: row.created_at };
  }
}

/** The PEM fields of a target: field name, file name, and whether it is a certificate or a key. */
function pemFields(target: Pick<EngineTarget, 'kind' | 'transport'>): [string, string, 'cert' | 'key'][] {
  return (PEM_FILES[`${target.kind}/${target.transport}`] ?? []).map(([field, file]) => [
    field,
    file,
    file.endsWith('.key') || file === 'key.pem' ? 'key' : 'cert',
  ]);
}

/** The PEM texts of a target, and the rest (what the database holds). */
function splitPems(target: EngineTarget): { pems: Record<string, string>; rest: Record<string, unknown> } {
  const rest: Record<string, unknown> = { ...target };
  const pems: Record<string, string> = {};
  for (const [field] of pemFields(target)) {
    pems[field] = typeof rest[field] === 'string' ? rest[field] : '';
    delete rest[field];
  }
  delete rest.kind;
  delete rest.transport;
  return { pems, rest };
}

/** Reads `file` (under `base`) without following a link on the way or at the file itself. */
function readNoFollow(base: string, file: string): string {
  assertNoLinks(base, file);
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ELOOP')
      throw new UnsafePathError(file, `${file} is a symbolic link; Agent Desk does not follow it`);
    throw err;
  }
  try {
    return fs.readFileSync(fd, 'utf8');
  } finally {
    fs.closeSync(fd);
  }
}
