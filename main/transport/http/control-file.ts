// `<data>/control.json`: where a running core listens and its bearer token, readable by the owner only.
import crypto from 'node:crypto';
import fs from 'node:fs';
import { z } from 'zod';
import { dataPaths } from '../../platform/paths';

/** Contents of control.json. */
export const ControlFile = z.object({
  version: z.literal(1),
  url: z.string(),
  port: z.number().int(),
  pid: z.number().int(),
  token: z.string().min(32),
  started_at: z.number().int(),
  /** `SHA256:<base64>` of the TLS certificate when the core serves HTTPS (`agentdesk serve --tls`). */
  fingerprint: z.string().optional(),
});
export type ControlFile = z.infer<typeof ControlFile>;

/** A fresh bearer token: 32 random bytes, base64url (256 bits). */
export function newToken(): string {
  return crypto.randomBytes(32).toString('base64url');
}

/**
 * Writes control.json atomically (temp file + rename) with mode 0600, so no other user can read
 * the token and no reader sees a half-written file.
 */
export function writeControlFile(home: string, control: ControlFile): void {
  const file = dataPaths.control(home);
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(control, null, 2) + '\n', { mode: 0o600 });
  fs.chmodSync(tmp, 0o600);
  fs.renameSync(tmp, file);
}

/**
 * Reads control.json.
 * @returns `null` when it does not exist. @throws Error when it exists but is unreadable or malformed.
 */
export function readControlFile(home: string): ControlFile | null {
  const file = dataPaths.control(home);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new Error(`Cannot read ${file}: ${(err as Error).message}`);
  }
  const parsed = ControlFile.safeParse(JSON.parse(text));
  if (!parsed.success)
    throw new Error(`${file} is not a valid control file; delete it if no core is running`);
  return parsed.data;
}

/** Removes control.json if it still belongs to this process (another core may have replaced it). */
export function removeControlFile(home: string, pid = process.pid): void {
  try {
    const current = readControlFile(home);
    if (current && current.pid === pid) fs.rmSync(dataPaths.control(home), { force: true });
  } catch {
    /* a malformed file is left for the user to see */
  }
}

export { processAlive } from '../../platform/locks';
