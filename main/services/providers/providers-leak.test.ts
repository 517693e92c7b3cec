// The key rule (docs/architecture.md): no provider key in the data dir, the logs, an API answer or an event.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '../../../contract/client';
import { until } from '../../../test/agents';
import { errorBody, ScriptedUpstream } from '../../../test/fixtures/scripted-upstream';
import { keychainAvailable } from '../../../test/keychain';
import { recordedClient } from '../../../test/recorded-client';
import { skipUnlessReal } from '../../../test/real';
import { serve } from '../../cli/serve';
import type { Served } from '../../cli/serve';
import { resolveOptions } from '../../platform/paths';

/** The environment of the cores this file starts: this process's, plus what the tests set (never the global one). */
const coreEnv: NodeJS.ProcessEnv = { ...process.env };

const available = await keychainAvailable();
const KEY = `sk-test-${crypto.randomBytes(24).toString('hex')}`;
const KEY2 = `sk-test-${crypto.randomBytes(24).toString('hex')}`;

let home: string;
let served: Served;
let client: Client;
let up: ScriptedUpstream;
const seen: string[] = []; // every API answer and SSE chunk, as text
let stopEvents: (() => void) | null = null;

async function start(): Promise<void> {
  served = await serve({ home, app: resolveOptions(coreEnv), port: 0, healthIntervalMs: 0 });
  const rec = await recordedClient(served, seen);
  client = rec.client;
  stopEvents = rec.stop;
}

async function stop(): Promise<void> {
  stopEvents?.();
  await served.stop();
}

/** Every file under `dir` whose bytes contain `needle` (paths relative to dir). */
function filesContaining(dir: string, needle: string): string[] {
  const bytes = Buffer.from(needle);
  const hits: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    if (fs.readFileSync(file).includes(bytes)) hits.push(path.relative(dir, file));
  }
  return hits;
}

describe.skipIf(skipUnlessReal(available, 'OS keychain'))('provider keys never leak', () => {
  beforeAll(async () => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-leak-'));
    coreEnv.AGENTDESK_LOG_LEVEL = 'trace'; // log as much as possible
    up = await new ScriptedUpstream({ key: KEY }).start();
    // A careless upstream that echoes the key it was sent in its error message.
    up.on(
      'GET',
      '/echo/models',
      (req, res) => {
        res
          .writeHead(401, { 'Content-Type': 'application/json' })
          .end(errorBody(`Incorrect API key provided: ${String(req.headers.authorization)}`));
      },
      { auth: false },
    );
    await start();
  });
  afterAll(async () => {
    delete coreEnv.AGENTDESK_LOG_LEVEL;
    await stop().catch(() => undefined);
    await up.stop();
    fs.rmSync(home, { recursive: true, force: true });
  });

  it('exercises the app with a known key, then finds its bytes nowhere', async () => {
    const p = await client.providers.add({
      type: 'openai-compatible',
      name: 'Leaky',
      base_url: up.v1,
      key: KEY,
    });
    expect(p.status).toBe('ok');
    await client.providers.test({ id: p.id });
    await client.providers.models({ id: p.id, refresh: true });
    await client.providers.list({});
    await client.providers.discover({});
    await client.providers.edit({ id: p.id, name: 'Leaky 2' });
    const echo = await client.providers.add({
      type: 'openai-compatible',
      name: 'Echo',
      base_url: `${up.url}/echo`,
      key: KEY2,
    });
    expect(echo.status).toBe('error');
    expect(echo.status_detail).toContain('[REDACTED]');
    // Bad inputs with the key in them must not echo it either.
    await client.providers.add({ type: 'openai', name: 'Leaky', key: KEY }).catch(() => undefined);
    await client.providers.edit({ id: 'nope', key: KEY }).catch(() => undefined);

    // While running: DB, WAL, logs.
    expect(filesContaining(home, KEY)).toEqual([]);
    expect(filesContaining(home, KEY2)).toEqual([]);

    await stop();
    await start();
    const again = await client.providers.test({ id: p.id });
    expect(again.probe.ok).toBe(true);
    expect(again.provider.key.last4).toBe(KEY.slice(-4));
    await client.providers.models({ id: p.id });
    const changes = () => seen.join('').split('event: providers.changed').length - 1;
    const before = changes();
    await client.providers.remove({ id: echo.id });
    // The removal's event is the last thing the stream carries: wait for it rather than for a fixed time.
    await until(changes, (n) => n > before, 30_000, 'the removal on the event stream');
    await stop();

    const everything = seen.join('\n');
    expect(seen.some((s) => s.includes('event: providers.changed'))).toBe(true);
    expect(everything).not.toContain(KEY);
    expect(everything).not.toContain(KEY2);
    const files = fs.readdirSync(home, { recursive: true }).map(String);
    expect(files.some((f) => f.startsWith('logs'))).toBe(true);
    expect(files).toContain('agentdesk.db');
    expect(filesContaining(home, KEY)).toEqual([]);
    expect(filesContaining(home, KEY2)).toEqual([]);
    // The search does see what is there: the log lines and the provider rows.
    expect(filesContaining(home, 'provider probed')).toContain(path.join('logs', 'agentdesk.log'));
    expect(filesContaining(home, `${up.url}/echo`)).toContain('agentdesk.db');
    // The upstream did get the key (the probe is real), in a header only.
    expect(up.requestsTo('/v1/models').every((r) => !r.path.includes(KEY) && r.query.toString() === '')).toBe(
      true,
    );
    await start();
    await client.providers.remove({ id: p.id });
  });
});
