// The keychain probe against a real Secret Service, and without any D-Bus session.
import { describe, expect, it } from 'vitest';
import { skipUnlessReal } from '../../../test/real';
import { classifyKeychainError, probeKeychain } from './keychain-probe';

const hasSession = Boolean(process.env.DBUS_SESSION_BUS_ADDRESS);

describe('probeKeychain', () => {
  it.skipIf(skipUnlessReal(hasSession, 'OS keychain (D-Bus session with an unlocked keyring)'))(
    'reports an unlocked Secret Service as ok',
    async () => {
      const h = await probeKeychain(process.env);
      expect(h.state, h.detail).toBe('ok');
    },
  );

  it('says what is missing and how to fix it, per failure', () => {
    const noSession = classifyKeychainError(
      'Platform failure: DBus error: … set your DBUS_SESSION_BUS_ADDRESS instead',
      'linux',
      {},
    );
    expect(noSession.state).toBe('missing');
    expect(noSession.detail).toContain('No D-Bus session');
    expect(noSession.fix).toContain('AGENTDESK_KEY_<PROVIDER_ID>');
    const locked = classifyKeychainError(
      "Couldn't access platform storage: Secret Service: no result found",
      'linux',
      { DBUS_SESSION_BUS_ADDRESS: 'unix:path=/x' },
    );
    expect(locked.state).toBe('error');
    expect(locked.detail).toContain('locked');
    const mac = classifyKeychainError('User interaction is not allowed', 'darwin', {});
    expect(mac.detail).toContain('macOS Keychain');
  });
});
