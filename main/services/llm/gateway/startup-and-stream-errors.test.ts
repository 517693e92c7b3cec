// The gateway holds a request while LiteLLM starts (instead of a 503 at once), and records an error inside a 200 stream as a failed call.
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { post } from '../../../../test/llm-stack';
import { createLogger } from '../../../platform/logging';
import { openDatabase } from '../../storage/database';
import type { Db } from '../../storage/database';
import { Gateway } from './gateway';
import type { GatewayTarget } from './target';
import { MemoryLlmCallSink } from '../llm-calls';
import { SseErrorScrubber } from './stream';
import { loadUpstreamClient, upstreamAgent } from './upstream';
import { VirtualKeys } from '../virtual-keys';

let dir: string;
let db: Db;
let keys: VirtualKeys;
let key: string;
let fakeLitellm: http.Server;
let target: GatewayTarget;
const gateways: Gateway[] = [];

/** A stand-in for LiteLLM: streams the model's text, then LiteLLM's error event (llama-server refused a tool call). */
function answer(_req: http.IncomingMessage, res: http.ServerResponse): void {
  _req.resume();
  res.writeHead(200, { 'Content-Type': 'text/event-stream' });
  res.write(`data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: '{"name": "bro' } }] })}\n\n`);
  res.write(`data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: 'wse"' } }] })}\n\n`);
  res.end(
    `data: ${JSON.stringify({ error: { message: 'litellm.APIConnectionError: the tool call does not match the expected format' } })}\n\n`,
  );
}

