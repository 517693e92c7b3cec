// The provider catalog: catalog.json parsed and checked once at load, with lookups by type.
import { z } from 'zod';
import { AppError } from '../../../contract/errors';
import { CatalogEntry } from '../../../contract/providers';
import raw from './catalog.json';

/** A catalog entry with the fields only the core needs (not sent to UIs: the contract strips them). */
export const CatalogRecord = CatalogEntry.extend({
  /** Path appended to the base URL to list models, e.g. `/models`, `/api/tags`, `/v1/models`. */
  models_path: z.string().startsWith('/'),
  /** Optional path that checks the key when the model list is public (OpenRouter `/key`). */
  key_check_path: z.string().startsWith('/').optional(),
});
export type CatalogRecord = z.infer<typeof CatalogRecord>;

/**
 * Parses and checks catalog data: every field typed, types unique, locals with a port, keyless
 * entries with auth `none` and vice versa.
 * @throws Error naming the bad entry (a broken catalog is a build bug, caught by the unit tests).
 */
export function parseCatalog(data: unknown): CatalogRecord[] {
  const entries = z.object({ entries: z.array(CatalogRecord) }).parse(data).entries;
  const seen = new Set<string>();
  for (const e of entries) {
    if (seen.has(e.type)) throw new Error(`catalog: type "${e.type}" appears twice`);
    seen.add(e.type);
    if (e.kind === 'local' && e.default_port === null)
      throw new Error(`catalog: local "${e.type}" needs a port`);
    if ((e.key === 'none') !== (e.auth === 'none'))
      throw new Error(`catalog: "${e.type}" must have key "none" exactly when auth is "none"`);
    if (e.kind !== 'custom' && !/^https?:\/\//.test(e.base_url))
      throw new Error(`catalog: "${e.type}" needs a base URL`);
  }
  return entries;
}

/** The catalog shipped with the app, in display order (cloud, local, custom). */
export const CATALOG: readonly CatalogRecord[] = parseCatalog(raw);

/** Every valid provider type, in catalog order. */
export const PROVIDER_TYPES: readonly string[] = CATALOG.map((e) => e.type);

/** The catalog entry of `type`, or `undefined`. */
export function findCatalogEntry(type: string): CatalogRecord | undefined {
  return CATALOG.find((e) => e.type === type);
}

/**
 * The catalog entry of `type`.
 * @throws AppError INVALID_INPUT listing every valid type (`details.valid`) when `type` is unknown.
 */
export function catalogEntry(type: string): CatalogRecord {
  const entry = findCatalogEntry(type);
  if (!entry)
    throw new AppError(
      'INVALID_INPUT',
      `Unknown provider type "${type}". Valid types: ${PROVIDER_TYPES.join(', ')}`,
      { field: 'type', valid: [...PROVIDER_TYPES] },
    );
  return entry;
}

/**
 * True when a model id names an embedding model (`nomic-embed-text`, `mxbai-embed-large`,
 * `text-embedding-3-small`, `bge-m3`, `all-minilm`): local servers list them beside chat models
 * without saying which is which in `/api/tags` or `/v1/models`.
 */
export function isEmbeddingModel(modelId: string): boolean {
  return /embed|(^|[/:_-])(bge|gte|e5)([-_:.]|$)|minilm/i.test(modelId);
}

/**
 * The LiteLLM model string of `modelId` behind `prefix`. Ollama embeddings go through `ollama/`
 * (LiteLLM calls `/api/embed` for it; `ollama_chat/` only chats — docs.litellm.ai/docs/providers/ollama).
 */
export function litellmModelOf(prefix: string, modelId: string): string {
  if (prefix === 'ollama_chat/' && isEmbeddingModel(modelId)) return `ollama/${modelId}`;
  return `${prefix}${modelId}`;
}
