// Tolerant parser of model listings: OpenAI `data[]`, bare arrays, Gemini/Ollama `models[]`, Anthropic pages.
import type { ModelListStyle } from '../../../contract/models';

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
}

function str(v: unknown): string | null {
  return typeof v === 'string' && v.trim() !== '' ? v.trim() : null;
}

/**
 * One item of a listing → a model. Accepts a bare string, or an object with `id` (OpenAI, Anthropic,
 * OpenRouter, Together), `name` (Gemini `models/…`, Ollama `llama3:8b`) or `model` (Ollama).
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
    str(o.display_name) ?? str(o.displayName) ?? (str(o.id) && str(o.name) !== id ? str(o.name) : null);
  return { id, label: label === id ? null : label };
}

/**
 * Parses a model listing body (already JSON-decoded) in any of the shapes seen in the field:
 * `{data:[{id}]}` (OpenAI and compatibles, Anthropic), a bare array (Together), `{models:[{name}]}`
 * (Gemini, Ollama `/api/tags`), `{models:[…]}`/`{data:[…]}` of plain strings.
 * Items without a usable id are skipped; duplicates keep their first occurrence.
 * @returns the page, or `null` when the body is not a model listing at all (e.g. an HTML page, `{}`).
 */
export function parseModelList(body: unknown, style: ModelListStyle): ParsedPage | null {
  let items: unknown[] | null = null;
  let next: string | null = null;
  if (Array.isArray(body)) items = body;
  else if (body && typeof body === 'object') {
    const o = body as Record<string, unknown>;
    if (Array.isArray(o.data)) items = o.data;
    else if (Array.isArray(o.models)) items = o.models;
    if (o.has_more === true) next = str(o.last_id);
    if (!next) next = str(o.nextPageToken);
  }
  if (!items) return null;
  const seen = new Set<string>();
  const models: ParsedModel[] = [];
  for (const item of items) {
    const m = parseItem(item, style);
    if (!m || seen.has(m.id)) continue;
    seen.add(m.id);
    models.push(m);
  }
  if (items.length > 0 && models.length === 0) return null;
  return { models, next };
}
