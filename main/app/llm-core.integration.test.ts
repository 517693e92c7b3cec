// The whole core with LiteLLM: start never waits for it; adding a provider starts it; status, health and Test model.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LlmStatus } from '../../contract/llm';
import type { HealthReport } from '../../contract/health';
import { withModelApis } from '../../test/fixtures/scripted-llm';
import { ScriptedUpstream } from '../../test/fixtures/scripted-upstream';
import { filesContaining, litellmInstalled, post, REAL_KEY } from '../../test/llm-stack';
import { skipUnlessReal } from '../../test/real';
import { call } from '../transport/dispatch';
import { startCore } from './bootstrap';
import type { Core } from './bootstrap';
import { resolveOptions } from '../platform/paths';

/** The environment of the cores this file starts: this process's, plus what the tests set (never the global one). */
const coreEnv: NodeJS.ProcessEnv = { ...process.env };

const skip = skipUnlessReal(litellmInstalled(), 'LiteLLM (the app venv: scripts/bootstrap-linux.sh)');

let home: string;
let core: Core;
let upstream: ScriptedUpstream;
const statuses: LlmStatus[] = [];
const reports: HealthReport[] = [];

async function until<T>(get: () => T | Promise<T>, ok: (v: T) => boolean, ms = 90_000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = await get();
    if (ok(v)) return v;
    if (Date.now() - t0 > ms) throw new Error(`timed out; last: ${JSON.stringify(v).slice(0, 500)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe.skipIf(skip)('core with LiteLLM', () => {
  beforeAll(async () => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-llmcore-'));
    upstream = await withModelApis(
      new ScriptedUpstream({ key: REAL_KEY, models: ['gpt-test-mini'] }),
    ).start();
    coreEnv.AGENTDESK_KEY_SCRIPTED = REAL_KEY; // a keychain-less run: the key comes from the environment
    core = await startCore({ home, app: resolveOptions(coreEnv), mode: 'headless', healthIntervalMs: 0 });
    core.bus.on('llm.status', (s) => statuses.push(s));
    core.bus.on('health.changed', (r) => reports.push(r));
  });
  afterAll(async () => {
    await core?.shutdown();
    await upstream?.stop();
    delete coreEnv.AGENTDESK_KEY_SCRIPTED;
    fs.rmSync(home, { recursive: true, force: true });
  });

  it('starts idle: the gateway listens, LiteLLM waits for a provider with models', async () => {
    const st = await call(core.dispatcher, 'llm', 'status', {});
    expect(st.litellm.state).toBe('idle');
    expect(st.gateway.state).toBe('listening');
    expect(st.gateway.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
    const health = await call(core.dispatcher, 'system', 'health', { refresh: true });
    expect(health.components.find((c) => c.name === 'gateway')).toMatchObject({ state: 'ok' });
    expect(health.components.find((c) => c.name === 'litellm')?.detail).toMatch(/installed|not running/);
    const answer = await call(core.dispatcher, 'llm', 'testModel', { model: 'scripted/gpt-test-mini' });
    expect(answer).toMatchObject({
      ok: false,
      error: expect.stringMatching(/No model is configured/) as unknown,
    });
  });

  it('adding a provider starts LiteLLM in the background; status and health follow it to ready', async () => {
    const t0 = performance.now();
    await call(core.dispatcher, 'providers', 'add', {
      type: 'openai-compatible',
      name: 'Scripted',
      base_url: upstream.v1,
    });
    expect(performance.now() - t0).toBeLessThan(5000); // the answer does not wait for LiteLLM
    const starting = await until(
      () => call(core.dispatcher, 'llm', 'status', {}),
      (s) => s.litellm.state !== 'idle',
      10_000,
    );
    expect(starting.litellm.state).toBe('starting');
    const h = await call(core.dispatcher, 'system', 'health', { refresh: true });
    expect(h.components.find((c) => c.name === 'litellm')?.state).toBe('starting');
    const ready = await until(
      () => call(core.dispatcher, 'llm', 'status', {}),
      (s) => s.litellm.state === 'ready',
    );
    expect(ready.litellm.models).toEqual(['scripted/gpt-test-mini']);
    expect(ready.litellm.port).toBeGreaterThan(0);
    expect(ready.litellm.pid).toBeGreaterThan(0);
    expect(ready.litellm.uptime_ms).toBeGreaterThanOrEqual(0);
    expect(ready.litellm.stderr_tail.length).toBeGreaterThan(0);
    expect(statuses.map((s) => s.litellm.state)).toEqual(
      expect.arrayContaining(['idle', 'starting', 'ready']),
    );
    const health = await call(core.dispatcher, 'system', 'health', { refresh: true });
    expect(health.components.find((c) => c.name === 'litellm')).toMatchObject({ state: 'ok' });
    expect(health.components.find((c) => c.name === 'litellm')?.detail).toMatch(
      /serving 1 model on 127\.0\.0\.1:\d+/,
    );
    expect(reports.length).toBeGreaterThan(0); // state changes push health.changed
  });

  it('Test model answers with the reply and the latency; an unknown model is NOT_FOUND', async () => {
    const r = await call(core.dispatcher, 'llm', 'testModel', {
      model: 'scripted/gpt-test-mini',
      prompt: 'ping',
    });
    expect(r.ok).toBe(true);
    expect(r.reply).toMatch(/^Hello from gpt-test-mini/);
    expect(r.latency_ms).toBeGreaterThan(0);
    expect(r.tokens_out).toBe(3);
    await expect(call(core.dispatcher, 'llm', 'testModel', { model: 'nope/x' })).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
  });

  it('an agent key minted in the core works through the gateway; the key never reaches a file', async () => {
    const { key } = core.keys.mint({ owner: 'agent-1', models: ['scripted/*'] });
    const url = (await call(core.dispatcher, 'llm', 'status', {})).gateway.url!;
    const r = await post(
      `${url}/chat/completions`,
      { model: 'scripted/gpt-test-mini', messages: [{ role: 'user', content: 'hi' }] },
      { authorization: `Bearer ${key}` },
    );
    expect(r.status).toBe(200);
    core.log.flush();
    expect(filesContaining(home, REAL_KEY)).toEqual([]);
    expect(filesContaining(home, key)).toEqual([]);
    const file = path.join(home, 'logs', 'llm-calls.jsonl');
    const lines = await until(
      () => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8').trim().split('\n') : []),
      (l) => l.some((x) => x.includes('agent-1')),
      30_000,
    );
    expect(JSON.parse(lines.at(-1)!)).toMatchObject({
      owner: 'agent-1',
      model: 'scripted/gpt-test-mini',
      status: 200,
    });
  });

  it('a restart with providers does not wait for LiteLLM; stopping while it starts leaves nothing behind', async () => {
    await core.shutdown();
    const t0 = performance.now();
    core = await startCore({ home, app: resolveOptions(coreEnv), mode: 'headless', healthIntervalMs: 0 });
    expect(performance.now() - t0).toBeLessThan(3000);
    const st = await until(
      () => call(core.dispatcher, 'llm', 'status', {}),
      (s) => s.litellm.pid !== null,
      10_000,
    );
    expect(st.litellm.state).toBe('starting');
    const pid = st.litellm.pid!;
    await core.shutdown();
    expect(() => process.kill(pid, 0)).toThrow();
  });
});
