// Probes the OS keychain (Secret Service on Linux) without writing to it.
import { AsyncEntry, findCredentialsAsync } from '@napi-rs/keyring';
import type { ComponentHealth } from '../../../contract/health';

/** Service name under which Agent Desk keeps its entries. */
export const KEYCHAIN_SERVICE = 'agentdesk';

/**
 * Entry options that pin Linux to the Secret Service: without them @napi-rs/keyring silently falls back
 * to the kernel's keyutils store (in memory, lost at reboot).
 */
export const KEYCHAIN_ENTRY_OPTIONS = { linux: { store: 'secret-service' as const } };

/** The platform's keychain, as named to users. */
export function keychainLabel(platform: NodeJS.Platform = process.platform): string {
  if (platform === 'darwin') return 'macOS Keychain';
  if (platform === 'win32') return 'Windows Credential Manager';
  return 'Secret Service (e.g. GNOME Keyring, KWallet)';
}

/**
 * Probes the keychain by reading a probe entry that never exists (a read does not unlock or prompt),
 * then by searching Agent Desk's entries: a locked collection answers the first with "not found" like
 * an open one, but refuses the search with `org.freedesktop.Secret.Error.IsLocked` when it holds our
 * keys (measured with gnome-keyring 42). Never throws.
 * @param env the core's environment (`DBUS_SESSION_BUS_ADDRESS` tells whether a session can be reached).
 * @param timeoutMs deadline in ms; a keychain that does not answer in time is reported as `error`.
 */
export async function probeKeychain(
  env: Readonly<NodeJS.ProcessEnv>,
  timeoutMs = 2000,
): Promise<ComponentHealth> {
  const label = keychainLabel();
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    const entry = new AsyncEntry(KEYCHAIN_SERVICE, 'health-probe', KEYCHAIN_ENTRY_OPTIONS);
    await entry.getPassword(signal);
    if (process.platform === 'linux') await findCredentialsAsync(KEYCHAIN_SERVICE, null, signal);
    return { name: 'keychain', state: 'ok', detail: `${label} is available`, fix: '' };
  } catch (err) {
    if (signal.aborted) {
      return {
        name: 'keychain',
        state: 'error',
        detail: `${label} did not answer within ${timeoutMs} ms`,
        fix: 'Unlock your keyring (log in to the desktop session), then check again',
      };
    }
    return classifyKeychainError((err as Error).message || String(err), process.platform, env);
  }
}

/**
 * Turns a keychain failure into a health line with a fix (exported for tests).
 * Linux messages come from the `keyring` crate behind @napi-rs/keyring: a missing session says
 * "set your DBUS_SESSION_BUS_ADDRESS", a locked keyring "Secret Service: no result found".
 */
export function classifyKeychainError(
  message: string,
  platform: NodeJS.Platform = process.platform,
  env: Readonly<NodeJS.ProcessEnv>,
): ComponentHealth {
  const label = keychainLabel(platform);
  if (platform === 'linux' && !env.DBUS_SESSION_BUS_ADDRESS) {
    return {
      name: 'keychain',
      state: 'missing',
      detail: 'No D-Bus session (DBUS_SESSION_BUS_ADDRESS is not set), so no Secret Service',
      fix: 'Run inside a desktop session with GNOME Keyring or KWallet, or start one: `dbus-run-session -- sh -c "gnome-keyring-daemon --unlock; agentdesk serve"`; or pass keys as AGENTDESK_KEY_<PROVIDER_ID> env vars for this run',
    };
  }
  if (platform === 'linux' && /no result found|locked/i.test(message)) {
    return {
      name: 'keychain',
      state: 'error',
      detail: 'The Secret Service is running but the keyring is locked (or has no default collection)',
      fix: 'Unlock your login keyring (log in to the desktop session, or `gnome-keyring-daemon --unlock`), then check again',
    };
  }
  if (platform === 'linux') {
    return {
      name: 'keychain',
      state: 'missing',
      detail: `No Secret Service on the D-Bus session: ${message}`,
      fix: 'Run inside a desktop session with GNOME Keyring or KWallet (`sudo apt install gnome-keyring`), or pass keys as AGENTDESK_KEY_<PROVIDER_ID> env vars for this run',
    };
  }
  return {
    name: 'keychain',
    state: 'error',
    detail: `${label}: ${message}`,
    fix: 'Check that the keychain is unlocked, then check again',
  };
}
