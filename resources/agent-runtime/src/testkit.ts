// Test helpers for the runtime: a scripted gateway (fixture upstream + tool-call scripts + trace sink), SSE client, temp homes.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import type http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { withModelApis } from '../../../test/fixtures/scripted-llm';
import type { RecordedRequest } from '../../../test/fixtures/scripted-upstream';
import { ScriptedUpstream } from '../../../test/fixtures/scripted-upstream';
import type { RuntimeConfig } from './config';
import { loadConfig } from './config';
import type { RuntimeServer } from './server';
import { startServer } from './server';
import { TraceClient } from './trace';

/** The test model and a virtual-key-shaped key. */
export const MODEL = 'scripted/gpt-test-mini';
export const KEY = `sk-agentdesk-test${randomBytes(16).toString('hex')}`;

/** One scripted model step: call `tool` with `args`; steps beyond the script answer with the fixture's text. */
export interface ScriptStep {
  tool: string;
  args: unknown;
}

/**
 * `#script=<base64url JSON>` for a user message: the model answers step i of the turn (i = assistant
 * messages after that user message) with the scripted tool call. Stands in for a fixture directive
 * `#tool=NAME` with chosen arguments, which scripted-llm.ts does not have (it always sends
 * `{"city":"Paris"}`).
 */
export function script(...steps: ScriptStep[]): string {
  return `#script=${Buffer.from(JSON.stringify(steps)).toString('base64url')}`;
}

type Msg = { role: string; content?: unknown };

function scriptedStep(body: { messages?: Msg[] }): ScriptStep | null {
  const msgs = body.messages ?? [];
  const lastUser = msgs.map((m) => m.role).lastIndexOf('user');
  const content = msgs[lastUser]?.content;
  const m = /#script=([\w-]+)/.exec(typeof content === 'string' ? content : '');
  if (!m) return null;
  const steps = JSON.parse(Buffer.from(m[1]!, 'base64url').toString()) as ScriptStep[];
  const done = msgs.slice(lastUser + 1).filter((x) => x.role === 'assistant').length;
  return steps[done] ?? null;
}

function streamToolCall(res: http.ServerResponse, model: unknown, step: ScriptStep, n: number): void {
  const args = JSON.stringify(step.args);
  const base = { id: 'chatcmpl-script', object: 'chat.completion.chunk', created: 1, model };
  const chunk = (delta: unknown, finish: string | null = null) =>
    res.write(
      `data: ${JSON.stringify({ ...base, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`,
    );
  res.writeHead(200, { 'Content-Type': 'text/event-stream' });
  const id = `call_script_${n}`;
  chunk({
    role: 'assistant',
    tool_calls: [{ index: 0, id, type: 'function', function: { name: step.tool, arguments: '' } }],
  });
  const cut = Math.ceil(args.length / 2);
  for (const part of [args.slice(0, cut), args.slice(cut)])
    chunk({ tool_calls: [{ index: 0, function: { arguments: part } }] });
  chunk({}, 'tool_calls');
  res.end('data: [DONE]\n\n');
}

/** A scripted gateway: the fixture's model APIs behind `key`, `#script=` tool calls, and a trace sink. */
export interface Gateway {
  up: ScriptedUpstream;
  /** Trace events received, in order of arrival. */
  traces(): { headers: http.IncomingHttpHeaders; events: Record<string, unknown>[] }[];
  /** Status the trace endpoint answers from now on (200 = accept). */
  traceStatus: number;
  stop(): Promise<void>;
}

