// Maps an error from `agents.create` onto the create form's fields (INVALID_INPUT messages start with the field).
import type { ShownError } from '../errors';

/** Fields of the create form that show the core's error under themselves. */
export const CREATE_FIELDS = [
  'name',
  'emoji',
  'harness',
  'runtime',
  'engine',
  'member',
  'model',
  'fallbacks',
  'memory_mib',
  'cpus',
  'egress',
  'allow',
  'folders',
  'system_prompt',
  'temperature',
  'budget_day_usd',
  'budget_month_usd',
  'rpm',
] as const;
export type CreateField = (typeof CREATE_FIELDS)[number];

/** Per-field messages, and what names no field (shown above the buttons). */
export interface CreateErrors {
  fields: Partial<Record<CreateField, string>>;
  rest: ShownError | null;
}

const isField = (v: string): v is CreateField => (CREATE_FIELDS as readonly string[]).includes(v);

/** `fallbacks.1` / `fallbacks[1]` → "Fallback 2: …", `allow[0]` → "Entry 1: …"; other fields keep the message. */
function label(path: string, message: string): string {
  const fallback = /^fallbacks(?:\.|\[)(\d+)\]?/.exec(path);
  if (fallback) return `Fallback ${Number(fallback[1]) + 1}: ${message}`;
  const entry = /^allow(?:\.|\[)(\d+)\]?/.exec(path);
  return entry ? `Entry ${Number(entry[1]) + 1}: ${message}` : message;
}

function add(fields: CreateErrors['fields'], field: CreateField, message: string): void {
  fields[field] = fields[field] ? `${fields[field]}; ${message}` : message;
}

/**
 * Splits a core error of `agents.create` into per-field messages and a remainder. Two shapes come back
 * (main/transport/dispatch.ts, main/services/agents/agent-service.ts):
 * - schema failures: INVALID_INPUT with `details.issues: [{path, message}]` (path `name`, `fallbacks[0]` …);
 * - the service's checks: INVALID_INPUT whose message starts with the field (`model: "x" must be …`,
 *   `fallbacks.0: …`), and CONFLICT when the name's slug is taken (goes under `name`).
 */
export function splitCreateErrors(error: ShownError): CreateErrors {
  const fields: CreateErrors['fields'] = {};
  const issues = error.details?.issues;
  if (error.code === 'INVALID_INPUT' && Array.isArray(issues)) {
    let placed = 0;
    for (const issue of issues as { path?: unknown; message?: unknown }[]) {
      if (typeof issue.path !== 'string' || typeof issue.message !== 'string') continue;
      const head = issue.path.split(/[.[]/)[0] ?? '';
      if (!isField(head)) continue;
      add(fields, head, label(issue.path, issue.message));
      placed += 1;
    }
    if (placed > 0) return { fields, rest: placed === issues.length ? null : error };
    return { fields, rest: error };
  }
  if (error.code === 'INVALID_INPUT') {
    const m = /^([a-z_]+)((?:\.\d+|\[\d+\])?): ([\s\S]+)$/.exec(error.message);
    const head = m?.[1] ?? '';
    if (m && isField(head)) return { fields: { [head]: label(`${head}${m[2]}`, m[3]!) }, rest: null };
  }
  if (error.code === 'CONFLICT' && /already uses the name/.test(error.message))
    return { fields: { name: error.message }, rest: null };
  return { fields, rest: error };
}
