// `agentdesk serve --tls --listen ADDR`: the control API on a network address, attacked over plain HTTP, without the token, cross-origin.
import fs from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listChannels } from '../../../contract/api';
import { createClient } from '../../../contract/client';
import { connectionInfo, serve } from '../../cli/serve';
import type { Served } from '../../cli/serve';
import { connect, httpTransport } from '../../cli/http-client';
import { FingerprintMismatchError } from '../../cli/core-endpoint';
import { testOptions } from '../../../test/app-options';
import { readControlFile } from './control-file';
import { PlainHttpOnNetworkError } from './server';
import { ensureTlsIdentity, tlsDir } from './tls-identity';

/** An IPv4 address of this machine that is not loopback (the address other machines reach). */
function networkAddress(): string {
  for (const list of Object.values(os.networkInterfaces()))
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  throw new Error('this machine has no non-loopback IPv4 address');
}

const addr = networkAddress();
let served: Served;
let home: string;

beforeAll(async () => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-tls-'));
  served = await serve({ home, app: testOptions(), port: 0, host: addr, tls: true, healthIntervalMs: 0 });
});
afterAll(async () => {
  await served?.stop();
  fs.rmSync(home, { recursive: true, force: true });
});

/** A raw HTTPS request that accepts any certificate (the attacker's client), Host/Origin as given. */
function attack(opts: {
  method?: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: addr,
        port: served.http.port,
        method: opts.method ?? 'POST',
        path: opts.path,
        headers: { Host: `${addr}:${served.http.port}`, ...opts.headers },
        rejectUnauthorized: false,
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        // An SSE stream never ends: its status says enough.
        if (res.headers['content-type']?.startsWith('text/event-stream')) {
          res.destroy();
          resolve({ status: res.statusCode ?? 0, body: '' });
          return;
        }
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

describe('agentdesk serve --tls on a network address', () => {
  it('refuses plain HTTP on a non-loopback address before starting anything, naming --tls and SSH', async () => {
    const other = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-plain-'));
    try {
      const err = await serve({ home: other, app: testOptions(), port: 0, host: addr }).catch(
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(PlainHttpOnNetworkError);
      expect((err as Error).message).toMatch(/--tls/);
      expect((err as Error).message).toMatch(/--remote ssh:\/\//);
      expect(fs.existsSync(path.join(other, 'control.json'))).toBe(false);
      expect(fs.existsSync(path.join(other, 'agentdesk.db'))).toBe(false);
    } finally {
      fs.rmSync(other, { recursive: true, force: true });
    }
  });

  it('keeps its key 0600 in a 0700 folder, and the same certificate across runs', async () => {
    const dir = tlsDir(home);
    expect(fs.statSync(dir).mode & 0o777).toBe(0o700);
    expect(fs.statSync(path.join(dir, 'key.pem')).mode & 0o777).toBe(0o600);
    const again = await ensureTlsIdentity(home);
    expect(again.fingerprint).toBe(served.tls!.fingerprint);
    expect(readControlFile(home)!.fingerprint).toBe(served.tls!.fingerprint);
    const info = JSON.parse(connectionInfo(home)) as Record<string, unknown>;
    expect(info).toMatchObject({
      port: served.http.port,
      token: served.token,
      fingerprint: served.tls!.fingerprint,
    });
  });

  it('answers a client that pins its fingerprint and has the token (positive control)', async () => {
    const client = createClient(
      httpTransport({
        url: `https://${addr}:${served.http.port}`,
        token: served.token,
        fingerprint: served.tls!.fingerprint,
      }),
    );
    const info = await client.system.info({});
    expect(info.mode).toBe('headless');
    // The colon-hex form browsers show works as well.
    const hex = createClient(
      httpTransport({
        url: `https://${addr}:${served.http.port}`,
        token: served.token,
        fingerprint: served.tls!.fingerprintHex,
      }),
    );
    expect((await hex.system.info({})).pid).toBe(process.pid);
  });

  it('the local CLI reaches it through control.json, pinning the fingerprint recorded there', async () => {
    const { client, control } = await connect(home);
    expect(control.url).toBe(`https://${addr}:${served.http.port}`);
    expect((await client.system.info({})).data_dir).toBe(home);
  });

  it('a client pinning another fingerprint refuses the server before sending anything', async () => {
    const wrong = 'SHA256:' + Buffer.alloc(32, 7).toString('base64').replace(/=+$/, '');
    const client = createClient(
      httpTransport({ url: `https://${addr}:${served.http.port}`, token: served.token, fingerprint: wrong }),
    );
    const err = await client.system.info({}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FingerprintMismatchError);
    expect((err as Error).message).toContain(served.tls!.fingerprint);
    // Without any fingerprint an https URL is refused too (no CA would vouch for the certificate).
    const none = createClient(
      httpTransport({ url: `https://${addr}:${served.http.port}`, token: served.token }),
    );
    await expect(none.system.info({})).rejects.toThrow(/fingerprint/);
  });

  it('plain HTTP on the TLS port gets no answer from the API and no data', async () => {
    const reply = await new Promise<string>((resolve) => {
      const s = net.connect({ host: addr, port: served.http.port });
      const chunks: Buffer[] = [];
      s.on('connect', () =>
        s.write(
          `POST /api/settings/get HTTP/1.1\r\nHost: ${addr}:${served.http.port}\r\nAuthorization: Bearer ${served.token}\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}`,
        ),
      );
      s.on('data', (c: Buffer) => chunks.push(c));
      s.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
      s.on('error', () => resolve(Buffer.concat(chunks).toString('latin1')));
      setTimeout(() => s.destroy(), 5000).unref();
    });
    expect(reply).not.toMatch(/^HTTP\/1\.[01] 2/);
    expect(reply).not.toContain('litellm');
    expect(reply).not.toContain('"ok"');
  });

  it('every /api route and the event stream answer 401 without the token or with a wrong one', async () => {
    const routes = [...listChannels().map((c) => `/api/${c.replace('.', '/')}`), '/api/nope/nothing'];
    const noToken: Record<string, string> = {};
    for (const headers of [noToken, { Authorization: `Bearer ${'x'.repeat(served.token.length)}` }]) {
      for (const route of routes) {
        const res = await attack({
          path: route,
          headers: { ...headers, 'Content-Type': 'application/json' },
          body: '{}',
        });
        expect(res.status, route).toBe(401);
      }
      expect((await attack({ method: 'GET', path: '/api/events', headers })).status).toBe(401);
    }
  }, 60_000);

  it('a browser page of another origin is refused even with the token; a rebound Host too', async () => {
    const auth = { Authorization: `Bearer ${served.token}`, 'Content-Type': 'application/json' };
    for (const origin of [
      'https://evil.example',
      `http://${addr}:${served.http.port}`, // our address, but not our scheme
      'null',
    ]) {
      const res = await attack({
        path: '/api/settings/get',
        headers: { ...auth, Origin: origin },
        body: '{}',
      });
      expect(res.status, origin).toBe(403);
      expect(res.body).not.toContain('litellm_command');
    }
    const rebound = await attack({
      path: '/api/settings/get',
      headers: { ...auth, Host: `evil.example:${served.http.port}` },
      body: '{}',
    });
    expect(rebound.status).toBe(403);
    // Our own page's origin is served (positive control).
    const own = await attack({
      path: '/api/settings/get',
      headers: { ...auth, Origin: `https://${addr}:${served.http.port}` },
      body: '{}',
    });
    expect(own.status).toBe(200);
  });
});
