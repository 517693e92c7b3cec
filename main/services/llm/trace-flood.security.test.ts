// A prompt-injected agent flooding its trace through the real gateway: refused with 429 past its own limits, other agents unharmed.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TraceQuery } from '../../../contract/traces';
import { until } from '../../../test/agents';
import { litellmInstalled, post, startLlmStack } from '../../../test/llm-stack';
import type { LlmStack } from '../../../test/llm-stack';
import { skipUnlessReal } from '../../../test/real';
import { RecorderAgentTraceSink } from '../traces/trace-ingest';
import { TraceRecorder } from '../traces/trace-recorder';
import { TRACE_MAX_BODY_BYTES } from './agent-trace';
import { DEFAULT_TRACE_LIMITS } from './trace-quota';

const skip = skipUnlessReal(litellmInstalled(), 'LiteLLM (the app venv: scripts/bootstrap-linux.sh)');
const FLOODER = '66666666-6666-4666-8666-666666666666';
const BYSTANDER = '77777777-7777-4777-8777-777777777777';
const HOARDER = '88888888-8888-4888-8888-888888888888';
const AGENTS = [FLOODER, BYSTANDER, HOARDER];

const toolCall = () => ({
  id: crypto.randomUUID(),
  trace_id: 'turn-1',
  parent_id: null,
  created_at: Date.now(),
  kind: 'tool_call',
  thread_id: 'thread-1',
  payload: { name: 'shell', arguments: '{"command":"id"}' },
});

/** A body of one tool_result whose output fills the request up to the 1 MiB body limit. */
function fullBody(): string {
  const event = { ...toolCall(), kind: 'tool_result', payload: { name: 'shell', output: '', exit_code: 0 } };
  const empty = JSON.stringify({ events: [event] }).length;
  event.payload.output = 'o'.repeat(TRACE_MAX_BODY_BYTES - empty);
  return JSON.stringify({ events: [event] });
}

let s: LlmStack;
let data: string;
let recorder: TraceRecorder;
const keys: Record<string, string> = {};
const dirOf = (id: string) => path.join(data, 'agents', id, 'trace');
const eventsOf = async (agent: string) =>
  (await recorder.query(TraceQuery.parse({ agent_id: agent, limit: 1000 }))).events;
const postAs = (agent: string, body: unknown) =>
  post(`${s.gateway}/v1/agentdesk/trace`, body, { authorization: `Bearer ${keys[agent]}` });

/** Posts `body()` as `agent`, `concurrency` at a time, until a refusal or `max` posts; the statuses in order of answer. */
async function flood(agent: string, body: () => unknown, max: number, concurrency: number) {
  const answers: Awaited<ReturnType<typeof post>>[] = [];
  let sent = 0;
  const worker = async () => {
    while (sent < max && !answers.some((a) => a.status !== 200)) {
      sent++;
      answers.push(await postAs(agent, body()));
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return answers;
}

describe.skipIf(skip)('trace limits per agent (real gateway, real trace store)', () => {
  beforeAll(async () => {
    data = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-test-traceflood-'));
    for (const id of AGENTS) fs.mkdirSync(path.join(data, 'agents', id), { recursive: true });
    recorder = new TraceRecorder({
      traceDirOf: (id) => (AGENTS.includes(id) ? dirOf(id) : null),
      allTraceDirs: () => AGENTS.map(dirOf),
      log: pino({ level: 'silent' }),
      maintenanceMs: 0,
    });
    s = await startLlmStack({
      wait: false,
      providers: false,
      deps: { traceSink: new RecorderAgentTraceSink(recorder) },
    });
    for (const id of AGENTS) keys[id] = s.keys.mint({ owner: id, models: ['*'] }).key;
  });
  afterAll(async () => {
    await s?.close();
    await recorder?.close();
    if (data) fs.rmSync(data, { recursive: true, force: true });
  });

  it(`refuses post ${DEFAULT_TRACE_LIMITS.postsPerMinute + 1} of an agent within a minute with 429, and records why in its trace`, async () => {
    const limit = DEFAULT_TRACE_LIMITS.postsPerMinute;
    const answers = await flood(FLOODER, () => ({ events: [toolCall()] }), 2 * limit, 8);
    const refused = answers.find((a) => a.status !== 200);
    expect(refused?.status).toBe(429);
    // The flood takes a few seconds, far less than the minute: exactly the limit got through.
    expect(answers.filter((a) => a.status === 200)).toHaveLength(limit);
    expect(refused!.text).toContain(`Trace rate limit of this agent reached: ${limit} posts per minute`);
    expect(JSON.parse(refused!.text)).toMatchObject({ error: { code: 'trace_rate_limited' } });
    expect(Number(refused!.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    // Another agent is not held back by the flood.
    const other = toolCall();
    expect((await postAs(BYSTANDER, { events: [other] })).status).toBe(200);
    expect((await eventsOf(BYSTANDER)).map((e) => e.id)).toEqual([other.id]);
    // The flooder keeps being refused, and its trace says why (one event, not one per refusal).
    expect((await postAs(FLOODER, { events: [toolCall()] })).status).toBe(429);
    const errors = await until(
      async () => (await eventsOf(FLOODER)).filter((e) => e.kind === 'error'),
      (list) => list.length > 0,
      10_000,
      "the limit event in the flooder's trace",
    );
    expect(errors).toHaveLength(1);
    expect(errors[0]!.error).toMatch(/refused this agent's trace events: Trace rate limit/);
    expect((await eventsOf(FLOODER)).filter((e) => e.kind === 'tool_call')).toHaveLength(limit);
  });

  it('refuses an agent past 64 MiB of trace in an hour, before reading the body', async () => {
    const perHour = DEFAULT_TRACE_LIMITS.bytesPerHour;
    const body = fullBody();
    const fit = Math.floor(perHour / Buffer.byteLength(body));
    const answers = await flood(HOARDER, () => body, fit + 5, 2);
    expect(answers.filter((a) => a.status === 200)).toHaveLength(fit);
    const refused = answers.find((a) => a.status !== 200)!;
    expect(refused.status).toBe(429);
    expect(refused.text).toContain('Trace quota of this agent reached: 64 MiB of events per hour');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(60);
    // Small posts of other agents still pass.
    expect((await postAs(BYSTANDER, { events: [toolCall()] })).status).toBe(200);
    const errors = await until(
      async () => (await eventsOf(HOARDER)).filter((e) => e.kind === 'error'),
      (list) => list.length > 0,
      10_000,
      "the quota event in the hoarder's trace",
    );
    expect(errors[0]!.error).toMatch(/Trace quota of this agent reached/);
  });
});
