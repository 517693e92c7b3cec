// The gateway under bad input: malformed JSON, invalid UTF-8, huge headers and bodies, slow clients, unknown paths.
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../platform/logging';
import { openDatabase } from '../../storage/database';
import type { Db } from '../../storage/database';
import { Gateway } from './gateway';
import { MemoryLlmCallSink } from '../llm-calls';
import { VirtualKeys } from '../virtual-keys';

const MAX_BODY = 64 * 1024;
let dir: string;
let db: Db;
let gw: Gateway;
let key: string;
let base: string;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-test-gwbad-'));
  db = openDatabase(path.join(dir, 'agentdesk.db'));
  const keys = new VirtualKeys(db);
  key = keys.mint({ owner: 'agent-a', models: ['scripted/*'] }).key;
  gw = new Gateway({
    binds: ['127.0.0.1'],
    port: 0,
    keys,
    sink: new MemoryLlmCallSink(),
    // No LiteLLM: a well-formed request gets the gateway's own 503, which proves it still answers.
    target: () => null,
    unavailable: () => ({ message: 'LiteLLM is starting.', retryAfterS: 1 }),
    log: createLogger({ dir: null, level: 'silent' }),
    maxBodyBytes: MAX_BODY,
    headersTimeoutMs: 1000,
    requestTimeoutMs: 2000,
  });
  await gw.start();
  base = `http://127.0.0.1:${gw.port}`;
});
afterAll(async () => {
  await gw.stop(0);
  db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Raw HTTP/1.1 over a socket: writes `parts` (waiting `gapMs` between them) and reads until the server closes or answers. */
function raw(
  parts: (string | Buffer)[],
  gapMs = 0,
): Promise<{ status: number; json: unknown; closed: boolean }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(gw.port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let closed = false;
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', () => undefined); // the server may reset a socket it has answered
    socket.on('close', () => {
      closed = true;
      const text = Buffer.concat(chunks).toString('utf8');
      const m = /^HTTP\/1\.1 (\d{3})/.exec(text);
      if (!m) return reject(new Error(`no HTTP answer: ${JSON.stringify(text.slice(0, 200))}`));
      const body = text.slice(text.indexOf('\r\n\r\n') + 4);
      resolve({ status: Number(m[1]), json: JSON.parse(body) as unknown, closed });
    });
    void (async () => {
      for (const p of parts) {
        if (socket.destroyed) return;
        socket.write(p);
        if (gapMs) await new Promise((r) => setTimeout(r, gapMs));
      }
    })();
  });
}

