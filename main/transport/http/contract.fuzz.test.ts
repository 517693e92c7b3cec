// Property-based test (fast-check) of every contract method over HTTP with random and malformed input: 4xx envelopes only.
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findMethod, listChannels } from '../../../contract/api';
import { ERROR_CODES, ERROR_STATUS } from '../../../contract/errors';
import type { ErrorCode } from '../../../contract/errors';
import { EXAMPLE_INPUTS } from '../../../test/contract-examples';
import { serve } from '../../cli/serve';
import { allowedHosts, allowedOrigins } from './guards';
import type { Served } from '../../cli/serve';
import { testOptions } from '../../../test/app-options';

/** Runs per method: enough to hit every generator branch several times, few enough for CI (~36 methods). */
const RUNS = Number(process.env.AGENTDESK_FUZZ_RUNS ?? 40);
/**
 * Codes that describe the machine, not the input (no keychain, Docker down, a provider failing). Allowed
 * only for a body that happens to be a VALID input; never INTERNAL.
 */
const ENVIRONMENT_CODES: ErrorCode[] = ['UNAVAILABLE', 'KEYCHAIN_UNAVAILABLE', 'UPSTREAM', 'TIMEOUT'];

let served: Served;
let home: string;
const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });

beforeAll(async () => {
  // `images.build` must be refused at once, not start a real debootstrap (test/contract-examples.ts).
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-test-fuzz-'));
  served = await serve({
    home,
    app: testOptions({ AGENTDESK_IMAGE_RECIPE_DIR: '/nonexistent-agentdesk-recipe' }),
    port: 0,
    healthIntervalMs: 0,
  });
});
afterAll(async () => {
  agent.destroy();
  await served.stop();
  fs.rmSync(home, { recursive: true, force: true });
});

/** One request body as sent: bytes plus the content type (`null` = no header). */
interface Body {
  what: string;
  bytes: Buffer;
  contentType: string | null;
}

function post(
  pathname: string,
  body: Body,
  extra: Record<string, string> = {},
  method = 'POST',
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = {
      Authorization: `Bearer ${served.token}`,
      'Content-Length': String(body.bytes.length),
      ...extra,
    };
    if (body.contentType !== null) headers['Content-Type'] = body.contentType;
    const req = http.request(
      { host: '127.0.0.1', port: served.http.port, method, path: pathname, headers, agent },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
        );
      },
    );
    req.on('error', reject);
    req.end(body.bytes);
  });
}

const json = (what: string, value: unknown): Body => ({
  what,
  bytes: Buffer.from(JSON.stringify(value) ?? 'null'),
  contentType: 'application/json',
});

/** A value of another JSON type than `like` (so a mutated field is never accidentally valid by type). */
function otherType(like: unknown): fc.Arbitrary<unknown> {
  const kind = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);
  return fc
    .oneof(
      fc.integer(),
      fc.double(),
      fc.boolean(),
      fc.constant(null),
      fc.string(),
      fc.array(fc.jsonValue(), { maxLength: 4 }),
      fc.dictionary(fc.string(), fc.jsonValue(), { maxKeys: 4 }),
    )
    .filter((v) => kind(v) !== kind(like));
}

/** Nested arrays/objects `depth` deep: `[[[…]]]` or `{"a":{"a":…}}`. */
function deep(depth: number, arrays: boolean): string {
  return arrays ? '['.repeat(depth) + ']'.repeat(depth) : '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
}

/** Every kind of bad body for one channel, built from its valid example where it has fields. */
function badBodies(channel: string): fc.Arbitrary<Body> {
  const example = ((EXAMPLE_INPUTS as Record<string, unknown>)[channel] ?? {}) as Record<string, unknown>;
  const keys = Object.keys(example);
  const field = keys.length ? fc.constantFrom(...keys) : fc.constant('id');
  const mutations: fc.Arbitrary<Body>[] = [
    fc.jsonValue().map((v) => json('random JSON value', v)),
    fc
      .tuple(fc.string({ minLength: 1, maxLength: 20 }), fc.jsonValue())
      .filter(([k]) => !keys.includes(k))
      .map(([k, v]) => json(`extra field "${k}"`, { ...example, [k]: v })),
    fc.constantFrom('__proto__', 'constructor', 'prototype').map((k) => ({
      what: `prototype key ${k}`,
      bytes: Buffer.from(
        `{${keys.map((f) => `${JSON.stringify(f)}:${JSON.stringify(example[f])},`).join('')}"${k}":{"polluted":true}}`,
      ),
      contentType: 'application/json',
    })),
    fc
      .integer({ min: 10_000, max: 400_000 })
      .chain((n) =>
        field.map((k) => json(`huge string (${n} chars) in ${k}`, { ...example, [k]: 'x'.repeat(n) })),
      ),
    fc
      .tuple(field, fc.string({ unit: 'binary', minLength: 1, maxLength: 64 }))
      .map(([k, s]) => json(`any code points (lone surrogates, NUL) in ${k}`, { ...example, [k]: s })),
    fc.tuple(fc.integer({ min: 500, max: 5000 }), fc.boolean()).map(([d, arrays]) => ({
      what: `nesting ${d} deep`,
      bytes: Buffer.from(deep(d, arrays)),
      contentType: 'application/json',
    })),
    fc.uint8Array({ minLength: 1, maxLength: 256 }).map((b) => ({
      what: 'random bytes (mostly invalid UTF-8) as JSON',
      bytes: Buffer.concat([
        Buffer.from('{"'),
        Buffer.from(b),
        Buffer.from([0xff, 0xfe]),
        Buffer.from('":1}'),
      ]),
      contentType: 'application/json',
    })),
    fc
      .tuple(
        fc.string({ maxLength: 200 }),
        fc.constantFrom(
          'application/json',
          'application/json; charset=latin1',
          'text/plain',
          'application/x-www-form-urlencoded',
          'multipart/form-data; boundary=x',
          'application/xml',
          '',
          null,
        ),
      )
      .map(([s, ct]) => ({ what: `text body as ${String(ct)}`, bytes: Buffer.from(s), contentType: ct })),
  ];
  if (keys.length) {
    mutations.push(
      field.map((k) => {
        const rest = { ...example };
        delete rest[k];
        return json(`missing field ${k}`, rest);
      }),
      field.chain((k) =>
        otherType(example[k]).map((v) => json(`wrong type in ${k}`, { ...example, [k]: v })),
      ),
    );
  }
  return fc.oneof(...mutations);
}

