// Probing model listings over real HTTP against the scripted upstream: every shape, and a clear message per failure.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScriptedUpstream } from '../../../test/fixtures/scripted-upstream';
import { catalogEntry } from './catalog';
import { describeFetchError, probeModels } from './model-probe';

const KEY = 'sk-test-probe-0123456789';
let up: ScriptedUpstream;

beforeAll(async () => {
  up = await new ScriptedUpstream({ key: KEY, models: ['m-one', 'm-two'], ollama: true }).start();
});
afterAll(() => up.stop());

const openai = catalogEntry('openai-compatible');

describe('probeModels', () => {
  it('lists OpenAI-style models with a bearer key', async () => {
    const r = await probeModels({ baseUrl: up.v1, target: openai, key: KEY });
    expect(r.outcome).toMatchObject({
      ok: true,
      kind: 'ok',
      message: '2 models',
      http_status: 200,
      model_count: 2,
    });
    expect(r.models.map((m) => m.id)).toEqual(['m-one', 'm-two']);
    expect(up.requestsTo('/v1/models').at(-1)?.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(r.outcome.url).toBe(`${up.v1}/models`);
    expect(r.outcome.url).not.toContain(KEY);
  });

  it('lists Anthropic models with x-api-key and anthropic-version', async () => {
    const r = await probeModels({ baseUrl: up.url, target: catalogEntry('anthropic'), key: KEY });
    expect(r.outcome.ok).toBe(true);
    expect(r.models).toEqual([
      { id: 'm-one', label: 'M-ONE' },
      { id: 'm-two', label: 'M-TWO' },
    ]);
    const req = up.requestsTo('/v1/models').at(-1)!;
    expect(req.headers['x-api-key']).toBe(KEY);
    expect(req.headers['anthropic-version']).toBe('2023-06-01');
    expect(req.headers.authorization).toBeUndefined();
  });

  it('lists Ollama models from /api/tags without a key', async () => {
    up.setKey(null);
    try {
      const r = await probeModels({ baseUrl: up.url, target: catalogEntry('ollama'), key: null });
      expect(r.outcome.ok).toBe(true);
      expect(r.models.map((m) => m.id)).toEqual(['m-one', 'm-two']);
    } finally {
      up.setKey(KEY);
    }
  });

  it('follows Gemini pages', async () => {
    const pages: Record<string, unknown> = {
      '': { models: [{ name: 'models/g-1', displayName: 'G 1' }], nextPageToken: 'p2' },
      p2: { models: [{ name: 'models/g-2' }] },
    };
    const g = await new ScriptedUpstream({ key: KEY }).start();
    g.on('GET', '/v1beta/models', (req, res) => g.json(res, 200, pages[req.query.get('pageToken') ?? '']));
    try {
      const r = await probeModels({ baseUrl: `${g.url}/v1beta`, target: catalogEntry('gemini'), key: KEY });
      expect(r.models.map((m) => m.id)).toEqual(['g-1', 'g-2']);
      expect(g.requests[0]?.headers['x-goog-api-key']).toBe(KEY);
      expect(g.requests[0]?.query.get('key')).toBeNull();
    } finally {
      await g.stop();
    }
  });

  it('says the key was refused on 401, without echoing it', async () => {
    const r = await probeModels({ baseUrl: up.v1, target: openai, key: 'sk-wrong-key-000000000' });
    expect(r.outcome).toMatchObject({ ok: false, kind: 'unauthorized', http_status: 401 });
    expect(r.outcome.message).toMatch(
      /^401 Unauthorized: OpenAI-compatible \(any URL\) refused the key \(Incorrect API key provided\.\)/,
    );
    expect(r.outcome.message).not.toContain('sk-wrong');
    const none = await probeModels({ baseUrl: up.v1, target: openai, key: null });
    expect(none.outcome.message).toMatch(/wants a key and none is set/);
  });

  it('explains 403 and 404', async () => {
    const f = await new ScriptedUpstream().start();
    f.fail('GET', '/v1/models', 403, JSON.stringify({ error: { message: 'Project lacks access' } }));
    try {
      const r = await probeModels({ baseUrl: f.v1, target: openai, key: KEY });
      expect(r.outcome.kind).toBe('forbidden');
      expect(r.outcome.message).toMatch(
        /^403 Forbidden: .*denies access \(Project lacks access\)\. Check the key's permissions/,
      );
      const nf = await probeModels({ baseUrl: `${f.url}/wrong`, target: openai, key: KEY });
      expect(nf.outcome.kind).toBe('not_found');
      expect(nf.outcome.message).toBe(
        `404 Not Found at ${f.url}/wrong/models: check the base URL (OpenAI-compatible servers usually end in /v1).`,
      );
    } finally {
      await f.stop();
    }
  });

  it('reports a timeout within the deadline', async () => {
    const slow = await new ScriptedUpstream().start();
    slow.on('GET', '/v1/models', () => new Promise<void>(() => {})); // never answers
    try {
      const t = performance.now();
      const r = await probeModels({ baseUrl: slow.v1, target: openai, key: null, timeoutMs: 300 });
      expect(performance.now() - t).toBeLessThan(2000);
      expect(r.outcome.kind).toBe('timeout');
      expect(r.outcome.message).toMatch(/^Timeout: 127\.0\.0\.1:\d+ did not answer within 0\.3 s/);
    } finally {
      await slow.stop();
    }
  });

  it('reports DNS failures fast for an .invalid host', async () => {
    const t = performance.now();
    const r = await probeModels({
      baseUrl: 'http://agentdesk-nowhere.invalid/v1',
      target: openai,
      key: null,
      timeoutMs: 5000,
    });
    expect(performance.now() - t).toBeLessThan(4000);
    expect(r.outcome.kind).toBe('dns');
    expect(r.outcome.message).toMatch(/^DNS: host "agentdesk-nowhere\.invalid" was not found/);
  });

  it('reports connection refused when nothing listens', async () => {
    const s = http.createServer();
    await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
    const port = (s.address() as AddressInfo).port;
    await new Promise<void>((resolve) => s.close(() => resolve()));
    const r = await probeModels({ baseUrl: `http://127.0.0.1:${port}/v1`, target: openai, key: null });
    expect(r.outcome.kind).toBe('refused');
    expect(r.outcome.message).toBe(
      `Connection refused by 127.0.0.1:${port}: nothing is listening there. Is the server running on that port?`,
    );
  });

  it('reports TLS errors (https to a plain HTTP server)', async () => {
    const r = await probeModels({ baseUrl: up.v1.replace('http:', 'https:'), target: openai, key: KEY });
    expect(r.outcome.kind).toBe('tls');
    expect(r.outcome.message).toMatch(
      /^TLS error with 127\.0\.0\.1:\d+ \([A-Z_]+\): the server may not speak HTTPS/,
    );
  });

  it('reports an untrusted (self-signed) certificate', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-tls-'));
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-subj',
        '/CN=127.0.0.1',
        '-days',
        '1',
        '-keyout',
        path.join(dir, 'k.pem'),
        '-out',
        path.join(dir, 'c.pem'),
      ],
      { stdio: 'ignore' },
    );
    const s = https.createServer(
      { key: fs.readFileSync(path.join(dir, 'k.pem')), cert: fs.readFileSync(path.join(dir, 'c.pem')) },
      (_q, res) => res.end('{"data":[]}'),
    );
    await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
    try {
      const r = await probeModels({
        baseUrl: `https://127.0.0.1:${(s.address() as AddressInfo).port}/v1`,
        target: openai,
        key: null,
      });
      expect(r.outcome.kind).toBe('tls');
      expect(r.outcome.message).toMatch(
        /\((DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN)\): its certificate is not trusted/,
      );
    } finally {
      s.closeAllConnections();
      await new Promise<void>((resolve) => s.close(() => resolve()));
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses what is not a model list, and does not follow redirects', async () => {
    const odd = await new ScriptedUpstream().start();
    odd.on(
      'GET',
      '/v1/models',
      (_q, res) => void res.writeHead(200, { 'Content-Type': 'text/html' }).end('<html></html>'),
    );
    odd.on(
      'GET',
      '/r/models',
      (_q, res) => void res.writeHead(302, { Location: 'https://elsewhere.example/models' }).end(),
    );
    try {
      const html = await probeModels({ baseUrl: odd.v1, target: openai, key: null });
      expect(html.outcome.kind).toBe('bad_response');
      expect(html.outcome.message).toContain('text/html, not a JSON model list');
      const moved = await probeModels({ baseUrl: `${odd.url}/r`, target: openai, key: KEY });
      expect(moved.outcome.message).toBe(
        'HTTP 302: redirected to https://elsewhere.example/models. Use the final URL as the base URL.',
      );
    } finally {
      await odd.stop();
    }
  });

  it('checks the key where the listing is public (OpenRouter /key)', async () => {
    const or = await new ScriptedUpstream().start();
    or.fail('GET', '/v1/key', 401, JSON.stringify({ error: { message: 'No auth credentials found' } }));
    try {
      const r = await probeModels({ baseUrl: or.v1, target: catalogEntry('openrouter'), key: KEY });
      expect(r.outcome.kind).toBe('unauthorized');
      expect(or.requestsTo('/v1/key')).toHaveLength(1);
    } finally {
      await or.stop();
    }
  });
});

