// The line protocol between the core and the egress helper container: one JSON object per line, each way.
import type { FirewallTable } from './rule-guard';
import { RESTORE_MAX_BYTES } from './rule-guard';

/** Version of the protocol; the helper answers `hello` with it and the core refuses another. */
export const HELPER_PROTOCOL = 1;

/** Longest request line the helper reads (a restore input of {@link RESTORE_MAX_BYTES}, JSON-escaped). */
export const REQUEST_LINE_MAX = 2 * RESTORE_MAX_BYTES + 4096;

/** iptables backend the rules are written with: the one the host's Docker and Incus use. */
export type Backend = 'nft' | 'legacy';

/**
 * A request of the core. `hello` picks the backend (null = nf_tables) and answers the protocol version;
 * `query` runs a read-only iptables command (`-S`, `-C`); `restore` applies `iptables-restore
 * --noflush` input; `kmsg` starts streaming kernel log messages with our LOG prefix as events.
 */
export type HelperRequest =
  | { id: number; op: 'hello'; backend: Backend | null }
  | { id: number; op: 'query'; family: 4 | 6; table: FirewallTable; args: string[] }
  | { id: number; op: 'restore'; family: 4 | 6; input: string }
  | { id: number; op: 'kmsg' };

/** A reply (same `id`), or an unsolicited kernel log event. */
export type HelperReply =
  | { id: number; ok: true; stdout?: string; protocol?: number; backend?: Backend; version?: string }
  | { id: number; ok: false; error: string; exitCode: number | null; stderr?: string; refused?: boolean }
  | { event: 'kmsg'; message: string };

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function onlyKeys(o: Record<string, unknown>, keys: string[]): boolean {
  return Object.keys(o).every((k) => keys.includes(k));
}

/**
 * Parses and checks one request line (the helper's side): exact shapes, no other keys, at most 64
 * arguments of at most 256 characters. The commands themselves are checked by rule-guard.ts.
 * @returns the request, or why it is refused (with its id when one could be read, else 0).
 */
export function parseRequest(line: string): HelperRequest | { id: number; error: string } {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return { id: 0, error: 'the request is not JSON' };
  }
  if (!isObject(v)) return { id: 0, error: 'the request is not an object' };
  const id = typeof v.id === 'number' && Number.isSafeInteger(v.id) && v.id > 0 ? v.id : 0;
  const bad = (error: string) => ({ id, error });
  if (!id) return bad('id must be a positive integer');
  const family = v.family === 4 || v.family === 6 ? v.family : null;
  switch (v.op) {
    case 'hello':
      if (!onlyKeys(v, ['id', 'op', 'backend'])) return bad('unknown keys in hello');
      if (v.backend !== null && v.backend !== 'nft' && v.backend !== 'legacy')
        return bad('backend must be nft, legacy or null');
      return { id, op: 'hello', backend: v.backend };
    case 'query':
      if (!onlyKeys(v, ['id', 'op', 'family', 'table', 'args'])) return bad('unknown keys in query');
      if (!family) return bad('family must be 4 or 6');
      if (v.table !== 'filter' && v.table !== 'nat') return bad('table must be filter or nat');
      if (
        !Array.isArray(v.args) ||
        v.args.length > 64 ||
        !v.args.every((a) => typeof a === 'string' && a.length <= 256)
      )
        return bad('args must be at most 64 strings of at most 256 characters');
      return { id, op: 'query', family, table: v.table, args: v.args as string[] };
    case 'restore':
      if (!onlyKeys(v, ['id', 'op', 'family', 'input'])) return bad('unknown keys in restore');
      if (!family) return bad('family must be 4 or 6');
      if (typeof v.input !== 'string') return bad('input must be a string');
      return { id, op: 'restore', family, input: v.input };
    case 'kmsg':
      if (!onlyKeys(v, ['id', 'op'])) return bad('unknown keys in kmsg');
      return { id, op: 'kmsg' };
    default:
      return bad('op must be hello, query, restore or kmsg');
  }
}

/** Parses one reply line (the core's side). @returns null for a line that is not a reply. */
export function parseReply(line: string): HelperReply | null {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return null;
  }
  if (!isObject(v)) return null;
  if (v.event === 'kmsg' && typeof v.message === 'string') return { event: 'kmsg', message: v.message };
  if (typeof v.id !== 'number') return null;
  if (v.ok === true) return v as HelperReply;
  if (v.ok === false && typeof v.error === 'string')
    return {
      id: v.id,
      ok: false,
      error: v.error,
      exitCode: typeof v.exitCode === 'number' ? v.exitCode : null,
      stderr: typeof v.stderr === 'string' ? v.stderr : '',
      refused: v.refused === true,
    };
  return null;
}
