// Reading "online" from the routing table: default routes in /proc/net texts, loopback URLs.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ipv4DefaultRoutes, ipv6DefaultRoutes, isLoopbackUrl, readNetworkRoute } from './network-status';

const V4_HEADER = 'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT';
const V4_ONLINE = `${V4_HEADER}
eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0
docker0\t000011AC\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0
eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0
`;
const V4_BRIDGES_ONLY = `${V4_HEADER}
docker0\t000011AC\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0
incusbr0\t0017570A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0
`;
const Z = '0'.repeat(32);
// The kernel keeps a reject default route on lo when IPv6 has no real default route.
const V6_OFFLINE = `${Z} 00 ${Z} 00 ${Z} ffffffff 00000001 00000000 00200200       lo\n`;
const V6_ONLINE = `${Z} 00 ${Z} 00 fd000000000000000000000000000001 00000400 00000003 00000000 00000003     eth0\n`;

describe('default routes', () => {
  it('finds the IPv4 default route and ignores subnet routes of bridges', () => {
    expect(ipv4DefaultRoutes(V4_ONLINE)).toEqual(['eth0']);
    expect(ipv4DefaultRoutes(V4_BRIDGES_ONLY)).toEqual([]);
    expect(ipv4DefaultRoutes(V4_HEADER)).toEqual([]);
  });

  it('finds an IPv6 default route and ignores the kernel reject route on lo', () => {
    expect(ipv6DefaultRoutes(V6_ONLINE)).toEqual(['eth0']);
    expect(ipv6DefaultRoutes(V6_OFFLINE)).toEqual([]);
  });
});

describe('readNetworkRoute', () => {
  let dir = '';
  afterEach(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });
  const procNet = (v4: string, v6: string) => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-test-net-'));
    fs.writeFileSync(path.join(dir, 'route'), v4);
    fs.writeFileSync(path.join(dir, 'ipv6_route'), v6);
    return dir;
  };

  it('says offline, and why, with only bridges and loopback', () => {
    const r = readNetworkRoute(procNet(V4_BRIDGES_ONLY, V6_OFFLINE));
    expect(r.online).toBe(false);
    expect(r.detail).toMatch(/no default route.*offline/);
  });

  it('says online with a default route in either family', () => {
    expect(readNetworkRoute(procNet(V4_ONLINE, V6_OFFLINE))).toEqual({
      online: true,
      detail: 'default route via eth0',
    });
    expect(readNetworkRoute(procNet(V4_BRIDGES_ONLY, V6_ONLINE)).online).toBe(true);
  });
});

describe('isLoopbackUrl', () => {
  it('accepts this machine only', () => {
    for (const u of [
      'http://127.0.0.1:11434',
      'http://localhost:1234/v1',
      'http://[::1]:8080/v1',
      'http://127.1.2.3',
    ])
      expect(isLoopbackUrl(u), u).toBe(true);
    for (const u of ['https://api.openai.com/v1', 'http://192.168.1.5:11434', 'http://10.0.0.1', 'not a url'])
      expect(isLoopbackUrl(u), u).toBe(false);
  });
});
