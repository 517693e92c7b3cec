// The SecretStore interface (the keytar API), provider key accounts, and the KEYCHAIN_UNAVAILABLE error.
import { AppError } from '../../../contract/errors';

/** One stored credential, as keytar's `findCredentials` answers. */
export interface Credential {
  account: string;
  password: string;
}

/**
 * A place keys live, with keytar's API: the OS keychain, or the process
 * environment (read-only). Every method may throw {@link KeychainUnavailableError}.
 */
export interface SecretStore {
  /** Short name for messages: `keychain`, `env`. */
  readonly name: string;
  /** The secret of `service`/`account`, or `null` when there is none. */
  getPassword(service: string, account: string): Promise<string | null>;
  /** Stores (or replaces) a secret. */
  setPassword(service: string, account: string, password: string): Promise<void>;
  /** Deletes a secret; `true` when one was deleted, `false` when there was none. */
  deletePassword(service: string, account: string): Promise<boolean>;
  /** Every credential of `service`. */
  findCredentials(service: string): Promise<Credential[]>;
}

/** The keychain account of a provider's key: `provider:<id>`. */
export function providerAccount(providerId: string): string {
  return `provider:${providerId}`;
}

/** The provider id of a `provider:<id>` account, or `null` for other accounts. */
export function providerIdOfAccount(account: string): string | null {
  return account.startsWith('provider:') ? account.slice('provider:'.length) : null;
}

/**
 * The env var that may hold a provider's key for one run: `AGENTDESK_KEY_<ID>`, the id upper-cased
 * with every non-alphanumeric character turned into `_` (e.g. `my-openai` → `AGENTDESK_KEY_MY_OPENAI`).
 * The LiteLLM config names the same variable (`os.environ/AGENTDESK_KEY_<ID>`).
 */
export function providerKeyEnvVar(providerId: string): string {
  return `AGENTDESK_KEY_${providerId.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
}

/** Why the keychain cannot be used. */
export type KeychainProblem = 'no-secret-service' | 'locked' | 'timeout' | 'read-only' | 'failed';

/**
 * The keychain cannot store or read a key. A contract error (KEYCHAIN_UNAVAILABLE) whose message
 * names the missing piece and the fix; `details.problem` classifies it. Never carries a secret.
 */
export class KeychainUnavailableError extends AppError {
  readonly problem: KeychainProblem;

  constructor(problem: KeychainProblem, message: string, detail: string) {
    super('KEYCHAIN_UNAVAILABLE', message, { problem, detail });
    this.problem = problem;
  }
}

/** Removes the `Platform failure: DBus error:` wrapping of @napi-rs/keyring errors. */
function plainCause(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.replace(/^Platform failure:\s*/i, '').replace(/^DBus error:\s*/i, '');
}

/**
 * Turns an error of the keychain binding into a {@link KeychainUnavailableError} with the fix.
 * Classification from the messages of @napi-rs/keyring 2 over the Secret Service (seen on Debian 12):
 * no bus ("Failed to connect to socket", "autolaunch", no `DBUS_SESSION_BUS_ADDRESS`), no provider of
 * `org.freedesktop.secrets`, a locked collection or a dismissed unlock prompt, and our own deadline.
 * @param action what was attempted, e.g. "store the key of provider openai".
 */
export function keychainError(err: unknown, action: string, timedOut = false): KeychainUnavailableError {
  const cause = plainCause(err);
  const envFix = 'or pass keys as AGENTDESK_KEY_<PROVIDER_ID> environment variables for this run';
  if (timedOut)
    return new KeychainUnavailableError(
      'timeout',
      `Cannot ${action}: the keychain did not answer in time (it may be waiting for an unlock prompt). Fix: unlock your keyring (log in to the desktop session), ${envFix}.`,
      cause,
    );
  if (/locked|prompt|dismissed|not unlocked|IsLocked/i.test(cause))
    return new KeychainUnavailableError(
      'locked',
      `Cannot ${action}: the keyring is locked. Fix: unlock it (log in to the desktop session, or \`echo -n PASSWORD | gnome-keyring-daemon --unlock\`), ${envFix}.`,
      cause,
    );
  if (
    process.platform === 'linux' &&
    /dbus|d-bus|socket|autolaunch|org\.freedesktop\.secrets|service files|ServiceUnknown|NoReply|secret service/i.test(
      cause,
    )
  )
    return new KeychainUnavailableError(
      'no-secret-service',
      `Cannot ${action}: no Secret Service on the D-Bus session (${cause}). Fix: run Agent Desk in a desktop session with GNOME Keyring or KWallet (\`sudo apt install gnome-keyring\`), or start it under \`dbus-run-session\` with an unlocked gnome-keyring-daemon, ${envFix}.`,
      cause,
    );
  return new KeychainUnavailableError(
    'failed',
    `Cannot ${action}: the keychain failed (${cause}). Fix: check that the keychain is unlocked and try again, ${envFix}.`,
    cause,
  );
}
