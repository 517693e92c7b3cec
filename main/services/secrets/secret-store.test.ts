// Key accounts, env var names, the env store (read-only) and keychain error classification.
import { describe, expect, it } from 'vitest';
import { EnvSecretStore } from './env-secret-store';
import { keychainError, KeychainUnavailableError, providerAccount, providerKeyEnvVar } from './secret-store';

describe('provider key names', () => {
  it('maps ids to accounts and AGENTDESK_KEY_<ID> variables', () => {
    expect(providerAccount('openai')).toBe('provider:openai');
    expect(providerKeyEnvVar('openai')).toBe('AGENTDESK_KEY_OPENAI');
    expect(providerKeyEnvVar('my-openai.2')).toBe('AGENTDESK_KEY_MY_OPENAI_2');
  });
});

describe('EnvSecretStore', () => {
  const env = { AGENTDESK_KEY_MY_GROQ: ' gsk-abc \n', AGENTDESK_KEY_EMPTY: '', OTHER: 'x' };
  const store = new EnvSecretStore(env);

  it('reads AGENTDESK_KEY_<ID> for provider accounts only, trimmed', async () => {
    expect(await store.getPassword('agentdesk', 'provider:my-groq')).toBe('gsk-abc');
    expect(await store.getPassword('agentdesk', 'provider:empty')).toBeNull();
    expect(await store.getPassword('agentdesk', 'provider:none')).toBeNull();
    expect(await store.getPassword('agentdesk', 'other')).toBeNull();
  });

  it('is read-only', async () => {
    await expect(store.setPassword('agentdesk', 'provider:x', 'v')).rejects.toBeInstanceOf(
      KeychainUnavailableError,
    );
    expect(await store.deletePassword()).toBe(false);
    expect(env.AGENTDESK_KEY_MY_GROQ).toBe(' gsk-abc \n');
  });

  it('lists its credentials', async () => {
    expect(await store.findCredentials()).toEqual([{ account: 'provider:my-groq', password: 'gsk-abc' }]);
  });
});

describe('keychainError', () => {
  it('names a missing Secret Service and the fix', () => {
    for (const m of [
      'Platform failure: DBus error: Failed to connect to socket /nonexistent: No such file or directory',
      'Platform failure: DBus error: The name org.freedesktop.secrets was not provided by any .service files',
      'Platform failure: DBus error: Using X11 for dbus-daemon autolaunch was disabled at compile time',
    ]) {
      const e = keychainError(new Error(m), 'store the key of provider:x');
      expect(e.code).toBe('KEYCHAIN_UNAVAILABLE');
      expect(e.problem).toBe(process.platform === 'linux' ? 'no-secret-service' : 'failed');
      if (process.platform === 'linux') {
        expect(e.message).toContain('no Secret Service on the D-Bus session');
        expect(e.message).toContain('gnome-keyring');
      }
      expect(e.message).toContain('AGENTDESK_KEY_<PROVIDER_ID>');
    }
  });

  it('names a locked keyring', () => {
    const e = keychainError(
      new Error("Couldn't access platform storage: Secret Service: unlock prompt was dismissed"),
      'x',
    );
    expect(e.problem).toBe('locked');
    expect(e.message).toContain('keyring is locked');
    expect(e.message).toMatch(/Fix: unlock it/);
  });

  it('reports a timeout', () => {
    expect(keychainError(new Error('aborted'), 'x', true).problem).toBe('timeout');
  });
});
