// The local address towards a host: loopback for loopback, this host's own LAN address for itself.
import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { localAddressTowards } from './local-address';

describe('localAddressTowards', () => {
  it('answers the address packets to the host leave from', async () => {
    expect(await localAddressTowards('127.0.0.1')).toBe('127.0.0.1');
    const own = Object.values(os.networkInterfaces())
      .flat()
      .find((a) => a?.family === 'IPv4' && !a.internal)?.address;
    if (own) expect(await localAddressTowards(own)).toBe(own);
  });

  it('refuses a name', async () => {
    await expect(localAddressTowards('engine.example')).rejects.toThrow(/not an IP address/);
  });
});
