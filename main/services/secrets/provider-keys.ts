// Provider keys: stored in the OS keychain only; read from the keychain, else from AGENTDESK_KEY_<ID> for this run.
import type { SecretRedactor } from '../../platform/secret-redactor';
import { KEYCHAIN_SERVICE } from './keychain-probe';
import { KeychainUnavailableError, providerAccount, providerKeyEnvVar } from './secret-store';
import type { SecretStore } from './secret-store';

/** Where a provider's key was found (the value stays in the core's memory; never serialised). */
export type KeyLookup =
  | { source: 'keychain'; value: string }
  | { source: 'env'; value: string; envVar: string }
  | {
      source: null;
      envVar: string;
      error?: KeychainUnavailableError;
      /** Set when `envVar` holds a key that was given for this origin, not the provider's current one. */
      envRefusedFor?: string;
    };

/**
 * The one place provider keys are read and written (docs/architecture.md, "The key rule": a key lives in
 * the keychain and in LiteLLM's environment, nowhere else). Writes go to the keychain only — when it is
 * unavailable, they fail with KEYCHAIN_UNAVAILABLE; there is no plaintext or memory fallback. Reads fall
 * back to the read-only env store (`AGENTDESK_KEY_<ID>`). Every value read or written is registered with
 * the secret redactor first, so no log line can carry it.
 */
export class ProviderKeys {
  private readonly service: string;

  constructor(
    private readonly deps: {
      keychain: SecretStore;
      env: SecretStore;
      redactor: SecretRedactor;
      service?: string;
    },
  ) {
    this.service = deps.service ?? KEYCHAIN_SERVICE;
  }

  /**
   * Finds the key of provider `id`: the keychain first when `inKeychain` (the DB holds a key
   * reference), then `AGENTDESK_KEY_<ID>`. Never throws: a keychain failure is returned as `error`
   * (unless the env var supplies the key).
   * @param memo shared by the lookups of one request: after a keychain failure, the next lookups reuse
   *   it instead of waiting for the keychain again (a locked keyring may take the whole deadline).
   * @param envRefusedFor the origin `AGENTDESK_KEY_<ID>` was given for when the provider's base URL has
   *   moved to another one since (provider-repository.ts `envKeyRefusedFor`): the variable is then not
   *   used, and the answer says so (`envRefusedFor`) when it is set.
   */
  async lookup(
    id: string,
    inKeychain: boolean,
    memo: { error?: KeychainUnavailableError } = {},
    envRefusedFor: string | null = null,
  ): Promise<KeyLookup> {
    const account = providerAccount(id);
    const envVar = providerKeyEnvVar(id);
    let error: KeychainUnavailableError | undefined;
    if (inKeychain && memo.error) error = memo.error;
    else if (inKeychain) {
      try {
        const value = await this.deps.keychain.getPassword(this.service, account);
        if (value) {
          this.deps.redactor.add(value);
          return { source: 'keychain', value };
        }
      } catch (err) {
        if (!(err instanceof KeychainUnavailableError)) throw err;
        error = memo.error = err;
      }
    }
    const fromEnv = await this.deps.env.getPassword(this.service, account);
    if (fromEnv) this.deps.redactor.add(fromEnv);
    if (fromEnv && envRefusedFor === null) return { source: 'env', value: fromEnv, envVar };
    return {
      source: null,
      envVar,
      ...(error && { error }),
      ...(fromEnv && envRefusedFor !== null && { envRefusedFor }),
    };
  }

  /** True when `AGENTDESK_KEY_<ID>` of provider `id` is set in the core's environment (its value stays here). */
  async envSet(id: string): Promise<boolean> {
    const value = await this.deps.env.getPassword(this.service, providerAccount(id));
    if (value) this.deps.redactor.add(value);
    return value !== null && value !== '';
  }

  /**
   * Stores the key of provider `id` in the keychain (replacing any previous one).
   * @throws KeychainUnavailableError (KEYCHAIN_UNAVAILABLE) naming the missing piece and the fix.
   */
  async store(id: string, key: string): Promise<void> {
    this.deps.redactor.add(key);
    await this.deps.keychain.setPassword(this.service, providerAccount(id), key);
  }

  /**
   * Deletes the keychain entry of provider `id`; `true` when one existed.
   * @throws KeychainUnavailableError when the keychain cannot be reached.
   */
  async delete(id: string): Promise<boolean> {
    return this.deps.keychain.deletePassword(this.service, providerAccount(id));
  }
}
