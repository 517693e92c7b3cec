// Trust by token against a fake Incus HTTPS server: the token's fingerprint is checked before anything is sent; a pinned client refuses another certificate.
import fs from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RuntimeUnavailableError } from '../container-runtime';
import { IncusClient, certFingerprint } from './incus-client';
import {
  IncusTrustError,
  addIncusRemote,
  ensureIncusClientCertificate,
  parseTrustToken,
  selfSignedCertificate,
} from './incus-remote';
import type { IncusClientCertificate } from './incus-remote';

function token(over: Record<string, unknown> = {}): string {
  const body = {
    client_name: 'agentdesk',
    fingerprint: 'a'.repeat(64),
    addresses: ['127.0.0.1:8443'],
    secret: 'b'.repeat(64),
    expires_at: '0001-01-01T00:00:00Z',
    ...over,
  };
  return Buffer.from(JSON.stringify(body)).toString('base64');
}

interface Seen {
  method: string;
  url: string;
  body: string;
  clientFingerprint: string;
}

describe('parseTrustToken', () => {
  it('reads the token incus config trust add prints', () => {
    const t = parseTrustToken(token());
    expect(t.fingerprint).toBe('a'.repeat(64));
    expect(t.addresses).toEqual(['127.0.0.1:8443']);
  });
  it('refuses a garbled token with a clear error', () => {
    expect(() => parseTrustToken('not a token!')).toThrow(/not readable/);
    expect(() => parseTrustToken(Buffer.from('{"x":').toString('base64'))).toThrow(IncusTrustError);
    expect(() => parseTrustToken(token({ fingerprint: 'xyz' }))).toThrow(/fingerprint/);
    expect(() => parseTrustToken(token({ secret: '' }))).toThrow(/secret/);
  });
  it('refuses an expired token, naming when it expired', () => {
    const t = token({ expires_at: '2020-01-01T00:00:00Z' });
    expect(() => parseTrustToken(t)).toThrow(/expired at 2020-01-01T00:00:00Z/);
    expect(parseTrustToken(token({ expires_at: '2999-01-01T00:00:00Z' })).secret).toHaveLength(64);
  });
});

