// Test helper: is a real OS keychain (Secret Service) usable in this process?
import { probeKeychain } from '../main/services/secrets/keychain-probe';

/** True when the keychain answers a read (run tests under scripts/with-keyring.sh on a headless machine). */
export async function keychainAvailable(): Promise<boolean> {
  return (await probeKeychain(process.env)).state === 'ok';
}
