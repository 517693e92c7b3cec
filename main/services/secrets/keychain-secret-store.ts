// SecretStore over the OS keychain: @napi-rs/keyring AsyncEntry, pinned to the Secret Service on Linux.
import { AsyncEntry, findCredentialsAsync } from '@napi-rs/keyring';
import { KEYCHAIN_ENTRY_OPTIONS } from './keychain-probe';
import { keychainError } from './secret-store';
import type { Credential, SecretStore } from './secret-store';

/** Default deadline of one keychain call, in ms (an unlock prompt nobody answers must not hang a call). */
export const KEYCHAIN_TIMEOUT_MS = 5000;

/**
 * The OS keychain (macOS Keychain, Windows Credential Manager, Secret Service on Linux) through
 * `@napi-rs/keyring`, the maintained keytar-compatible binding. On Linux every entry is pinned to
 * the Secret Service (`KEYCHAIN_ENTRY_OPTIONS`): without one the binding throws instead of silently
 * falling back to the in-memory kernel keyring (lost at reboot). No other fallback exists.
 * Every failure becomes a KeychainUnavailableError (KEYCHAIN_UNAVAILABLE) naming the fix.
 */
export class KeychainSecretStore implements SecretStore {
  readonly name = 'keychain';

  constructor(private readonly timeoutMs = KEYCHAIN_TIMEOUT_MS) {}

  /** Reads a secret; `null` when absent. @throws KeychainUnavailableError */
  getPassword(service: string, account: string): Promise<string | null> {
    return this.run(
      `read the key of ${account}`,
      (entry, signal) => entry.getPassword(signal),
      service,
      account,
    );
  }

  /** Stores a secret. @throws KeychainUnavailableError */
  async setPassword(service: string, account: string, password: string): Promise<void> {
    await this.run(
      `store the key of ${account}`,
      (entry, signal) => entry.setPassword(password, signal),
      service,
      account,
    );
  }

  /** Deletes a secret; `false` when there was none. @throws KeychainUnavailableError */
  deletePassword(service: string, account: string): Promise<boolean> {
    return this.run(
      `delete the key of ${account}`,
      (entry, signal) => entry.deletePassword(signal),
      service,
      account,
    );
  }

  /**
   * Every credential of `service`. The binding's search takes no store option, so the Secret Service
   * is first checked through a pinned entry: a missing one throws here rather than searching keyutils.
   * @throws KeychainUnavailableError
   */
  async findCredentials(service: string): Promise<Credential[]> {
    await this.run('list keys', (entry, signal) => entry.getPassword(signal), service, 'health-probe');
    const signal = AbortSignal.timeout(this.timeoutMs);
    try {
      return await findCredentialsAsync(service, null, signal);
    } catch (err) {
      throw keychainError(err, 'list keys', signal.aborted);
    }
  }

  private async run<T>(
    action: string,
    fn: (entry: AsyncEntry, signal: AbortSignal) => Promise<T>,
    service: string,
    account: string,
  ): Promise<T> {
    const signal = AbortSignal.timeout(this.timeoutMs);
    try {
      // The constructor connects to D-Bus and throws synchronously when there is no session bus.
      const entry = new AsyncEntry(service, account, KEYCHAIN_ENTRY_OPTIONS);
      return await fn(entry, signal);
    } catch (err) {
      throw keychainError(err, action, signal.aborted);
    }
  }
}
