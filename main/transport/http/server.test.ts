// The HTTP transport over a real core and a real socket: auth, Host/Origin, errors as envelopes, SSE.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serve } from '../../cli/serve';
import type { Served } from '../../cli/serve';
import { readControlFile } from './control-file';
import { testOptions } from '../../../test/app-options';

let served: Served;
let home: string;

beforeAll(async () => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-http-'));
  served = await serve({ home, app: testOptions(), port: 0, healthIntervalMs: 0 });
});
afterAll(async () => {
  await served.stop();
  fs.rmSync(home, { recursive: true, force: true });
});

/** Raw request so Host/Origin can be set freely (fetch forbids changing Host). */
function request(opts: {
  method?: string;
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
}): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port: served.http.port,
        method: opts.method ?? 'POST',
        path: opts.path,
        headers: opts.headers,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks).toString(),
            headers: res.headers,
          }),
        );
      },
    );
    req.on('error', reject);
    if (opts.body !== undefined) req.write(opts.body);
    req.end();
  });
}

type Envelope = { ok: boolean; value?: unknown; error?: { code: string; message: string } };
const parse = (body: string): Envelope => JSON.parse(body) as Envelope;
const auth = () => ({ Authorization: `Bearer ${served.token}`, 'Content-Type': 'application/json' });

describe('HTTP transport', () => {
  it('writes control.json with mode 0600 holding the port and token', () => {
    const file = path.join(home, 'control.json');
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    const control = readControlFile(home);
    expect(control?.port).toBe(served.http.port);
    expect(control?.token).toBe(served.token);
    expect(served.http.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('refuses a missing or wrong token with 401', async () => {
    const none = await request({
      path: '/api/system/info',
      headers: { 'Content-Type': 'application/json' },
      body: '{}',
    });
    expect(none.status).toBe(401);
    expect(parse(none.body).error?.code).toBe('UNAUTHORIZED');
    const wrong = await request({
      path: '/api/system/info',
      headers: { ...auth(), Authorization: 'Bearer nope' },
      body: '{}',
    });
    expect(wrong.status).toBe(401);
  });

  it('refuses foreign Origins and Hosts with 403', async () => {
    const origin = await request({
      path: '/api/system/info',
      headers: { ...auth(), Origin: 'https://evil.example' },
      body: '{}',
    });
    expect(origin.status).toBe(403);
    expect(parse(origin.body).error?.code).toBe('FORBIDDEN');
    const host = await request({
      path: '/api/system/info',
      headers: { ...auth(), Host: 'evil.example' },
      body: '{}',
    });
    expect(host.status).toBe(403);
    const page = await request({
      method: 'GET',
      path: '/',
      headers: { Host: `rebind.example:${served.http.port}` },
    });
    expect(page.status).toBe(403);
    const own = await request({
      path: '/api/system/info',
      headers: { ...auth(), Origin: served.http.url },
      body: '{}',
    });
    expect(own.status).toBe(200);
  });

  it('answers bad input with 4xx envelopes, never 500', async () => {
    const cases: [string, Parameters<typeof request>[0], number, string][] = [
      [
        'malformed JSON',
        { path: '/api/settings/update', headers: auth(), body: '{"theme":' },
        400,
        'INVALID_INPUT',
      ],
      [
        'wrong type names the field',
        { path: '/api/settings/update', headers: auth(), body: '{"trace_retention_days":"x"}' },
        400,
        'INVALID_INPUT',
      ],
      ['unknown method', { path: '/api/system/nope', headers: auth(), body: '{}' }, 404, 'NOT_FOUND'],
      ['unknown group', { path: '/api/nope/x', headers: auth(), body: '{}' }, 404, 'NOT_FOUND'],
      [
        'GET on a method',
        { method: 'GET', path: '/api/system/info', headers: auth() },
        405,
        'METHOD_NOT_ALLOWED',
      ],
      [
        'text/plain body',
        { path: '/api/system/info', headers: { ...auth(), 'Content-Type': 'text/plain' }, body: '{}' },
        415,
        'UNSUPPORTED_MEDIA_TYPE',
      ],
      [
        'body over 1 MiB',
        { path: '/api/settings/update', headers: auth(), body: Buffer.alloc(1024 * 1024 + 10, 0x20) },
        413,
        'PAYLOAD_TOO_LARGE',
      ],
      ['array body', { path: '/api/settings/update', headers: auth(), body: '[]' }, 400, 'INVALID_INPUT'],
      [
        'invalid UTF-8',
        {
          path: '/api/settings/update',
          headers: auth(),
          body: Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]),
        },
        400,
        'INVALID_INPUT',
      ],
    ];
    for (const [name, req, status, code] of cases) {
      const r = await request(req);
      expect(r.status, name).toBe(status);
      expect(parse(r.body).error?.code, name).toBe(code);
    }
    const wrong = await request({
      path: '/api/settings/update',
      headers: auth(),
      body: '{"trace_retention_days":"x"}',
    });
    expect(parse(wrong.body).error?.message).toContain('trace_retention_days');
  });

  it('streams bus events over SSE to an authorised client only', async () => {
    const refused = await fetch(`${served.http.url}/api/events`);
    expect(refused.status).toBe(401);
    await refused.body?.cancel();

    const ac = new AbortController();
    const res = await fetch(`${served.http.url}/api/events`, {
      headers: { Authorization: `Bearer ${served.token}` },
      signal: ac.signal,
    });
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    await request({
      path: '/api/settings/update',
      headers: auth(),
      body: JSON.stringify({ trace_retention_days: 9 }),
    });
    let text = '';
    while (!text.includes('event: settings.changed')) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    ac.abort();
    const data = /event: settings\.changed\ndata: (.*)\n/.exec(text)?.[1];
    expect((JSON.parse(data ?? '{}') as { trace_retention_days?: number }).trace_retention_days).toBe(9);
  });

  it('sends a CSP with pages and no-store with API answers', async () => {
    const page = await request({ method: 'GET', path: '/', headers: {} });
    expect(page.headers['content-security-policy']).toContain("default-src 'self'");
    const api = await request({ path: '/api/system/info', headers: auth(), body: '{}' });
    expect(api.headers['cache-control']).toBe('no-store');
  });
});
