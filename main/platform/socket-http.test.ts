// getJson over a unix socket and TCP: the answer, the error codes the probes branch on, the deadline.
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getJson, ProbeError } from './socket-http';

let dir: string;
let sock: string;
let server: http.Server;
let port: number;
const hosts: string[] = [];

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-test-socket-http-'));
  sock = path.join(dir, 'api.sock');
  const handler: http.RequestListener = (req, res) => {
    hosts.push(req.headers.host ?? '');
    if (req.url === '/ok') return void res.end('{"Version":"1"}');
    if (req.url === '/bad') return void res.end('not json');
    if (req.url === '/hang') return;
    if (req.url === '/endless') {
      // A daemon (or whatever holds its socket) that never stops answering: the probe must not buffer it all.
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      const pump = (): void => {
        while (!res.destroyed && res.write(chunk));
        if (!res.destroyed) res.once('drain', pump);
      };
      res.writeHead(200, { 'content-type': 'application/json' });
      return pump();
    }
    if (req.url === '/cut') {
      res.writeHead(200, { 'content-length': '100' });
      res.write('{"Version":');
      return void setImmediate(() => res.destroy());
    }
    res.statusCode = 404;
    res.end('{"message":"page not found"}');
  };
  server = http.createServer(handler);
  await new Promise<void>((r) => server.listen(sock, r));
  const tcp = http.createServer(handler);
  await new Promise<void>((r) => tcp.listen(0, '127.0.0.1', r));
  port = (tcp.address() as AddressInfo).port;
  server.on('close', () => tcp.close());
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  fs.rmSync(dir, { recursive: true, force: true });
});

async function codeOf(p: Promise<unknown>): Promise<string> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ProbeError);
  return (err as ProbeError).code;
}

describe('getJson', () => {
  it('parses the JSON answer over a unix socket and over TCP, sending Host: localhost', async () => {
    expect(await getJson({ socketPath: sock }, '/ok', 2000)).toEqual({ Version: '1' });
    expect(await getJson({ host: '127.0.0.1', port }, '/ok', 2000)).toEqual({ Version: '1' });
    expect(hosts.slice(-2)).toEqual(['localhost', 'localhost']);
  });

  it('names the failure: HTTP_<status>, BAD_JSON, ENOENT, TIMEOUT', async () => {
    expect(await codeOf(getJson({ socketPath: sock }, '/missing', 2000))).toBe('HTTP_404');
    expect(await codeOf(getJson({ socketPath: sock }, '/bad', 2000))).toBe('BAD_JSON');
    expect(await codeOf(getJson({ socketPath: path.join(dir, 'none.sock') }, '/ok', 2000))).toBe('ENOENT');
    expect(await codeOf(getJson({ socketPath: sock }, '/hang', 200))).toBe('TIMEOUT');
  });

  it('stops reading an answer past 1 MiB, and says when one broke off', async () => {
    const rssBefore = process.memoryUsage().rss;
    expect(await codeOf(getJson({ socketPath: sock }, '/endless', 10_000))).toBe('RESPONSE');
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(64 * 1024 * 1024);
    expect(await codeOf(getJson({ host: '127.0.0.1', port }, '/cut', 2000))).toBe('RESPONSE');
  });
});
