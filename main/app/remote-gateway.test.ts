// ensureGatewayTls: the TLS listener enabled once with the data dir's certificate, bound per engine address, its port kept for the next run.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Gateway } from '../services/llm/gateway/gateway';
import type { GatewayTlsIdentity } from '../services/llm/gateway/tls-identity';
import { rememberedTlsPort } from '../services/llm/gateway/tls-identity';
import { ensureGatewayTls, gatewayTlsDir } from './remote-gateway';

/** The part of Gateway that ensureGatewayTls uses, recording calls. */
function fakeGateway(fail = '') {
  const calls: string[] = [];
  let tls: { identity: GatewayTlsIdentity; port: number } | null = null;
  const bound = new Set<string>();
  const gw = {
    enableTls(identity: GatewayTlsIdentity, port = 0) {
      calls.push(`enable:${port}`);
      tls = { identity, port: port || 45_000 };
    },
    addTlsBind(address: string) {
      calls.push(`bind:${address}`);
      if (fail) return Promise.resolve({ ok: false as const, error: fail });
      bound.add(address);
      return Promise.resolve({ ok: true as const });
    },
    get tlsPort() {
      return bound.size && tls ? tls.port : 0;
    },
    remoteGatewayAddress() {
      if (!tls || !bound.size) throw new Error('no TLS listener');
      return { host: 'agentdesk-gateway', port: tls.port, caPem: tls.identity.certPem };
    },
  };
  return { gw: gw as unknown as Gateway, calls };
}

const homes: string[] = [];
afterEach(() => {
  for (const h of homes.splice(0)) fs.rmSync(h, { recursive: true, force: true });
});
const home = () => {
  const h = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-test-rgw-'));
  homes.push(h);
  return h;
};

describe('ensureGatewayTls', () => {
  it('enables TLS once with the certificate of the data dir, binds each address, keeps the port', async () => {
    const h = home();
    const { gw, calls } = fakeGateway();
    const deps = { home: h, gateway: () => gw };
    const [a, b] = await Promise.all([
      ensureGatewayTls(deps, '10.1.2.1'),
      ensureGatewayTls(deps, '10.1.2.1'),
    ]);
    const c = await ensureGatewayTls(deps, '127.0.0.1');
    expect(calls.filter((x) => x.startsWith('enable'))).toEqual(['enable:0']);
    expect(calls.filter((x) => x.startsWith('bind'))).toEqual([
      'bind:10.1.2.1',
      'bind:10.1.2.1',
      'bind:127.0.0.1',
    ]);
    expect(a).toEqual(b);
    expect(c).toMatchObject({ host: 'agentdesk-gateway', port: 45_000 });
    expect(c.caPem).toBe(fs.readFileSync(path.join(gatewayTlsDir(h), 'cert.pem'), 'utf8'));
    expect(rememberedTlsPort(gatewayTlsDir(h))).toBe(45_000);
    expect(fs.statSync(path.join(gatewayTlsDir(h), 'key.pem')).mode & 0o077).toBe(0);

    // The next run asks for the same port, with the same certificate.
    const next = fakeGateway();
    const again = await ensureGatewayTls({ home: h, gateway: () => next.gw }, '10.1.2.1');
    expect(next.calls[0]).toBe('enable:45000');
    expect(again.caPem).toBe(c.caPem);
  });

  it('throws the bind error naming the address', async () => {
    const { gw } = fakeGateway('Could not listen with TLS on 10.9.9.9:0: EADDRNOTAVAIL');
    await expect(ensureGatewayTls({ home: home(), gateway: () => gw }, '10.9.9.9')).rejects.toThrow(
      /10\.9\.9\.9.*EADDRNOTAVAIL/,
    );
  });
});
