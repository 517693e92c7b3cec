// Reads the providers table, the catalog and the keychain into what the LiteLLM config and environment need.
import { findCatalogEntry } from '../providers/catalog';
import type { ProviderRepository } from '../providers/provider-repository';
import type { ProviderKeys } from '../secrets/provider-keys';
import type { KeychainUnavailableError } from '../secrets/secret-store';
import { providerKeyEnvVar } from '../secrets/secret-store';
import type { LitellmProvider } from './litellm-config';

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
}

/**
 * The providers of the Providers issue: rows and cached models from the repository, prefix and key
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
    const memo: { error?: KeychainUnavailableError } = {};
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
      let keyless = true;
      if (entry.key !== 'none') {
        const found = await this.keys.lookup(row.id, row.key_ref !== null, memo);
        if (found.source) {
          out.keys[providerKeyEnvVar(row.id)] = found.value;
          keyless = false;
        } else if (entry.key === 'required' || row.key_ref) {
          const why = found.error
            ? `the keychain is unavailable (${found.error.problem})`
            : 'the key is missing';
          out.notes.push(
            `${row.id}: left out, ${why}; set its key on the Providers page or in ${found.envVar}`,
          );
          continue;
        }
      }
      out.providers.push({
        providerId: row.id,
        type: row.type,
        prefix: entry.litellm_prefix,
        apiBase: row.base_url,
        keyless,
        models,
      });
    }
    return out;
  }
}
