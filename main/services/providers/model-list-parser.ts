// Tolerant parser of model listings (OpenAI `data[]`, bare arrays, Gemini/Ollama `models[]`, Anthropic pages) that keeps only valid model ids.
import type { ModelListStyle } from '../../../contract/providers';

/** One model as parsed from a listing. */
export interface ParsedModel {
  id: string;
  label: string | null;
}

/** A parsed page: its models, and the cursor of the next page when the provider paginates. */
export interface ParsedPage {
  models: ParsedModel[];
  /** Anthropic `last_id` when `has_more`, Gemini `nextPageToken`; `null` on the last page. */
  next: string | null;
  /** True when the page had items past `max` that were not looked at. */
  cut: boolean;
  /** Ids the listing gave that are not valid model ids (see {@link modelIdProblem}), at most 3 shown. */
  invalid: { count: number; examples: { id: string; why: string }[] };
}

/** Longest model id kept, characters. The longest ids seen in the field (Hugging Face repo paths with a file name) are about 150. */
export const MODEL_ID_MAX_CHARS = 256;
/** Longest label kept, characters (a longer one is cut). */
const LABEL_MAX_CHARS = 200;
/** Longest pagination cursor followed, characters. */
const CURSOR_MAX_CHARS = 1024;
/**
 * Characters of a model id: letters, digits and `. _ - : / @ + ~`. That covers every id seen in the field
 * (`gpt-4o-mini`, `llama3.2:3b`, `meta-llama/Llama-3-70b:free`, `accounts/fireworks/models/x`,
 * `@cf/meta/llama-3`, `claude-3-5-sonnet@20240620`, a llama.cpp model path) and keeps out what LiteLLM
 * or the gateway read as syntax: `,` (LiteLLM splits a model on commas and calls each), `*` (LiteLLM's
 * wildcard routes), whitespace, quotes, `?`, `#`, `%`, `\` and control characters.
 */
const MODEL_ID_CHARS = /^[A-Za-z0-9._:/@+~-]+$/;
/** What {@link modelIdProblem} accepts, for messages. */
export const MODEL_ID_RULE = `1–${MODEL_ID_MAX_CHARS} characters of letters, digits and . _ - : / @ + ~`;

/**
 * Why `id` is not a valid model id, or `null` when it is. Ids reach LiteLLM's config and the database,
 * and agents name them in requests, so only {@link MODEL_ID_RULE} is accepted.
 */
export function modelIdProblem(id: string): string | null {
  if (id.length === 0) return 'empty';
  if (id.length > MODEL_ID_MAX_CHARS) return `longer than ${MODEL_ID_MAX_CHARS} characters`;
  if (MODEL_ID_CHARS.test(id)) return null;
  const bad = [...id].find((c) => !MODEL_ID_CHARS.test(c)) ?? '?';
  const shown = /^[\x21-\x7e]$/.test(bad)
    ? `"${bad}"`
    : `U+${bad.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
  return `contains ${shown}`;
}

/** `id` quoted for a message: cut to 40 characters, control characters escaped. */
export function shownId(id: string): string {
  const cut = id.length > 40 ? `${id.slice(0, 40)}…` : id;
  return JSON.stringify(cut);
}

function str(v: unknown): string | null {
  return typeof v === 'string' && v.trim() !== '' ? v.trim() : null;
}

/** A label: trimmed, control characters removed, at most {@link LABEL_MAX_CHARS} characters. */
function labelOf(v: unknown): string | null {
  const s = str(v)?.replace(/\p{Cc}/gu, '');
  if (!s) return null;
  return s.length > LABEL_MAX_CHARS ? `${s.slice(0, LABEL_MAX_CHARS - 1)}…` : s;
}

/**
 * One item of a listing → a raw id and label. Accepts a bare string, or an object with `id` (OpenAI,
 * Anthropic, OpenRouter, Together), `name` (Gemini `models/…`, Ollama `llama3:8b`) or `model` (Ollama).
 * Labels from `display_name` (Anthropic), `displayName` (Gemini), or `name` when `id` is present (OpenRouter).
 */
function parseItem(item: unknown, style: ModelListStyle): ParsedModel | null {
  if (typeof item === 'string') return str(item) ? { id: item.trim(), label: null } : null;
  if (!item || typeof item !== 'object') return null;
  const o = item as Record<string, unknown>;
  let id = str(o.id) ?? (style === 'ollama' ? (str(o.model) ?? str(o.name)) : (str(o.name) ?? str(o.model)));
  if (!id) return null;
  if (style === 'gemini' && id.startsWith('models/')) id = id.slice('models/'.length);
  const label =
    labelOf(o.display_name) ??
    labelOf(o.displayName) ??
    (str(o.id) && str(o.name) !== id ? labelOf(o.name) : null);
  return { id, label: label === id ? null : label };
}

/**
 * Parses a model listing body (already JSON-decoded) in any of the shapes seen in the field:
 * `{data:[{id}]}` (OpenAI and compatibles, Anthropic), a bare array (Together), `{models:[{name}]}`
 * (Gemini, Ollama `/api/tags`), `{models:[…]}`/`{data:[…]}` of plain strings.
 * Items without an id are skipped; ids that fail {@link modelIdProblem} are skipped and counted in
 * `invalid`; duplicates keep their first occurrence; at most `max` models are kept (the rest of the
 * page is not looked at).
 * @returns the page, or `null` when the body is not a model listing at all (e.g. an HTML page, `{}`,
 *   items none of which has an id).
 */
export function parseModelList(
  body: unknown,
  style: ModelListStyle,
  max = Number.POSITIVE_INFINITY,
): ParsedPage | null {
  let items: unknown[] | null = null;
  let next: string | null = null;
  if (Array.isArray(body)) items = body;
  else if (body && typeof body === 'object') {
    const o = body as Record<string, unknown>;
    if (Array.isArray(o.data)) items = o.data;
    else if (Array.isArray(o.models)) items = o.models;
    if (o.has_more === true) next = str(o.last_id);
    if (!next) next = str(o.nextPageToken);
    if (next && next.length > CURSOR_MAX_CHARS) next = null;
  }
  if (!items) return null;
  const seen = new Set<string>();
  const models: ParsedModel[] = [];
  const invalid: ParsedPage['invalid'] = { count: 0, examples: [] };
  let withId = 0;
  let cut = false;
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    if (models.length >= max) {
      cut = true;
      break;
    }
    const m = parseItem(item, style);
    if (!m) continue;
    withId++;
    const why = modelIdProblem(m.id);
    if (why) {
      invalid.count++;
      if (invalid.examples.length < 3) invalid.examples.push({ id: m.id.slice(0, 80), why });
      continue;
    }
    if (seen.has(m.id)) continue;
    seen.add(m.id);
    models.push(m);
  }
  if (items.length > 0 && withId === 0) return null;
  return { models, next, cut, invalid };
}
