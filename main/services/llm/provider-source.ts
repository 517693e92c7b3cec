// Reads the providers table, the catalog and the keychain into what the LiteLLM config and environment need.
import { findCatalogEntry } from '../providers/catalog';
import { envRefusal } from '../providers/provider-dto';
import { envKeyRefusedFor } from '../providers/provider-repository';
import type { ProviderRepository } from '../providers/provider-repository';
import type { ProviderKeys } from '../secrets/provider-keys';
import type { KeychainUnavailableError } from '../secrets/secret-store';
import { providerKeyEnvVar } from '../secrets/secret-store';
import type { CatalogRecord } from '../providers/catalog';
import type { ProviderRow } from '../providers/provider-repository';
import type { LitellmProvider } from './litellm/config';
import type { ProviderKeyState } from './model-info';

/** Everything LiteLLM is started from: providers with models, their keys (memory only), and what was left out. */
export interface LlmProviderSnapshot {
  providers: LitellmProvider[];
  /** Provider keys by env var (`AGENTDESK_KEY_<ID>` → key); never written anywhere. */
  keys: Record<string, string>;
  /** One line per provider left out, e.g. "openai: the key is missing (set it on the Providers page)". */
  notes: string[];
}

/** Where the LLM service gets its providers (an interface so the service does not depend on their storage). */
export interface LlmProviderSource {
  /** Reads the current providers and keys. Never throws for one bad provider: it is left out with a note. */
  snapshot(): Promise<LlmProviderSnapshot>;
  /**
   * Whether provider `providerId` needs a key and can read it now (`GET /v1/agentdesk/models/<model>`);
   * `null` when there is no such provider. Without this method the service answers from the last snapshot.
   */
  keyState?(providerId: string): Promise<ProviderKeyState | null>;
}

type KeyMemo = { error?: KeychainUnavailableError };

/**
 * The providers the user added (ProviderService): rows and cached models from the repository, prefix and key
 * policy from the catalog, keys through ProviderKeys (keychain, else `AGENTDESK_KEY_<ID>`). A provider
 * whose required key cannot be read is left out (LiteLLM would only fail its calls); one without cached
 * models contributes nothing (test it to fetch its models).
 */
export class ProvidersLlmSource implements LlmProviderSource {
  constructor(
    private readonly repo: ProviderRepository,
    private readonly keys: ProviderKeys,
  ) {}

  async snapshot(): Promise<LlmProviderSnapshot> {
    const out: LlmProviderSnapshot = { providers: [], keys: {}, notes: [] };
    const memo: KeyMemo = {};
    for (const row of this.repo.list()) {
      const entry = findCatalogEntry(row.type);
      if (!entry) {
        out.notes.push(`${row.id}: unknown provider type "${row.type}"`);
        continue;
      }
      const models = this.repo.models(row.id).map((m) => m.model_id);
      if (models.length === 0) {
        out.notes.push(`${row.id}: no models known yet (test the provider to fetch them)`);
        continue;
      }
      const key = await this.resolveKey(row, entry, memo);
      if (key.state === 'resolved') out.keys[providerKeyEnvVar(row.id)] = key.value;
      else if (key.state === 'missing') {
        out.notes.push(`${row.id}: left out, ${key.why}`);
        continue;
      }
      const keyless = key.state === 'not_needed';
      out.providers.push({
        providerId: row.id,
        type: row.type,
        prefix: entry.litellm_prefix,
        apiBase: row.base_url,
        keyless,
        models,
        local: entry.kind === 'local',
      });
    }
    return out;
  }

  /** Asks the keychain (or `AGENTDESK_KEY_<ID>`) now; `null` for a provider id not in the table or of an unknown type. */
  async keyState(providerId: string): Promise<ProviderKeyState | null> {
    const row = this.repo.get(providerId);
    const entry = row && findCatalogEntry(row.type);
    if (!row || !entry) return null;
    return (await this.resolveKey(row, entry, {})).state;
  }

  /**
   * A provider's key: `not_needed` for keyless types and for optional keys never set; `resolved` with
   * the value; `missing` with why (required, or a key reference the keychain cannot serve).
   */
  private async resolveKey(
    row: ProviderRow,
    entry: CatalogRecord,
    memo: KeyMemo,
  ): Promise<
    { state: 'resolved'; value: string } | { state: 'missing'; why: string } | { state: 'not_needed' }
  > {
    if (entry.key === 'none') return { state: 'not_needed' };
    const found = await this.keys.lookup(row.id, row.key_ref !== null, memo, envKeyRefusedFor(row));
    if (found.source) return { state: 'resolved', value: found.value };
    if (entry.key !== 'required' && !row.key_ref) return { state: 'not_needed' };
    if (found.envRefusedFor)
      return { state: 'missing', why: envRefusal(row.id, found.envVar, found.envRefusedFor) };
    const why = found.error ? `the keychain is unavailable (${found.error.problem})` : 'the key is missing';
    return { state: 'missing', why: `${why}; set its key on the Providers page or in ${found.envVar}` };
  }
}
