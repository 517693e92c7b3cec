// Builds the Provider DTO from a DB row and a key lookup: the key's state and last 4 characters, never the key.
import type { Provider, ProviderKeyInfo } from '../../../contract/providers';
import type { KeyLookup } from '../secrets/provider-keys';
import type { CatalogRecord } from './catalog';
import type { ProviderRow } from './provider-repository';

/** Keys shorter than this show no last 4 characters (too much of a short secret). */
export const MIN_KEY_LENGTH_FOR_LAST4 = 12;

/** The last 4 characters of `key`, or `null` when it is shorter than {@link MIN_KEY_LENGTH_FOR_LAST4}. */
export function last4(key: string): string | null {
  return key.length >= MIN_KEY_LENGTH_FOR_LAST4 ? key.slice(-4) : null;
}

/**
 * Why `AGENTDESK_KEY_<ID>` (`envVar`, set) is not used for provider `id`: it was given for `origin`, and
 * the provider's base URL has moved to another host since (provider-repository.ts `envKeyRefusedFor`).
 */
export function envRefusal(id: string, envVar: string, origin: string): string {
  return `${envVar} was given for ${origin} and is not sent to this provider's new host; accept it for this host with \`agentdesk providers edit ${id} --accept-env-key\`, or give a key.`;
}

/**
 * What the UI may know about a provider's key (contract ProviderKeyInfo):
 * keyless type → `not_needed`; found in the keychain → `set`; in `AGENTDESK_KEY_<ID>` → `env`;
 * stored but the keychain failed → `unavailable` (with why); otherwise `missing` when the type requires
 * a key or one was stored and is gone, else `not_needed` — both with `detail` when `AGENTDESK_KEY_<ID>`
 * is set but belongs to another host ({@link envRefusal}).
 */
export function keyInfo(entry: CatalogRecord, row: ProviderRow, lookup: KeyLookup | null): ProviderKeyInfo {
  if (entry.key === 'none' || !lookup) return { state: 'not_needed', last4: null };
  if (lookup.source === 'keychain') return { state: 'set', last4: last4(lookup.value) };
  if (lookup.source === 'env') return { state: 'env', last4: last4(lookup.value), env_var: lookup.envVar };
  if (lookup.error && row.key_ref)
    return { state: 'unavailable', last4: null, env_var: lookup.envVar, detail: lookup.error.message };
  const refused = lookup.envRefusedFor
    ? { detail: envRefusal(row.id, lookup.envVar, lookup.envRefusedFor) }
    : {};
  if (entry.key === 'required' || row.key_ref)
    return { state: 'missing', last4: null, env_var: lookup.envVar, ...refused };
  return {
    state: 'not_needed',
    last4: null,
    ...(lookup.envRefusedFor && { env_var: lookup.envVar }),
    ...refused,
  };
}

/**
 * Marks a status detail as "could not reach it". The table's CHECK constraint (migration 002) only
 * admits unknown/ok/error, so an unreachable provider is stored as `error` with this prefix and
 * reported as `unreachable` by {@link toProvider}.
 */
export const UNREACHABLE_PREFIX = 'Unreachable: ';

/** The contract status of a row: `error` rows whose detail starts with {@link UNREACHABLE_PREFIX} are `unreachable`. */
export function statusOf(row: Pick<ProviderRow, 'status' | 'status_detail'>): Provider['status'] {
  return row.status === 'error' && row.status_detail.startsWith(UNREACHABLE_PREFIX)
    ? 'unreachable'
    : row.status;
}

/** The Provider DTO of a row (see contract/providers.ts `Provider`). */
export function toProvider(
  entry: CatalogRecord,
  row: ProviderRow,
  lookup: KeyLookup | null,
  modelCount: number,
): Provider {
  return {
    id: row.id,
    type: row.type,
    type_label: entry.label,
    kind: entry.kind,
    name: row.name,
    base_url: row.base_url,
    key: keyInfo(entry, row, lookup),
    status: statusOf(row),
    status_detail: row.status_detail,
    checked_at: row.checked_at,
    model_count: modelCount,
    models_fetched_at: row.models_fetched_at,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}
