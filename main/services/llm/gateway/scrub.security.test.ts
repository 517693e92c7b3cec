// Attacker tests: a provider echoing secrets (in errors, headers, streamed error events) and a page calling the gateway by another Host name.
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../../../../test/agents';
import { withModelApis } from '../../../../test/fixtures/scripted-llm';
import { ScriptedUpstream } from '../../../../test/fixtures/scripted-upstream';
import { litellmInstalled, post, postStream, startLlmStack } from '../../../../test/llm-stack';
import type { LlmStack } from '../../../../test/llm-stack';
import { skipUnlessReal } from '../../../../test/real';
import { VirtualKeys } from '../virtual-keys';

const skip = skipUnlessReal(litellmInstalled(), 'LiteLLM (the app venv: scripts/bootstrap-linux.sh)');
/**
 * The key of provider `plain`: a shape LiteLLM's own log and error redaction does not know (it masks
 * `sk-…`, `AIza…` and the like; Mistral, self-hosted servers and many others use bare random strings),
 * so only Agent Desk's redaction stands between it and the agent.
 */
const PLAIN_KEY = `Qm7vT2${'pL9x'.repeat(9)}`;
/** Long enough to be unmistakable: the first 12 characters of the key. */
const KEY_PREFIX = PLAIN_KEY.slice(0, 12);
const MODEL = 'plain/gpt-test-mini';

let s: LlmStack;
let up: ScriptedUpstream;
let key: string;
const chat = (k: string, content = 'hi', extra: Record<string, unknown> = {}) =>
  post(
    `${s.gateway}/v1/chat/completions`,
    { model: MODEL, messages: [{ role: 'user', content }], ...extra },
    { authorization: `Bearer ${k}` },
  );

/** Answers every chat request of `plain`'s upstream with `status` and an OpenAI error whose message is `message`. */
function upstreamError(status: number, message: string, headers: Record<string, string> = {}): void {
  up.on('POST', '/v1/chat/completions', (_req, res) => {
    res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
    res.end(JSON.stringify({ error: { message, type: 'invalid_request_error', code: null, param: null } }));
  });
}

