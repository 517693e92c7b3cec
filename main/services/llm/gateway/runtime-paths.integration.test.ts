// The gateway's paths for containers, against a real LiteLLM: tool events, model checks for `verify`, one more bind address.
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { skipUnlessReal } from '../../../../test/real';
import { litellmInstalled, post, REAL_KEY, startLlmStack } from '../../../../test/llm-stack';
import type { LlmStack } from '../../../../test/llm-stack';
import { JsonlAgentTraceSink } from '../agent-trace-sink';

const skip = skipUnlessReal(litellmInstalled(), 'LiteLLM (the app venv: scripts/bootstrap-linux.sh)');

/** A GET through plain node:http. */
function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; json: unknown }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent: false, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, json: text ? (JSON.parse(text) as unknown) : null });
        });
      })
      .on('error', reject);
  });
}

const event = (kind: string, payload: unknown, extra: Record<string, unknown> = {}) => ({
  id: crypto.randomUUID(),
  trace_id: 'turn-1',
  parent_id: null,
  created_at: Date.now(),
  kind,
  thread_id: 'thread-1',
  payload,
  ...extra,
});
const call = () => event('tool_call', { name: 'shell', arguments: '{"command":"ls"}' });
const errorOf = (r: { json: () => unknown }) =>
  (r.json() as { error: { code: string; message: string } }).error;

let s: LlmStack;
let traceDir: string;
let traceFile: string;
let key: string; // agent-a: scripted/*, rpm 1
let archivedKey: string;
const trace = (k: string | null, body: unknown) =>
  post(`${s.gateway}/v1/agentdesk/trace`, body, k ? { authorization: `Bearer ${k}` } : {});
const stored = () =>
  fs
    .readFileSync(traceFile, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { agent_id: string; id: string; payload: Record<string, unknown> });

