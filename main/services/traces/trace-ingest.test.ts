// Ingest from the gateway: llm_call records of agents become trace events (tied to a relayed turn by time), runtime tool events keep their turn.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TraceEvent, TraceQuery } from '../../../contract/traces';
import { parseTraceBatch } from '../llm/agent-trace';
import type { LlmCall } from '../llm/llm-calls';
import { MemoryLlmCallSink } from '../llm/llm-calls';
import { llmCallEvent, RecorderAgentTraceSink, runtimeEvent, TracingLlmCallSink } from './trace-ingest';
import { TraceRecorder } from './trace-recorder';
import { TurnWindows } from './turn-windows';

const AGENT = '11111111-1111-4111-8111-111111111111';
const T0 = Date.UTC(2024, 4, 1, 14, 30);
const log = pino({ level: 'silent' });

function call(over: Partial<LlmCall> = {}): LlmCall {
  return {
    v: 1,
    id: crypto.randomUUID(),
    kind: 'llm_call',
    created_at: T0 + 500,
    owner: AGENT,
    key_id: 'vk_1',
    provider: 'scripted',
    model: 'scripted/gpt-test-mini',
    path: '/v1/chat/completions',
    stream: true,
    status: 200,
    duration_ms: 41.7,
    ttft_ms: 12,
    tokens_in: 30,
    tokens_out: 7,
    cost_usd: 0.00012,
    error: null,
    ...over,
  };
}

let data: string;
let recorder: TraceRecorder;

beforeEach(() => {
  data = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-test-ingest-'));
  fs.mkdirSync(path.join(data, AGENT));
  recorder = new TraceRecorder({
    traceDirOf: (id) => (id === AGENT ? path.join(data, AGENT, 'trace') : null),
    allTraceDirs: () => [path.join(data, AGENT, 'trace')],
    log,
    now: () => T0,
    maintenanceMs: 0,
  });
});
afterEach(async () => {
  await recorder.close();
  fs.rmSync(data, { recursive: true, force: true });
});

describe('llm_call records', () => {
  it('map to a valid llm_call event with model, tokens, cost, latency and the request summary', () => {
    const e = llmCallEvent(call())!;
    expect(TraceEvent.parse(e)).toMatchObject({
      kind: 'llm_call',
      agent_id: AGENT,
      trace_id: null,
      provider: 'scripted',
      model: 'scripted/gpt-test-mini',
      tokens_in: 30,
      tokens_out: 7,
      cost_usd: 0.00012,
      duration_ms: 42,
      payload: { path: '/v1/chat/completions', stream: true, status: 200, ttft_ms: 12, finish_reason: null },
    });
    expect(llmCallEvent(call({ owner: null }))).toBeNull();
  });

  it('carry the model that answered, the one asked for when it differs, and whether the usage is estimated', () => {
    const e = llmCallEvent(
      call({ model: 'other/gpt-4o-mini', requested_model: 'scripted/gpt-test-mini', usage_estimated: true }),
    )!;
    expect(TraceEvent.parse(e)).toMatchObject({
      model: 'other/gpt-4o-mini',
      payload: { requested_model: 'scripted/gpt-test-mini', usage_estimated: true },
    });
    expect(TraceEvent.parse(llmCallEvent(call())!).payload).not.toHaveProperty('requested_model');
  });

  it('are tied to the one relayed turn they fell in, and left untied when two turns overlap', async () => {
    const turns = new TurnWindows(() => T0);
    const inner = new MemoryLlmCallSink();
    const sink = new TracingLlmCallSink(inner, recorder, turns, log);
    turns.begin(AGENT, 'turn-a', 'thread-a', T0);
    sink.record(call({ created_at: T0 + 100 }));
    turns.end(AGENT, 'turn-a', T0 + 1000);
    sink.record(call({ created_at: T0 + 900 })); // recorded after the turn ended, made during it
    turns.begin(AGENT, 'turn-b', 'thread-b', T0 + 2000);
    turns.begin(AGENT, 'turn-c', 'thread-c', T0 + 2100);
    sink.record(call({ created_at: T0 + 2500 }));
    sink.record(call({ owner: null })); // a key without owner: the gateway log only
    await sink.flush();
    expect(inner.calls).toHaveLength(4);
    const { events } = await recorder.query(TraceQuery.parse({ agent_id: AGENT }));
    expect(events.map((e) => [e.trace_id, e.thread_id])).toEqual([
      ['turn-a', 'thread-a'],
      ['turn-a', 'thread-a'],
      [null, null],
    ]);
    expect(events[0]!.kind === 'llm_call' && events[0]!.payload.turn_match).toBe('time');
  });
});

describe('runtime tool events', () => {
  it('keep their turn, parent and thread, are cut at 64 KiB, and are durable when append resolves', async () => {
    const callId = crypto.randomUUID();
    const parsed = parseTraceBatch({
      events: [
        {
          id: callId,
          trace_id: 'turn-1',
          parent_id: null,
          created_at: T0,
          kind: 'tool_call',
          thread_id: 'thread-1',
          payload: { name: 'shell', arguments: '{"command":"echo hi"}', call_id: 'call_1' },
        },
        {
          id: crypto.randomUUID(),
          trace_id: 'turn-1',
          parent_id: callId,
          created_at: T0 + 5,
          kind: 'tool_result',
          thread_id: 'thread-1',
          payload: {
            name: 'shell',
            output: 'y'.repeat(70_000),
            exit_code: 0,
            size: 70_000,
            truncated: false,
          },
        },
        {
          id: crypto.randomUUID(),
          trace_id: 'turn-1',
          parent_id: null,
          created_at: T0 + 6,
          kind: 'error',
          thread_id: 'thread-1',
          payload: { message: 'step limit reached\nmore' },
        },
      ],
    });
    if (!parsed.ok) throw new Error(parsed.error);
    for (const e of parsed.events) expect(() => TraceEvent.parse(runtimeEvent(AGENT, e))).not.toThrow();
    await new RecorderAgentTraceSink(recorder).append(AGENT, parsed.events);
    expect(fs.existsSync(path.join(data, AGENT, 'trace', '2024-05-01T14.db'))).toBe(true);
    const written = (await recorder.query(TraceQuery.parse({ agent_id: AGENT }))).events;
    expect(written.map((e) => [e.kind, e.trace_id, e.agent_id])).toEqual([
      ['tool_call', 'turn-1', AGENT],
      ['tool_result', 'turn-1', AGENT],
      ['error', 'turn-1', AGENT],
    ]);
    const result = written[1]!;
    expect(result.parent_id).toBe(callId);
    expect(result.kind === 'tool_result' && result.payload).toMatchObject({ size: 70_000, truncated: true });
    expect(result.kind === 'tool_result' && result.payload.output.length).toBe(64 * 1024);
    expect(written[2]!.error).toBe('step limit reached');
  });
});