/** What the server parses the body as (JSON.parse of its UTF-8 text; empty = `{}`), or `undefined` when it is not JSON. */
function parsedByServer(body: Body): unknown {
  const text = body.bytes.toString('utf8');
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** True when the server would take the body as a valid input of `channel` (only then may it answer 2xx). */
function isValidInput(channel: string, body: Body): boolean {
  // No body and no content type is a call without input, as `{}` (the CLI sends that for methods without input).
  if (body.contentType === null && body.bytes.length === 0)
    return findMethod(channel)!.input.safeParse({}).success;
  if (body.contentType === null || !/^application\/json\b/i.test(body.contentType)) return false;
  const value = parsedByServer(body);
  return value !== undefined && findMethod(channel)!.input.safeParse(value).success;
}

type Envelope = { ok: boolean; value?: unknown; error?: { code: string; message: string } };

describe('every contract method over HTTP, with random and malformed input', () => {
  it.each(listChannels())(
    '%s: answers 4xx with an error code, never 500; the core keeps answering',
    async (channel) => {
      const [group, method] = channel.split('.') as [string, string];
      await fc.assert(
        fc.asyncProperty(badBodies(channel), async (body) => {
          const r = await post(`/api/${group}/${method}`, body);
          const label = `${channel} with ${body.what}: ${r.status} ${r.text.slice(0, 300)}`;
          const env = JSON.parse(r.text) as Envelope;
          expect(typeof env.ok, label).toBe('boolean');
          if (env.ok) {
            expect(isValidInput(channel, body), label).toBe(true);
            expect(r.status, label).toBe(200);
            return;
          }
          const code = env.error?.code as ErrorCode;
          expect(ERROR_CODES, label).toContain(code);
          expect(r.status, label).toBe(ERROR_STATUS[code]);
          expect(env.error?.message.length, label).toBeGreaterThan(10);
          expect(code, label).not.toBe('INTERNAL');
          if (r.status >= 500) {
            expect(isValidInput(channel, body), label).toBe(true);
            expect(ENVIRONMENT_CODES, label).toContain(code);
          }
        }),
        { numRuns: RUNS },
      );
      const info = await post('/api/system/info', json('empty object', {}));
      expect(info.status).toBe(200);
      expect({} as Record<string, unknown>).not.toHaveProperty('polluted');
    },
  );
});

describe('Host and Origin of the control API', () => {
  /** Names close to ours (other ports, suffixes, schemes, case) and random ones; header-safe characters only. */
  const near = (own: string[]) => {
    const port = served.http.port;
    return fc.oneof(
      fc.constantFrom(
        ...own.flatMap((o) => [
          `${o}.evil.example`,
          `${o}0`,
          o.replace(String(port), String(port + 1)),
          `${o}/`,
        ]),
        `127.0.0.1`,
        `localhost`,
        `127.0.0.2:${port}`,
        `0.0.0.0:${port}`,
        `[::ffff:127.0.0.1]:${port}`,
        `https://127.0.0.1:${port}`,
        `null`,
        `file://`,
        `rebind.example:${port}`,
      ),
      fc.string({
        unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789.:-/[]'.split('')),
        maxLength: 40,
      }),
    );
  };

  it('refuses every foreign Host and Origin with 403, on calls, events and pages alike', async () => {
    const hosts = [...allowedHosts(served.http.port)];
    const origins = [...allowedOrigins(served.http.port)];
    const targets: [string, string][] = [
      ['POST', '/api/system/info'],
      ['GET', '/api/events'],
      ['GET', '/'],
    ];
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          // An empty Host would be replaced by node:http's own (the right one): not a case the server sees.
          near(hosts)
            .filter((h) => h.trim() !== '')
            .map((h) => ({ Host: h })),
          near(origins).map((o) => ({ Origin: o })),
        ),
        fc.constantFrom(...targets),
        async (header, [method, target]) => {
          const allowed =
            ('Host' in header && hosts.includes(header.Host.toLowerCase())) ||
            ('Origin' in header && (origins.includes(header.Origin.toLowerCase()) || target === '/'));
          fc.pre(!allowed);
          const r = await post(target, json('empty object', {}), header, method);
          const label = `${method} ${target} with ${JSON.stringify(header)}: ${r.status} ${r.text.slice(0, 200)}`;
          expect(r.status, label).toBe(403);
          expect((JSON.parse(r.text) as Envelope).error?.code, label).toBe('FORBIDDEN');
        },
      ),
      { numRuns: 150 },
    );
  });
});