describe.skipIf(skip)('gateway paths for runtimes (real LiteLLM)', () => {
  beforeAll(async () => {
    traceDir = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-test-trace-'));
    traceFile = path.join(traceDir, 'agent-trace.jsonl');
    fs.mkdirSync(traceFile); // the sink cannot write until the first test removes this
    s = await startLlmStack({
      deps: {
        traceSink: new JsonlAgentTraceSink(traceFile),
      },
    });
    key = s.keys.mint({ owner: 'agent-a', models: ['scripted/*'], rpm: 1 }).key;
    archivedKey = s.keys.mint({ owner: 'agent-archived', models: ['*'] }).key;
    s.keys.suspend('agent-archived', 'Agent agent-archived is archived.');
  });
  afterAll(async () => {
    await s?.close();
    if (traceDir) fs.rmSync(traceDir, { recursive: true, force: true });
  });

  it('trace: 503 while the events cannot be stored, then 200 once they are, under the key owner', async () => {
    const body = { events: [{ ...call(), agent_id: 'intruder' }, call()] };
    const failed = await trace(key, body);
    expect(failed.status).toBe(503);
    expect(failed.headers['retry-after']).toBe('1');
    expect(errorOf(failed).code).toBe('trace_store_unavailable');
    fs.rmdirSync(traceFile);
    const ok = await trace(key, body);
    expect(ok.status).toBe(200);
    expect(ok.json()).toEqual({ accepted: 2 });
    const lines = stored();
    expect(lines.map((l) => l.id)).toEqual(body.events.map((e) => e.id));
    expect(lines.every((l) => l.agent_id === 'agent-a')).toBe(true);
  });

  it('trace: refused like the model paths, bad bodies named, never counted against the rate or as llm_call', async () => {
    const before = stored().length;
    expect((await trace(null, { events: [call()] })).status).toBe(401);
    expect((await trace(`sk-agentdesk-${'B'.repeat(43)}`, { events: [call()] })).status).toBe(401);
    const archived = await trace(archivedKey, { events: [call()] });
    expect(archived.status).toBe(403);
    expect(errorOf(archived).message).toContain('archived');
    const bad = await trace(key, { events: [call(), event('tool_result', { name: 'shell', exit_code: 0 })] });
    expect(bad.status).toBe(400);
    expect(errorOf(bad).message).toContain('events[1].payload.output: output must be a string');
    expect((await trace(key, 'not json')).status).toBe(400);
    const huge = await trace(key, { events: [event('error', { message: 'x'.repeat(1100 * 1024) })] });
    expect(huge.status).toBe(413);
    expect(stored().length).toBe(before);
    // rpm is 1 for this key: trace posts do not use it up.
    for (let i = 0; i < 3; i++) expect((await trace(key, { events: [call()] })).status).toBe(200);
    expect((await s.calls()).filter((c) => c.path.startsWith('/v1/agentdesk'))).toEqual([]);
    const revoked = s.keys.mint({ owner: 'agent-r', models: ['*'] });
    s.keys.revoke(revoked.record.id);
    expect((await trace(revoked.key, { events: [call()] })).status).toBe(401);
  });

  it('trace: a provider key or virtual key a tool printed is stored redacted', async () => {
    const output = `OPENAI_API_KEY=${REAL_KEY}\nmine: ${key}\n`;
    const r = await trace(key, { events: [event('tool_result', { name: 'shell', output, exit_code: 0 })] });
    expect(r.status).toBe(200);
    expect(stored().at(-1)!.payload.output).toBe('OPENAI_API_KEY=[REDACTED]\nmine: [REDACTED]\n');
    expect(fs.readFileSync(traceFile, 'utf8')).not.toContain(REAL_KEY);
  });

  it('trace: a tool output over 64 KiB is stored cut, with its original size', async () => {
    const output = 'line\n'.repeat(30_000); // 150 000 bytes
    const r = await trace(key, { events: [event('tool_result', { name: 'shell', output, exit_code: 0 })] });
    expect(r.status).toBe(200);
    const p = stored().at(-1)!.payload;
    expect(p).toMatchObject({ size: 150_000, truncated: true, exit_code: 0 });
    expect(Buffer.byteLength(p.output as string)).toBe(64 * 1024);
  });

  it('models: served or not, provider key resolved / missing / not needed, scope and unknown models', async () => {
    const auth = { authorization: `Bearer ${key}` };
    const base = `${s.gateway}/v1/agentdesk/models`;
    const served = { id: 'scripted/gpt-test-mini', provider: 'scripted', served: true, key: 'resolved' };
    expect(await get(`${base}/scripted/gpt-test-mini`, auth)).toEqual({ status: 200, json: served });
    expect((await get(`${base}/scripted%2Fgpt-test-mini`, auth)).json).toEqual(served);
    expect((await get(`${base}/scripted/not-a-model`, auth)).json).toEqual({
      id: 'scripted/not-a-model',
      provider: 'scripted',
      served: false,
      key: 'resolved',
    });
    const scope = await get(`${base}/claude/claude-test`, auth);
    expect(scope.status).toBe(403);
    expect(JSON.stringify(scope.json)).toContain('Allowed models: scripted/*');
    expect((await get(`${base}/scripted/gpt-test-mini`)).status).toBe(401);

    s.addProvider('cloud', 'openai', 'http://127.0.0.1:9/v1', ['gpt-x']); // required key, none set
    s.addProvider('local', 'ollama', 'http://127.0.0.1:9', ['llama3']); // keyless
    const all = { authorization: `Bearer ${s.keys.mint({ owner: 'agent-w', models: ['*'] }).key}` };
    expect((await get(`${base}/cloud/gpt-x`, all)).json).toMatchObject({ served: false, key: 'missing' });
    expect((await get(`${base}/local/llama3`, all)).json).toMatchObject({ served: false, key: 'not_needed' });
    const unknown = await get(`${base}/nobody/model`, all);
    expect(unknown.status).toBe(404);
    expect(JSON.stringify(unknown.json)).toContain('no provider \\"nobody\\"');
    expect(JSON.stringify(unknown.json)).toContain('scripted/gpt-test-mini');
    expect((await get(`${base}/%E0%A4%A`, all)).status).toBe(400);
  });

  it('addBind: one more address at the same port, idempotent, shown in the status; bad ones explained', async () => {
    const port = s.llm.gateway.port;
    const results = await Promise.all([s.llm.addGatewayBind('127.0.0.2'), s.llm.addGatewayBind('127.0.0.2')]);
    expect(results).toEqual([{ ok: true }, { ok: true }]);
    expect(await s.llm.addGatewayBind('127.0.0.2')).toEqual({ ok: true });
    expect(s.llm.status().gateway.addresses).toEqual(['127.0.0.1', '127.0.0.2']);
    const chat = await post(
      `http://127.0.0.2:${port}/v1/chat/completions`,
      { model: 'scripted/gpt-test-mini', messages: [{ role: 'user', content: 'via the second bind' }] },
      { authorization: `Bearer ${s.keys.mint({ owner: 'agent-b', models: ['*'] }).key}` },
    );
    expect(chat.status).toBe(200);

    const notIp = await s.llm.addGatewayBind('docker0');
    expect(notIp.ok).toBe(false);
    expect(!notIp.ok && notIp.error).toMatch(/"docker0" is not an IP address/);
    for (const wildcard of ['0.0.0.0', '::'])
      expect(await s.llm.addGatewayBind(wildcard)).toEqual({
        ok: false,
        error: expect.stringContaining('every interface') as string,
      });
    const absent = await s.llm.addGatewayBind('192.0.2.1'); // TEST-NET-1: on no interface here
    expect(!absent.ok && absent.error).toMatch(new RegExp(`192\\.0\\.2\\.1:${port}: .*EADDRNOTAVAIL`));
    const st = s.llm.status().gateway;
    expect(st.addresses).toEqual(['127.0.0.1', '127.0.0.2']);
    expect(st.detail).toContain('not on 192.0.2.1');
  });
});

describe.skipIf(skip)('gateway model check without a ready LiteLLM', () => {
  let idle: LlmStack;
  beforeAll(async () => {
    idle = await startLlmStack({ wait: false, providers: false });
  });
  afterAll(async () => {
    await idle?.close();
  });

  it('answers 503 with why instead of claiming the model is not served', async () => {
    const k = idle.keys.mint({ owner: 'agent-x', models: ['*'] }).key;
    const r = await get(`${idle.gateway}/v1/agentdesk/models/scripted/gpt-test-mini`, {
      authorization: `Bearer ${k}`,
    });
    expect(r.status).toBe(503);
    expect(JSON.stringify(r.json)).toContain('No model is configured');
  });
});
