// The real OS keychain through KeychainSecretStore: set, read, list, delete (run under scripts/with-keyring.sh).
import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { keychainAvailable } from '../../../test/keychain';
import { skipUnlessReal } from '../../../test/real';
import { KeychainSecretStore } from './keychain-secret-store';

const available = await keychainAvailable();
const SERVICE = `agentdesk-test-${crypto.randomBytes(4).toString('hex')}`;

describe.skipIf(skipUnlessReal(available, 'OS keychain'))('KeychainSecretStore (real keychain)', () => {
  const store = new KeychainSecretStore();

  it('sets, reads back, lists and deletes a secret', async () => {
    const secret = `sk-test-${crypto.randomBytes(12).toString('hex')}`;
    expect(await store.getPassword(SERVICE, 'provider:a')).toBeNull();
    await store.setPassword(SERVICE, 'provider:a', secret);
    expect(await store.getPassword(SERVICE, 'provider:a')).toBe(secret);
    await store.setPassword(SERVICE, 'provider:a', `${secret}-2`);
    expect(await store.getPassword(SERVICE, 'provider:a')).toBe(`${secret}-2`);
    expect(await store.findCredentials(SERVICE)).toEqual([
      { account: 'provider:a', password: `${secret}-2` },
    ]);
    expect(await store.deletePassword(SERVICE, 'provider:a')).toBe(true);
    expect(await store.deletePassword(SERVICE, 'provider:a')).toBe(false);
    expect(await store.getPassword(SERVICE, 'provider:a')).toBeNull();
    expect(await store.findCredentials(SERVICE)).toEqual([]);
  });
});