beforeAll(async () => {
  await loadUpstreamClient();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-test-gwhold-'));
  db = openDatabase(path.join(dir, 'agentdesk.db'));
  keys = new VirtualKeys(db);
  key = keys.mint({ owner: 'agent-a', models: ['local/*'] }).key;
  fakeLitellm = http.createServer(answer);
  await new Promise<void>((r) => fakeLitellm.listen(0, '127.0.0.1', r));
  target = {
    host: '127.0.0.1',
    port: (fakeLitellm.address() as AddressInfo).port,
    masterKey: 'sk-master',
    dispatcher: upstreamAgent(),
    inflight: 0,
  };
});
afterAll(async () => {
  for (const g of gateways) await g.stop(0);
  fakeLitellm.close();
  db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function gateway(opts: {
  target: () => GatewayTarget | null;
  waitForTarget?: () => Promise<void>;
  sink?: MemoryLlmCallSink;
}): Promise<string> {
  const gw = new Gateway({
    binds: ['127.0.0.1'],
    port: 0,
    keys,
    sink: opts.sink ?? new MemoryLlmCallSink(),
    target: opts.target,
    waitForTarget: opts.waitForTarget,
    unavailable: () => ({ message: 'LiteLLM is starting.', retryAfterS: 5 }),
    log: createLogger({ dir: null, level: 'silent' }),
  });
  await gw.start();
  gateways.push(gw);
  return `http://127.0.0.1:${gw.port}/v1/chat/completions`;
}

const body = { model: 'local/qwen', stream: true, messages: [{ role: 'user', content: 'hi' }] };

describe('gateway while LiteLLM starts', () => {
  it('holds a request until LiteLLM is ready, then forwards it (no 503 for the first chat after adding a provider)', async () => {
    let ready = false;
    const url = await gateway({
      target: () => (ready ? target : null),
      waitForTarget: async () => {
        for (let i = 0; i < 100 && !ready; i++) await new Promise((r) => setTimeout(r, 20));
      },
    });
    setTimeout(() => (ready = true), 300);
    const r = await post(url, body, { authorization: `Bearer ${key}` });
    expect(r.status).toBe(200);
  });

  it('answers 503 with Retry-After when LiteLLM is still not ready after the hold', async () => {
    const url = await gateway({ target: () => null, waitForTarget: () => Promise.resolve() });
    const r = await post(url, body, { authorization: `Bearer ${key}` });
    expect(r.status).toBe(503);
    expect(r.headers['retry-after']).toBe('5');
  });
});

describe('an error inside a 200 stream', () => {
  it('is recorded as a failed call, with the model’s text before the error', async () => {
    const sink = new MemoryLlmCallSink();
    const url = await gateway({ target: () => target, sink });
    const r = await post(url, body, { authorization: `Bearer ${key}` });
    expect(r.status).toBe(200);
    // The record is written when the gateway's response closes, just after the caller read the end.
    await vi.waitFor(() => expect(sink.calls).toHaveLength(1), { timeout: 5000 });
    const [call] = sink.calls;
    expect(call).toMatchObject({ status: 200, model: 'local/qwen' });
    expect(call!.error).toBe(
      'litellm.APIConnectionError: the tool call does not match the expected format — the model\'s output before the error: {"name": "browse"',
    );
  });

  it('the error is scrubbed of secrets before it is recorded', async () => {
    const secret = 'sk-proj-' + 'Q'.repeat(40);
    const sink = new MemoryLlmCallSink();
    const leaky = http.createServer((req, res) => {
      req.resume();
      res.writeHead(200, { 'Content-Type': 'text/event-stream' });
      res.end(`data: ${JSON.stringify({ error: { message: `bad key ${secret}` } })}\n\n`);
    });
    await new Promise<void>((r) => leaky.listen(0, '127.0.0.1', r));
    try {
      const leakyTarget = { ...target, port: (leaky.address() as AddressInfo).port };
      const gw = new Gateway({
        binds: ['127.0.0.1'],
        port: 0,
        keys,
        sink,
        target: () => leakyTarget,
        unavailable: () => ({ message: 'LiteLLM is starting.', retryAfterS: 5 }),
        scrub: (t) => t.split(secret).join('[redacted]'),
        log: createLogger({ dir: null, level: 'silent' }),
      });
      await gw.start();
      gateways.push(gw);
      const r = await post(`http://127.0.0.1:${gw.port}/v1/chat/completions`, body, {
        authorization: `Bearer ${key}`,
      });
      expect(r.status).toBe(200);
      expect(r.text).not.toContain(secret);
      await vi.waitFor(() => expect(sink.calls).toHaveLength(1), { timeout: 5000 });
      expect(sink.calls[0]!.error).toBe('bad key [redacted]');
    } finally {
      leaky.close();
    }
  });

  it('the scrubber notes nothing in a stream without an error event, and an error split across chunks', () => {
    const same = (t: string) => t;
    const clean = new SseErrorScrubber(same);
    clean.push(Buffer.from('data: {"choices":[{"delta":{"content":"an \\"error\\" word"}}]}\n\n'));
    clean.end();
    expect(clean.streamError()).toBeNull();
    const split = new SseErrorScrubber(same);
    const event = `data: ${JSON.stringify({ error: { message: 'boom' } })}\n\n`;
    const out = Buffer.concat([
      split.push(Buffer.from(event.slice(0, 12))),
      split.push(Buffer.from(event.slice(12))),
      split.end(),
    ]);
    expect(out.toString('utf8')).toBe(event);
    expect(split.streamError()).toBe('boom');
  });

  it('notes the Responses API error event, and keeps only the last 16 KiB of the model’s text', () => {
    const g = new SseErrorScrubber((t) => t);
    const delta = (s: string) => `data: ${JSON.stringify({ choices: [{ delta: { content: s } }] })}\n\n`;
    for (const letter of 'ABCD') g.push(Buffer.from(delta(letter.repeat(6000))));
    g.push(
      Buffer.from(`event: error\ndata: ${JSON.stringify({ type: 'error', message: 'rate limited' })}\n\n`),
    );
    g.end();
    const error = g.streamError()!;
    // The oldest chunk fell out of the tail; the text shown is cut at 2000 characters.
    expect(error.startsWith(`rate limited — the model's output before the error: ${'B'.repeat(1999)}…`)).toBe(
      true,
    );
    expect(error).not.toContain('A');
  });
});
