// A read-only SecretStore over environment variables AGENTDESK_KEY_<PROVIDER_ID>: keys for one run only.
import { KeychainUnavailableError, providerIdOfAccount, providerKeyEnvVar } from './secret-store';
import type { Credential, SecretStore } from './secret-store';

const PREFIX = 'AGENTDESK_KEY_';

/**
 * Keys given to this run through the environment (headless servers without a keychain, CI).
 * Account `provider:<id>` ↔ variable `AGENTDESK_KEY_<ID>` (see providerKeyEnvVar). Read-only: nothing
 * is ever written, so a key given this way lives only in this process's environment. Values are
 * trimmed; an empty variable counts as absent. Other accounts (not `provider:`) are never found.
 */
export class EnvSecretStore implements SecretStore {
  readonly name = 'env';

  /** @param env the environment to read (the core's, read at each call). */
  constructor(private readonly env: Readonly<NodeJS.ProcessEnv>) {}

  /** The value of `AGENTDESK_KEY_<ID>` for a `provider:<id>` account, or `null`. */
  getPassword(_service: string, account: string): Promise<string | null> {
    const id = providerIdOfAccount(account);
    if (!id) return Promise.resolve(null);
    const value = this.env[providerKeyEnvVar(id)]?.trim();
    return Promise.resolve(value ? value : null);
  }

  /** Always refused: environment keys are read-only. @throws KeychainUnavailableError (`read-only`) */
  setPassword(_service: string, account: string, _password: string): Promise<void> {
    return Promise.reject(
      new KeychainUnavailableError(
        'read-only',
        `Cannot store the key of ${account}: environment variables are read-only. Store keys in the OS keychain.`,
        'env store',
      ),
    );
  }

  /** Never deletes anything (the environment belongs to whoever started the process); answers `false`. */
  deletePassword(_service?: string, _account?: string): Promise<boolean> {
    return Promise.resolve(false);
  }

  /**
   * Every `AGENTDESK_KEY_*` variable as a credential. The account is rebuilt from the variable name
   * (lower-cased, `_` → `-`), which matches provider ids that use dashes.
   */
  findCredentials(_service?: string): Promise<Credential[]> {
    const out: Credential[] = [];
    for (const [name, value] of Object.entries(this.env)) {
      if (!name.startsWith(PREFIX) || !value?.trim()) continue;
      out.push({
        account: `provider:${name.slice(PREFIX.length).toLowerCase().replace(/_/g, '-')}`,
        password: value.trim(),
      });
    }
    return Promise.resolve(out);
  }
}