/** Starts the scripted gateway on 127.0.0.1 (OPENAI_BASE_URL = `up.v1`). */
export async function startGateway(key = KEY): Promise<Gateway> {
  const inner = await withModelApis(new ScriptedUpstream()).start();
  const up = withModelApis(new ScriptedUpstream({ key, models: [MODEL] }));
  let calls = 0;
  const gw: Gateway = {
    up,
    traceStatus: 200,
    traces: () =>
      up.requestsTo('/v1/agentdesk/trace').map((r: RecordedRequest) => ({
        headers: r.headers,
        events: (JSON.parse(r.body) as { events: Record<string, unknown>[] }).events,
      })),
    async stop() {
      await up.stop();
      await inner.stop();
    },
  };
  up.on('POST', '/v1/chat/completions', async (req, res) => {
    const body = JSON.parse(req.body) as { model?: unknown; messages?: Msg[] };
    const step = scriptedStep(body);
    if (step) return streamToolCall(res, body.model, step, ++calls);
    const answer = await fetch(`${inner.v1}/chat/completions`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: req.body,
    });
    res.writeHead(answer.status, { 'Content-Type': answer.headers.get('content-type') ?? 'text/plain' });
    for await (const c of answer.body ?? []) res.write(c);
    res.end();
  });
  up.on('POST', '/v1/agentdesk/trace', (req, res) => {
    const n = (JSON.parse(req.body) as { events: unknown[] }).events.length;
    if (gw.traceStatus === 200) return up.json(res, 200, { accepted: n });
    up.json(res, gw.traceStatus, { error: { message: `trace store unavailable (${gw.traceStatus})` } });
  });
  await up.start();
  return gw;
}

/** A fresh temp folder `agentdesk-test-runtime-<random>` to serve as AGENTDESK_HOME_DIR. */
export async function tempHome(): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), 'agentdesk-test-runtime-'));
}

/** The runtime credential of test runtimes (the app mints a random one per agent). */
export const TEST_CREDENTIAL = 'test-runtime-credential-0123456789';

/** `fetch` to a test runtime as the core does it: with the credential, and JSON bodies. */
export function rtFetch(url: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (!headers.has('Authorization')) headers.set('Authorization', `Bearer ${TEST_CREDENTIAL}`);
  if (init.body !== undefined && !headers.has('Content-Type'))
    headers.set('Content-Type', 'application/json');
  return fetch(url, { ...init, headers });
}

/** Config for an in-process runtime on 127.0.0.1 and a free port. */
export function testConfig(baseUrl: string, home: string, env: Record<string, string> = {}): RuntimeConfig {
  return loadConfig({
    OPENAI_BASE_URL: baseUrl,
    OPENAI_API_KEY: KEY,
    AGENTDESK_MODEL: MODEL,
    AGENTDESK_AGENT_ID: 'agent-test',
    AGENTDESK_HOST: '127.0.0.1',
    AGENTDESK_PORT: '0',
    AGENTDESK_HOME_DIR: home,
    AGENTDESK_RUNTIME_TOKEN: TEST_CREDENTIAL,
    ...env,
  });
}

/** Starts the runtime in-process with a fast-retrying trace client. */
export async function startRuntime(config: RuntimeConfig): Promise<RuntimeServer & { url: string }> {
  const trace = new TraceClient({ baseUrl: config.baseUrl, apiKey: config.apiKey, backoffMs: [20, 40, 80] });
  const server = await startServer(config, { trace });
  return { ...server, url: `http://127.0.0.1:${server.port}` };
}

/** One parsed SSE event. */
export interface Sse {
  event: string;
  data: Record<string, unknown>;
}

/** Parses a whole `text/event-stream` body (comments skipped). */
export function parseSse(text: string): Sse[] {
  return text
    .split('\n\n')
    .filter((block) => /^event: /m.test(block))
    .map((block) => ({
      event: /^event: (.*)$/m.exec(block)![1]!,
      data: JSON.parse(/^data: (.*)$/m.exec(block)![1]!) as Record<string, unknown>,
    }));
}

/** `POST /turn` and reads the whole stream. */
export async function turn(
  url: string,
  body: unknown,
): Promise<{ status: number; events: Sse[]; text: string }> {
  const res = await rtFetch(`${url}/turn`, {
    method: 'POST',
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, events: res.ok ? parseSse(text) : [], text };
}

/** The events named `name`. */
export function named(events: Sse[], name: string): Record<string, unknown>[] {
  return events.filter((e) => e.event === name).map((e) => e.data);
}

/** True while `pid` runs; a zombie (killed, not yet reaped by an init that may never reap it) counts as gone. */
export function processAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) [ZX] /.test(stat);
  } catch {
    return false;
  }
}
