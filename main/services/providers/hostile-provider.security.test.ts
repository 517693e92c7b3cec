// A hostile provider (a real HTTP server) against the probe and a real core: endless or huge /models bodies, bad and countless model ids.
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../../../contract/client';
import type { Client } from '../../../contract/client';
import { until } from '../../../test/agents';
import { startFloodServer } from '../../../test/fixtures/flood-server';
import type { FloodServer } from '../../../test/fixtures/flood-server';
import { httpTransport } from '../../cli/http-client';
import { serve } from '../../cli/serve';
import type { Served } from '../../cli/serve';
import { catalogEntry } from './catalog';
import { PROBE_MAX_BODY_BYTES, PROBE_MAX_MODELS, probeModels } from './model-probe';
import { resolveOptions } from '../../platform/paths';

/** The environment of the cores this file starts: this process's, plus what the tests set (never the global one). */
const coreEnv: NodeJS.ProcessEnv = { ...process.env };

const MiB = 1024 * 1024;
/** What the kernel's loopback socket buffers may hold beyond what the reader took (generous). */
const SOCKET_SLACK = 16 * MiB;
const openai = catalogEntry('openai-compatible');

/** A provider listing exactly `body` (JSON) at /v1/models. */
async function listing(body: unknown): Promise<{ url: string; stop: () => Promise<void> }> {
  const text = JSON.stringify(body);
  const server = http.createServer((req, res) => {
    if (req.url?.startsWith('/v1/models'))
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(text);
    else res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
    stop: () => new Promise<void>((r) => server.close(() => r())),
  };
}

describe('a hostile provider against the probe', () => {
  let flood: FloodServer;
  afterAll(() => flood?.stop());

  it('stops reading an endless /models body at the cap and says why, long before the deadline', async () => {
    flood = await startFloodServer(() => ({ prefix: '{"data":[', fill: '{"id":"m"},' }));
    const t0 = Date.now();
    const r = await probeModels({ baseUrl: `${flood.url}/v1`, target: openai, key: null, timeoutMs: 60_000 });
    expect(r.outcome).toMatchObject({ ok: false, kind: 'bad_response', model_count: null });
    expect(r.outcome.message).toMatch(/answered more than 16 MiB.*Check the base URL/);
    expect(r.models).toEqual([]);
    expect(Date.now() - t0).toBeLessThan(60_000); // not the deadline: the cap ended it
    // The reader hung up: the server could not push much past the cap (memory stays bounded).
    const sent = await flood.closed();
    expect(sent).toBeLessThan(PROBE_MAX_BODY_BYTES + SOCKET_SLACK);
  });

  it('does not read a body whose Content-Length is over the cap', async () => {
    const big = await startFloodServer(() => ({
      headers: { 'Content-Type': 'application/json', 'Content-Length': String(1024 * MiB) },
      prefix: '{"data":[',
      fill: '{"id":"m"},',
    }));
    try {
      const r = await probeModels({ baseUrl: `${big.url}/v1`, target: openai, key: null });
      expect(r.outcome.kind).toBe('bad_response');
      expect(r.outcome.message).toMatch(/more than 16 MiB/);
      expect(await big.closed()).toBeLessThan(SOCKET_SLACK);
    } finally {
      await big.stop();
    }
  });

  it('keeps valid ids only, and at most the model cap, naming what it skipped', async () => {
    const huge = 'x'.repeat(MiB);
    const bad = await listing({
      data: [
        { id: 'good-1' },
        { id: 'a,b' },
        { id: huge },
        { id: 'gpt-*' },
        { id: 'with space' },
        { id: 'nl\nx' },
        { id: 'good-2' },
      ],
    });
    try {
      const r = await probeModels({ baseUrl: bad.url, target: openai, key: null });
      expect(r.outcome.ok).toBe(true);
      expect(r.models.map((m) => m.id)).toEqual(['good-1', 'good-2']);
      expect(r.outcome.message).toMatch(/^2 models; skipped 5 ids that are not valid model ids/);
      expect(r.outcome.message).toContain('"a,b": contains ","');
      expect(r.outcome.message).toMatch(/longer than 256 characters/);
      expect(r.outcome.message.length).toBeLessThan(600); // the 1 MiB id is not echoed
    } finally {
      await bad.stop();
    }
    const many = await listing(Array.from({ length: 1_000_000 }, (_, i) => `m${i}`));
    try {
      const r = await probeModels({ baseUrl: many.url, target: openai, key: null });
      expect(r.outcome.ok).toBe(true);
      expect(r.models).toHaveLength(PROBE_MAX_MODELS);
      expect(r.outcome.message).toBe(
        `${PROBE_MAX_MODELS} models; the listing has more, only the first ${PROBE_MAX_MODELS} are kept`,
      );
    } finally {
      await many.stop();
    }
  });

  it('refuses a listing with no valid id at all, naming the rule', async () => {
    const bad = await listing({ data: [{ id: 'a,b' }, { id: 'c,d' }] });
    try {
      const r = await probeModels({ baseUrl: bad.url, target: openai, key: null });
      expect(r.outcome).toMatchObject({ ok: false, kind: 'bad_response' });
      expect(r.outcome.message).toMatch(/listed no valid model id .*A model id is 1–256 characters/);
    } finally {
      await bad.stop();
    }
  });
});

describe('a hostile provider added to a real core', () => {
  let home: string;
  let served: Served;
  let client: Client;
  const stops: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-test-hostile-'));
    served = await serve({ home, app: resolveOptions(coreEnv), port: 0, healthIntervalMs: 0 });
    client = createClient(httpTransport({ url: served.http.url, token: served.token }));
  });
  afterAll(async () => {
    for (const p of await client.providers.list({}).catch(() => []))
      await client.providers.remove({ id: p.id }).catch(() => undefined);
    await served?.stop();
    for (const s of stops) await s();
    if (home) fs.rmSync(home, { recursive: true, force: true });
  });

  it('keeps "a,b", a 1 MiB id and 1e6 ids out of the database and LiteLLM config', async () => {
    const ids = [
      'good-1',
      'a,b',
      'x'.repeat(MiB),
      '*',
      ...Array.from({ length: 1_000_000 }, (_, i) => `m${i}`),
    ];
    const evil = await listing(ids);
    stops.push(() => evil.stop());
    const p = await client.providers.add({ type: 'openai-compatible', name: 'Evil', base_url: evil.url });
    expect(p.status).toBe('ok');
    expect(p.model_count).toBe(PROBE_MAX_MODELS);
    expect(p.status_detail).toMatch(/only the first 2000 are kept; skipped 3 ids that are not valid/);
    const stored = (await client.providers.models({ id: p.id })).models.map((m) => m.id);
    expect(stored).toHaveLength(PROBE_MAX_MODELS);
    expect(stored.every((id) => /^[A-Za-z0-9._:/@+~-]{1,256}$/.test(id))).toBe(true);
    // The LiteLLM config written for these models holds none of the refused ids.
    const dir = path.join(home, 'litellm');
    const configs = await until(
      () => (fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => /^config.*\.yaml$/.test(f)) : []),
      (files) => files.length > 0,
      30_000,
      'the LiteLLM config',
    );
    const yaml = configs.map((f) => fs.readFileSync(path.join(dir, f), 'utf8')).join('\n');
    expect(yaml).toContain('evil/good-1');
    expect(yaml).not.toContain('a,b');
    expect(yaml).not.toContain('xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx');
    expect(yaml).not.toMatch(/evil\/\*/);
    await client.providers.remove({ id: p.id });
  });

  it('records a clear error for an endless /models body and stays responsive', async () => {
    const flood = await startFloodServer(() => ({ prefix: '{"data":[', fill: '{"id":"m"},' }));
    stops.push(() => flood.stop());
    const p = await client.providers.add({
      type: 'openai-compatible',
      name: 'Endless',
      base_url: `${flood.url}/v1`,
    });
    expect(p.status).toBe('error');
    expect(p.status_detail).toMatch(/answered more than 16 MiB/);
    expect(p.model_count).toBe(0);
    expect(await flood.closed()).toBeLessThan(PROBE_MAX_BODY_BYTES + SOCKET_SLACK);
    // The same answer on a re-test, and the core still answers other calls.
    const again = await client.providers.test({ id: p.id });
    expect(again.probe).toMatchObject({ ok: false, kind: 'bad_response' });
    expect(again.probe.message).toMatch(/answered more than 16 MiB/);
    expect((await client.providers.list({})).map((x) => x.id)).toContain(p.id);
  });
});