describe('describeFetchError', () => {
  const url = 'https://api.example.com/v1/models';
  const withCode = (code: string) =>
    Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error(code), { code }) });
  it.each([
    ['ENOTFOUND', 'dns'],
    ['EAI_AGAIN', 'dns'],
    ['ECONNREFUSED', 'refused'],
    ['UND_ERR_CONNECT_TIMEOUT', 'timeout'],
    ['DEPTH_ZERO_SELF_SIGNED_CERT', 'tls'],
    ['CERT_HAS_EXPIRED', 'tls'],
    ['ERR_TLS_CERT_ALTNAME_INVALID', 'tls'],
    ['ECONNRESET', 'network'],
  ])('%s → %s', (code, kind) => {
    expect(describeFetchError(withCode(code), url, 1000).kind).toBe(kind);
  });
  it('reads codes inside an AggregateError', () => {
    const agg = Object.assign(new TypeError('fetch failed'), {
      cause: new AggregateError([Object.assign(new Error('x'), { code: 'ECONNREFUSED' })]),
    });
    expect(describeFetchError(agg, url, 1000).kind).toBe('refused');
  });
  it('explains ports that fetch refuses', () => {
    const bad = Object.assign(new TypeError('fetch failed'), { cause: new Error('bad port') });
    expect(describeFetchError(bad, 'http://127.0.0.1:6000/v1/models', 1000).message).toMatch(
      /^Port 6000 is blocked for HTTP clients/,
    );
  });
  it('says a self-signed certificate is not trusted', () => {
    expect(describeFetchError(withCode('SELF_SIGNED_CERT_IN_CHAIN'), url, 1000).message).toBe(
      'TLS error with api.example.com:443 (SELF_SIGNED_CERT_IN_CHAIN): its certificate is not trusted by this machine.',
    );
  });
});
