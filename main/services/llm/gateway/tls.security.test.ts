// Attacker tests of the gateway's TLS listener for remote agents: its identity stays private, only a client pinning its certificate talks to it, and it serves the gateway's routes and nothing else.
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../platform/logging';
import { openDatabase } from '../../storage/database';
import type { Db } from '../../storage/database';
import { MemoryLlmCallSink } from '../llm-calls';
import { VirtualKeys } from '../virtual-keys';
import { Gateway } from './gateway';
import {
  GATEWAY_TLS_NAME,
  GatewayTlsNotPrivateError,
  loadGatewayTlsIdentity,
  makeGatewayTlsIdentity,
  rememberedTlsPort,
  rememberTlsPort,
} from './tls-identity';
import type { GatewayTlsIdentity } from './tls-identity';

let dir: string;
let db: Db;
let gw: Gateway;
let key: string;
let identity: GatewayTlsIdentity;
let sink: MemoryLlmCallSink;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-test-gwtls-'));
  db = openDatabase(path.join(dir, 'agentdesk.db'));
  const keys = new VirtualKeys(db);
  key = keys.mint({ owner: 'agent-a', models: ['scripted/*'] }).key;
  sink = new MemoryLlmCallSink();
  gw = new Gateway({
    binds: ['127.0.0.1'],
    port: 0,
    keys,
    sink,
    // No LiteLLM: an admitted request gets the gateway's own 503.
    target: () => null,
    unavailable: () => ({ message: 'LiteLLM is starting.', retryAfterS: 1 }),
    log: createLogger({ dir: null, level: 'silent' }),
  });
  await gw.start();
  identity = await loadGatewayTlsIdentity(path.join(dir, 'gateway-tls'));
  gw.enableTls(identity);
  expect(await gw.addTlsBind('127.0.0.1')).toEqual({ ok: true });
});
afterAll(async () => {
  await gw.stop(0);
  db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

interface Answer {
  status: number;
  body: string;
}

/** One HTTPS request to the TLS listener at 127.0.0.1, trusting `ca` only, with `Host` as given. */
function get(
  p: string,
  opts: {
    ca?: string | null;
    host?: string;
    auth?: string;
    port?: number;
    maxVersion?: tls.SecureVersion;
  } = {},
): Promise<Answer> {
  const port = opts.port ?? gw.tlsPort;
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: '127.0.0.1',
        port,
        path: p,
        servername: GATEWAY_TLS_NAME,
        ...(opts.ca === null ? {} : { ca: opts.ca ?? identity.certPem }),
        ...(opts.maxVersion ? { maxVersion: opts.maxVersion } : {}),
        headers: {
          Host: opts.host ?? `${GATEWAY_TLS_NAME}:${port}`,
          ...(opts.auth ? { Authorization: `Bearer ${opts.auth}` } : {}),
        },
        agent: false,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('the TLS identity', () => {
  it('is one ECDSA P-256 certificate naming only agentdesk-gateway, key 0600 in a 0700 folder, made once', async () => {
    const folder = path.join(dir, 'gateway-tls');
    expect(fs.statSync(folder).mode & 0o777).toBe(0o700);
    expect(fs.statSync(path.join(folder, 'key.pem')).mode & 0o777).toBe(0o600);
    const x = new crypto.X509Certificate(identity.certPem);
    expect(x.subjectAltName).toBe('DNS:agentdesk-gateway');
    expect(x.subject).toBe('CN=agentdesk-gateway');
    expect(x.ca).toBe(false);
    expect(x.publicKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    expect(x.checkIP('127.0.0.1')).toBeUndefined();
    const again = await loadGatewayTlsIdentity(folder);
    expect(again.certPem).toBe(identity.certPem);
    expect(again.fingerprint256).toBe(x.fingerprint256);
  });

  it('refuses a key readable by others, a folder open to others, a key that is a link, or files of another user', async () => {
    const folder = path.join(dir, 'tls-refusals');
    await loadGatewayTlsIdentity(folder);
    const keyFile = path.join(folder, 'key.pem');
    fs.chmodSync(keyFile, 0o640);
    await expect(loadGatewayTlsIdentity(folder)).rejects.toThrow(GatewayTlsNotPrivateError);
    await expect(loadGatewayTlsIdentity(folder)).rejects.toThrow(/mode 0640.*chmod 600/);
    fs.chmodSync(keyFile, 0o600);
    fs.chmodSync(folder, 0o750);
    await expect(loadGatewayTlsIdentity(folder)).rejects.toThrow(/mode 0750.*chmod 700/);
    fs.chmodSync(folder, 0o700);
    // Another user's key: the uid the check compares with is not the file's.
    const me = fs.statSync(keyFile).uid;
    await expect(loadGatewayTlsIdentity(folder, me + 1)).rejects.toThrow(/belongs to another user/);
    fs.renameSync(keyFile, `${keyFile}.real`);
    fs.symlinkSync(`${keyFile}.real`, keyFile);
    await expect(loadGatewayTlsIdentity(folder)).rejects.toThrow(/not a regular file/);
  });

  it('remembers the TLS port agents were given', () => {
    const folder = path.join(dir, 'gateway-tls');
    expect(rememberedTlsPort(folder)).toBe(0);
    rememberTlsPort(folder, 45123);
    expect(rememberedTlsPort(folder)).toBe(45123);
    expect(fs.statSync(path.join(folder, 'port.json')).mode & 0o777).toBe(0o600);
    fs.writeFileSync(path.join(folder, 'port.json'), '{"port": 70000}');
    expect(rememberedTlsPort(folder)).toBe(0);
  });

  it('refuses a key that does not belong to the certificate', async () => {
    const folder = path.join(dir, 'tls-mismatch');
    await loadGatewayTlsIdentity(folder);
    const other = await makeGatewayTlsIdentity();
    fs.writeFileSync(path.join(folder, 'cert.pem'), other.certPem);
    await expect(loadGatewayTlsIdentity(folder)).rejects.toThrow(/does not match.*Remove the folder/);
  });
});

describe('the TLS listener', () => {
  it('admits a pinned client naming agentdesk-gateway, with the same key checks as the plain gateway', async () => {
    expect(gw.tlsAddresses).toEqual(['127.0.0.1']);
    expect(gw.tlsPort).not.toBe(gw.port);
    const remote = gw.remoteGatewayAddress();
    expect(remote).toEqual({ host: 'agentdesk-gateway', port: gw.tlsPort, caPem: identity.certPem });
    expect(JSON.stringify(remote)).not.toContain('PRIVATE KEY');
    expect((await get('/v1/models')).status).toBe(401);
    expect((await get('/v1/models', { auth: 'sk-ad-not-a-key' })).status).toBe(401);
    const admitted = await get('/v1/models', { auth: key });
    expect(admitted.status).toBe(503); // past the key checks, no LiteLLM behind this test gateway
    expect(sink.calls.at(-1)).toMatchObject({ owner: 'agent-a', path: '/v1/models', status: 503 });
  });

  it('never answers plain HTTP on its port', async () => {
    const text = await new Promise<string>((resolve) => {
      const s = net.connect(gw.tlsPort, '127.0.0.1', () =>
        s.write(
          `GET /v1/models HTTP/1.1\r\nHost: agentdesk-gateway:${gw.tlsPort}\r\nAuthorization: Bearer ${key}\r\n\r\n`,
        ),
      );
      let got = '';
      s.on('data', (c: Buffer) => (got += c.toString('latin1')));
      s.on('error', () => undefined);
      s.on('close', () => resolve(got));
    });
    expect(text).not.toMatch(/^HTTP\//);
  });

  it('is refused by a client pinning another certificate, and by one trusting only the public CAs', async () => {
    const other = await makeGatewayTlsIdentity();
    await expect(get('/v1/models', { ca: other.certPem, auth: key })).rejects.toThrow(
      /self[- ]signed|unable to verify|certificate/i,
    );
    await expect(get('/v1/models', { ca: null, auth: key })).rejects.toThrow(
      /self[- ]signed|unable to verify|certificate/i,
    );
  });

  it('speaks TLS 1.3 only', async () => {
    await expect(get('/v1/models', { auth: key, maxVersion: 'TLSv1.2' })).rejects.toThrow(
      /version|alert|handshake/i,
    );
  });

  it('serves no control API path (and nothing but the gateway routes)', async () => {
    for (const p of [
      '/',
      '/api/agents/list',
      '/api/events',
      '/api/health/status',
      '/health',
      '/index.html',
    ]) {
      const a = await get(p, { auth: key });
      expect(a.status, p).toBe(404);
      expect(a.body, p).toContain('unknown_url');
    }
  });

  it('refuses a Host other than agentdesk-gateway:<its port> (DNS rebinding), and the plain gateway refuses that name', async () => {
    const port = gw.tlsPort;
    for (const host of [
      `evil.example:${port}`,
      `127.0.0.1:${port}`,
      `localhost:${port}`,
      'agentdesk-gateway',
      `agentdesk-gateway:${gw.port}`,
    ]) {
      const a = await get('/v1/models', { auth: key, host });
      expect(a.status, host).toBe(403);
      expect(a.body).toContain('host_not_allowed');
    }
    const plain = await new Promise<number>((resolve, reject) =>
      http
        .get(
          {
            host: '127.0.0.1',
            port: gw.port,
            path: '/v1/models',
            headers: { Host: `agentdesk-gateway:${gw.port}`, Authorization: `Bearer ${key}` },
            agent: false,
          },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        )
        .on('error', reject),
    );
    expect(plain).toBe(403);
  });

  it('refuses wildcard and non-IP TLS addresses; a removed address stops listening', async () => {
    expect(JSON.stringify(await gw.addTlsBind('0.0.0.0'))).toContain('every interface');
    expect(await gw.addTlsBind('::')).toMatchObject({ ok: false });
    expect(JSON.stringify(await gw.addTlsBind('agentdesk-gateway'))).toContain('not an IP');
    expect(await gw.addTlsBind('127.0.0.1')).toEqual({ ok: true }); // idempotent
    const port = gw.tlsPort;
    await gw.removeTlsBind('127.0.0.1');
    expect(gw.tlsAddresses).toEqual([]);
    await expect(get('/v1/models', { auth: key, port })).rejects.toThrow(/ECONNREFUSED/);
    expect(() => gw.remoteGatewayAddress()).toThrow(/no TLS listener/);
    expect(await gw.addTlsBind('127.0.0.1')).toEqual({ ok: true });
    expect(gw.tlsPort).toBe(port); // the port agents were given does not move
  });

  it('comes back on the same TLS port when the gateway starts again after a stop', async () => {
    const port = gw.tlsPort;
    await gw.stop(0);
    expect(gw.tlsAddresses).toEqual([]);
    await gw.start();
    expect(gw.tlsAddresses).toEqual(['127.0.0.1']);
    expect(gw.tlsPort).toBe(port);
    expect((await get('/v1/models', { auth: key })).status).toBe(503);
  });
});