describe('addIncusRemote against a fake Incus server', () => {
  let dir = '';
  let serverCert: IncusClientCertificate;
  let otherCert: IncusClientCertificate;
  let server: https.Server;
  let url = '';
  const seen: Seen[] = [];
  let trusted = new Set<string>();

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-incus-remote-'));
    serverCert = await selfSignedCertificate('root@fake-incus', 'server', ['127.0.0.1']);
    otherCert = await selfSignedCertificate('root@mitm', 'server', ['127.0.0.1']);
    server = https.createServer(
      { cert: serverCert.certPem, key: serverCert.keyPem, requestCert: true, rejectUnauthorized: false },
      (req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          const peer = (req.socket as tls.TLSSocket).getPeerCertificate();
          const fp = peer.raw ? fingerprint(peer.raw) : '';
          const body = Buffer.concat(chunks).toString();
          seen.push({ method: req.method ?? '', url: req.url ?? '', body, clientFingerprint: fp });
          res.setHeader('Content-Type', 'application/json');
          if (req.method === 'POST' && req.url === '/1.0/certificates') {
            const sent = JSON.parse(body) as { trust_token?: string };
            if (sent.trust_token === current) {
              trusted.add(fp);
              return res.end(JSON.stringify({ type: 'sync', status_code: 200, metadata: {} }));
            }
            res.statusCode = 403;
            return res.end(JSON.stringify({ type: 'error', error: 'Forbidden', error_code: 403 }));
          }
          const auth = trusted.has(fp) ? 'trusted' : 'untrusted';
          res.end(JSON.stringify({ type: 'sync', status_code: 200, metadata: { auth, api_version: '1.0' } }));
        });
      },
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `https://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  });

  afterAll(() => {
    server?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  let current = '';

  it('refuses a token whose fingerprint is not the server certificate, sending nothing (MITM)', async () => {
    seen.length = 0;
    current = token({ fingerprint: otherCert.fingerprint });
    const err = await addIncusRemote({ url, token: current, certFolder: path.join(dir, 'c') }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(IncusTrustError);
    expect((err as Error).message).toContain(serverCert.fingerprint);
    expect((err as Error).message).toContain(otherCert.fingerprint);
    expect(seen).toEqual([]);
  });

  it('refuses an expired or garbled token before connecting', async () => {
    seen.length = 0;
    const expired = token({ fingerprint: serverCert.fingerprint, expires_at: '2001-01-01T00:00:00Z' });
    await expect(addIncusRemote({ url, token: expired, certFolder: path.join(dir, 'c') })).rejects.toThrow(
      /expired/,
    );
    await expect(addIncusRemote({ url, token: '%%%', certFolder: path.join(dir, 'c') })).rejects.toThrow(
      /not readable/,
    );
    expect(seen).toEqual([]);
  });

  it('trusts by token over the pinned connection; the key is 0600 in a 0700 folder', async () => {
    seen.length = 0;
    trusted = new Set();
    current = token({ fingerprint: serverCert.fingerprint });
    const folder = path.join(dir, 'c');
    const target = await addIncusRemote({ url, token: current, certFolder: folder });
    const mine = await ensureIncusClientCertificate(folder);
    expect(target.clientCertPem).toBe(mine.certPem);
    expect(fingerprint(pemDer(target.serverCertPem))).toBe(serverCert.fingerprint);
    expect(fs.statSync(folder).mode & 0o777).toBe(0o700);
    expect(fs.statSync(path.join(folder, 'client.key')).mode & 0o777).toBe(0o600);
    const post = seen.find((s) => s.method === 'POST');
    expect(post?.url).toBe('/1.0/certificates');
    expect(JSON.parse(post!.body)).toMatchObject({ type: 'client', trust_token: current });
    expect(post?.clientFingerprint).toBe(mine.fingerprint);
    expect(trusted.has(mine.fingerprint)).toBe(true);
    // Adding again with the certificate already trusted sends no token.
    seen.length = 0;
    await addIncusRemote({ url, token: current, certFolder: folder });
    expect(seen.some((s) => s.method === 'POST')).toBe(false);
  });

  it('a token the server refuses is reported as such', async () => {
    trusted = new Set();
    current = token({ fingerprint: serverCert.fingerprint });
    const wrong = token({ fingerprint: serverCert.fingerprint, secret: 'c'.repeat(64) });
    await expect(addIncusRemote({ url, token: wrong, certFolder: path.join(dir, 'other') })).rejects.toThrow(
      /refused the trust token/,
    );
  });

  it('a client pinned to another certificate refuses the server before any request', async () => {
    const mine = await ensureIncusClientCertificate(path.join(dir, 'c'));
    seen.length = 0;
    const client = new IncusClient(
      { url, serverCertPem: otherCert.certPem, clientCertPem: mine.certPem, clientKeyPem: mine.keyPem },
      'default',
    );
    const err = await client.get('/1.0', 'ping').catch((e: unknown) => e);
    client.close();
    expect(err).toBeInstanceOf(RuntimeUnavailableError);
    expect(String((err as Error).message)).toMatch(/pinned/);
    expect(seen).toEqual([]);
    const good = new IncusClient(
      { url, serverCertPem: serverCert.certPem, clientCertPem: mine.certPem, clientKeyPem: mine.keyPem },
      'default',
    );
    await expect(good.get('/1.0', 'ping')).resolves.toMatchObject({ api_version: '1.0' });
    good.close();
  });
});

describe('IncusClient over HTTPS, server unreachable', () => {
  it('a server that never completes the handshake is unavailable (not a failed operation)', async () => {
    const mute = net.createServer(() => undefined);
    await new Promise<void>((r) => mute.listen(0, '127.0.0.1', r));
    const cert = await selfSignedCertificate('x', 'client');
    const client = new IncusClient(
      {
        url: `https://127.0.0.1:${(mute.address() as net.AddressInfo).port}`,
        serverCertPem: cert.certPem,
        clientCertPem: cert.certPem,
        clientKeyPem: cert.keyPem,
      },
      'default',
    );
    const err = await client.get('/1.0', 'ping', 500).catch((e: unknown) => e);
    client.close();
    mute.close();
    expect(err).toBeInstanceOf(RuntimeUnavailableError);
    expect((err as Error).message).toMatch(/not reachable at https:\/\/127\.0\.0\.1:\d+ \(ETIMEDOUT\)/);
  });
});

function pemDer(pem: string): Buffer {
  return Buffer.from(pem.replace(/-----(BEGIN|END) CERTIFICATE-----|\s+/g, ''), 'base64');
}

function fingerprint(der: Buffer): string {
  return certFingerprint(der);
}