/** A POST through node:http with a fresh connection. */
function post(
  pathname: string,
  body: string | Buffer,
  headers: Record<string, string> = {},
): Promise<{ status: number; json: unknown }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      `${base}${pathname}`,
      {
        method: 'POST',
        agent: false,
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            json: JSON.parse(Buffer.concat(chunks).toString()) as unknown,
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const errorOf = (json: unknown) => (json as { error: { code: string; message: string; type: string } }).error;

/** The gateway still answers a well-formed request (503: no LiteLLM here, by design of this test). */
async function stillAnswers(): Promise<void> {
  const r = await post('/v1/chat/completions', JSON.stringify({ model: 'scripted/m', messages: [] }));
  expect(r.status).toBe(503);
  expect(errorOf(r.json).code).toBe('litellm_not_ready');
}

describe('gateway bad input', () => {
  it('malformed JSON, non-objects and a missing model are 400s that say what is wrong', async () => {
    for (const body of ['{"model":', 'not json', '[]', 'null', '"x"', '{"model":5}', '{}', '']) {
      const r = await post('/v1/chat/completions', body);
      expect(r.status, body).toBe(400);
      expect(errorOf(r.json).code, body).toBe('invalid_body');
      expect(errorOf(r.json).message, body).toMatch(/JSON object|needs a "model"/);
    }
    await stillAnswers();
  });

  it('invalid UTF-8 is refused as such, not decoded to U+FFFD and forwarded', async () => {
    const bad = Buffer.concat([
      Buffer.from('{"model":"scripted/'),
      Buffer.from([0xff, 0xfe, 0xc3]),
      Buffer.from('"}'),
    ]);
    const r = await post('/v1/chat/completions', bad);
    expect(r.status).toBe(400);
    expect(errorOf(r.json).message).toContain('not valid UTF-8');
    await stillAnswers();
  });

  it('a body over the limit is 413, declared or streamed in chunks', async () => {
    const declared = await post('/v1/chat/completions', Buffer.alloc(MAX_BODY + 1, 0x20));
    expect(declared.status).toBe(413);
    expect(errorOf(declared.json).code).toBe('request_too_large');
    const chunk = Buffer.alloc(16 * 1024, 0x20).toString();
    const head = `POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:${gw.port}\r\nAuthorization: Bearer ${key}\r\nTransfer-Encoding: chunked\r\n\r\n`;
    const chunked = await raw([
      head,
      ...Array.from({ length: 6 }, () => `4000\r\n${chunk}\r\n`),
      '0\r\n\r\n',
    ]);
    expect(chunked.status).toBe(413);
    expect(errorOf(chunked.json).code).toBe('request_too_large');
    await stillAnswers();
  });

  it('headers over 16 KiB get a JSON 431; garbage that is not HTTP gets a JSON 400', async () => {
    const big = await raw([
      `GET /v1/models HTTP/1.1\r\nHost: 127.0.0.1:${gw.port}\r\nX-Big: ${'a'.repeat(20 * 1024)}\r\n\r\n`,
    ]);
    expect(big.status).toBe(431);
    expect(errorOf(big.json).code).toBe('headers_too_large');
    const garbage = await raw(['\x00\x01\x02 not http at all\r\n\r\n']);
    expect(garbage.status).toBe(400);
    expect(errorOf(garbage.json).message).toContain('not valid HTTP');
    const badChunks = await raw([
      `POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:${gw.port}\r\nAuthorization: Bearer ${key}\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n`,
    ]);
    expect(badChunks.status).toBe(400);
    await stillAnswers();
  });

  it('a client sending its headers or its body too slowly is answered 408 and disconnected', async () => {
    // Headers trickled byte by byte, never finished: cut by headersTimeout (1 s here).
    const slowHeaders = await raw(
      [`POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:${gw.port}\r\n`, ...'X-Slow: 1'.split('')],
      300,
    );
    expect(slowHeaders.status).toBe(408);
    expect(slowHeaders.closed).toBe(true);
    expect(errorOf(slowHeaders.json).code).toBe('request_timeout');
    // Complete headers, then a body that never finishes: cut by requestTimeout (2 s here).
    const slowBody = await raw(
      [
        `POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:${gw.port}\r\nAuthorization: Bearer ${key}\r\nContent-Length: 100\r\n\r\n`,
        ...'{"model":"scripted/m"'.split(''),
      ],
      300,
    );
    expect(slowBody.status).toBe(408);
    expect(slowBody.closed).toBe(true);
    await stillAnswers();
  });

  it('unknown paths and methods are JSON 404s listing the served paths, whatever the key', async () => {
    const paths = [
      '/',
      '/v1',
      '/v1/chat',
      '/v1/../etc/passwd',
      '/v1/chat/completions/x',
      '/%00',
      '/v1/models?x=1#y',
    ];
    for (const p of paths) {
      const r = await post(p, '{}');
      expect(r.status, p).toBe(404);
      expect(errorOf(r.json).message, p).toContain('The gateway serves POST /v1/chat/completions');
    }
    for (const method of ['DELETE', 'PUT', 'OPTIONS', 'PATCH']) {
      const r = await raw([
        `${method} /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:${gw.port}\r\nConnection: close\r\n\r\n`,
      ]);
      expect(r.status, method).toBe(404);
      expect(errorOf(r.json).code, method).toBe('unknown_url');
    }
    await stillAnswers();
  });

  it('random bytes as a body, and random keys, always get a 4xx JSON error', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 512 }), fc.string({ maxLength: 80 }), async (body, k) => {
        const withKey = await post('/v1/chat/completions', Buffer.from(body));
        expect(withKey.status).toBeGreaterThanOrEqual(400);
        expect(withKey.status).toBeLessThan(500);
        expect(typeof errorOf(withKey.json).message).toBe('string');
        const safeKey = k.replace(/[^\x21-\x7e]/g, '');
        const anyKey = await post('/v1/embeddings', Buffer.from(body), {
          authorization: `Bearer ${safeKey}`,
        });
        expect(anyKey.status).toBe(401);
      }),
      { numRuns: 60 },
    );
    await stillAnswers();
  });
});