describe.skipIf(skip)('secrets a provider echoes never reach an agent, a log or the status', () => {
  beforeAll(async () => {
    up = await withModelApis(new ScriptedUpstream({ key: PLAIN_KEY, models: ['gpt-test-mini'] })).start();
    s = await startLlmStack({ wait: false });
    s.env.AGENTDESK_KEY_PLAIN = PLAIN_KEY;
    s.addProvider('plain', 'openai-compatible', up.v1, ['gpt-test-mini']);
    await s.llm.reload();
    await s.llm.active!.proc.whenReady();
    key = s.keys.mint({ owner: 'agent-a', models: ['plain/*'] }).key;
  });
  afterEach(() => {
    withModelApis(up); // the normal routes again
  });
  afterAll(async () => {
    await s?.close();
    await up?.stop();
  });

  it('a provider error echoing its key: not in the answer, LiteLLM’s log, or the status’ last lines', async () => {
    upstreamError(500, `Invalid key ${PLAIN_KEY} for this project`);
    const r = await chat(key);
    expect(r.status).toBe(502);
    expect(r.text).toContain('[REDACTED]');
    expect(r.text).not.toContain(KEY_PREFIX);
    // LiteLLM logs the provider's error on its stderr; wait until it did, then check every place it went.
    const log = s.llm.logFile;
    await until(
      () => (fs.existsSync(log) ? fs.readFileSync(log, 'utf8') : ''),
      (text) => text.includes('Invalid key'),
      20_000,
      'LiteLLM to log the provider error',
    );
    expect(fs.readFileSync(log, 'utf8')).not.toContain(KEY_PREFIX);
    expect(JSON.stringify(s.llm.status())).not.toContain(KEY_PREFIX);
  });

  it('a key straddling the 2 000-character cut of an error message leaves no prefix behind', async () => {
    // LiteLLM puts its own text before the provider's message: measure it once with a marker, then pad
    // the message so that the key starts 6 and 30 characters before the 2 000-character cut.
    upstreamError(500, 'MARKER-7f3a');
    const probe = (await chat(key)).json() as { error: { message: string } };
    const litellmPrefix = probe.error.message.indexOf('MARKER-7f3a') - 'Upstream failure: '.length;
    expect(litellmPrefix).toBeGreaterThan(0);
    for (const before of [6, 30]) {
      const pad = 2000 - litellmPrefix - before;
      upstreamError(500, `${'x'.repeat(pad)}${PLAIN_KEY}`);
      const r = await chat(key);
      expect(r.status).toBe(502);
      expect(r.text, `${before} characters of the key before the cut`).not.toContain(PLAIN_KEY.slice(0, 6));
      expect(r.text).toContain('x'.repeat(100)); // the message itself did come through, cut
    }
  });

  it('a virtual key minted before this run (unknown to this process) is redacted by its shape: in a stored trace event', async () => {
    const earlier = new VirtualKeys(s.db).mint({ owner: 'agent-old', models: ['*'] }).key; // no redactor hook
    const r = await post(
      `${s.gateway}/v1/agentdesk/trace`,
      {
        events: [
          {
            id: crypto.randomUUID(),
            trace_id: 'turn-1',
            parent_id: null,
            created_at: Date.now(),
            kind: 'tool_result',
            thread_id: 'thread-1',
            payload: { name: 'shell', output: `OPENAI_API_KEY=${earlier}\nHOME=/home/agent`, exit_code: 0 },
          },
        ],
      },
      { authorization: `Bearer ${key}` },
    );
    expect(r.status).toBe(200);
    const stored = fs.readFileSync(path.join(s.home, 'logs', 'agent-trace.jsonl'), 'utf8');
    expect(stored).toContain('OPENAI_API_KEY=[REDACTED]');
    expect(stored).not.toContain(earlier.slice(0, 20));
  });

  it('provider response headers (llm_provider-*) and LiteLLM’s own never reach the agent', async () => {
    up.on('POST', '/v1/chat/completions', (req, res) => {
      res.writeHead(200, {
        'Content-Type': 'application/json',
        'X-Echo': PLAIN_KEY,
        'X-Request-Id': 'req-1',
      });
      res.end(
        JSON.stringify({
          id: 'c',
          object: 'chat.completion',
          created: 1,
          model: (JSON.parse(req.body) as { model: string }).model,
          choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }],
          usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
        }),
      );
    });
    const r = await chat(key);
    expect(r.status).toBe(200);
    expect(JSON.stringify(r.headers)).not.toContain(KEY_PREFIX);
    expect(Object.keys(r.headers).filter((h) => /^(llm_provider-|x-litellm)/.test(h))).toEqual([]);
    upstreamError(400, 'bad request', { 'X-Echo': PLAIN_KEY });
    const e = await chat(key);
    expect(e.status).toBe(400);
    expect(JSON.stringify(e.headers)).not.toContain(KEY_PREFIX);
  });

  it('a streamed error event echoing the key mid-stream is scrubbed', async () => {
    up.on('POST', '/v1/chat/completions', (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/event-stream' });
      res.write(
        'data: {"id":"x","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":"a"}}]}\n\n',
      );
      // The key split across two writes, as a slow provider might send it.
      const event = `data: {"error":{"message":"quota of ${PLAIN_KEY} exhausted","type":"server_error"}}\n\n`;
      const cut = event.indexOf(PLAIN_KEY) + 10;
      res.write(event.slice(0, cut));
      setTimeout(() => res.end(event.slice(cut)), 50);
    });
    const r = await postStream(
      `${s.gateway}/v1/chat/completions`,
      { model: MODEL, stream: true, messages: [{ role: 'user', content: 'hi' }] },
      { authorization: `Bearer ${key}` },
    );
    expect(r.status).toBe(200);
    expect(r.text).toContain('"error"');
    expect(r.text).not.toContain(KEY_PREFIX);
  });

  it('Host must name the gateway (DNS rebinding): another name gets a JSON 403, whatever the path and key', async () => {
    const port = s.llm.gateway.port;
    const before = up.requests.length;
    const send = (path: string, host: string, method = 'POST') =>
      new Promise<{ status: number; text: string }>((resolve, reject) => {
        const body = JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: 'hi' }] });
        const req = http.request(
          {
            host: '127.0.0.1',
            port,
            path,
            method,
            agent: false,
            headers: {
              host,
              authorization: `Bearer ${key}`,
              'content-type': 'application/json',
              ...(method === 'POST' ? { 'content-length': Buffer.byteLength(body) } : {}),
            },
          },
          (res) => {
            let text = '';
            res.setEncoding('utf8');
            res.on('data', (c: string) => (text += c));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
          },
        );
        req.on('error', reject);
        req.end(method === 'POST' ? body : undefined);
      });
    for (const host of [
      'evil.example',
      `evil.example:${port}`,
      `127.0.0.1.nip.io:${port}`,
      `127.0.0.1:${port + 1}`,
    ]) {
      for (const [path, method] of [
        ['/v1/chat/completions', 'POST'],
        ['/v1/models', 'GET'],
        ['/v1/agentdesk/trace', 'POST'],
      ] as const) {
        const r = await send(path, host, method);
        expect(r.status, `${host} ${path}`).toBe(403);
        expect((JSON.parse(r.text) as { error: { code: string } }).error.code).toBe('host_not_allowed');
      }
    }
    expect(up.requests.length).toBe(before);
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `LOCALHOST:${port}`])
      expect((await send('/v1/chat/completions', host)).status, host).toBe(200);
  });
});
