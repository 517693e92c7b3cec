// Trace bodies from runtimes: what is accepted, how it is normalised, what a bad body is told; the JSONL sink on a real file.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cutUtf8, parseTraceBatch, TRACE_TEXT_LIMIT_BYTES } from './agent-trace';
import type { AgentTraceEvent } from './agent-trace';
import { JsonlAgentTraceSink } from './agent-trace-sink';

const base = () => ({
  id: crypto.randomUUID(),
  trace_id: 'turn-1',
  parent_id: null,
  created_at: Date.now(),
  thread_id: 'thread-1',
});
const call = { ...base(), kind: 'tool_call', payload: { name: 'shell', arguments: '{"command":"ls"}' } };

function events(body: unknown): AgentTraceEvent[] {
  const r = parseTraceBatch(body);
  if (!r.ok) throw new Error(r.error);
  return r.events;
}
function error(body: unknown): string {
  const r = parseTraceBatch(body);
  if (r.ok) throw new Error('accepted a bad body');
  return r.error;
}

describe('trace body', () => {
  it('accepts the three kinds and drops fields it does not know (an agent_id in the body among them)', () => {
    const got = events({
      events: [
        { ...call, agent_id: 'someone-else' },
        {
          ...base(),
          parent_id: call.id,
          kind: 'tool_result',
          payload: { name: 'shell', output: 'a\nb\n', exit_code: 0, call_id: 'call_1' },
        },
        { ...base(), kind: 'error', payload: { message: 'model timed out', stack: 'at x' } },
      ],
    });
    expect(got.map((e) => e.kind)).toEqual(['tool_call', 'tool_result', 'error']);
    expect(got[0]).not.toHaveProperty('agent_id');
    expect(got[1]!.payload).toEqual({
      name: 'shell',
      output: 'a\nb\n',
      exit_code: 0,
      size: 4,
      truncated: false,
      call_id: 'call_1',
    });
  });

  it('cuts a tool output at 64 KiB on a character boundary and keeps the original size', () => {
    const output = 'é'.repeat(40_000); // 80 000 bytes
    const [e] = events({
      events: [{ ...base(), kind: 'tool_result', payload: { name: 'shell', output, exit_code: 1 } }],
    });
    const p = e!.payload as { output: string; size: number; truncated: boolean };
    expect(Buffer.byteLength(p.output)).toBeLessThanOrEqual(TRACE_TEXT_LIMIT_BYTES);
    expect(p.output).toBe('é'.repeat(TRACE_TEXT_LIMIT_BYTES / 2));
    expect(p).toMatchObject({ size: 80_000, truncated: true });
    // The runtime cut it already: its size (the real one) is kept.
    const [r] = events({
      events: [
        {
          ...base(),
          kind: 'tool_result',
          payload: { name: 'shell', output: 'abc', exit_code: 0, size: 900_000, truncated: true },
        },
      ],
    });
    expect(r!.payload).toMatchObject({ output: 'abc', size: 900_000, truncated: true });
    expect(cutUtf8('x€', 3)).toEqual({ text: 'x', size: 4 });
  });

  it('names the field at fault and what is valid', () => {
    expect(error(null)).toMatch(/JSON object \{"events"/);
    expect(error({ events: [] })).toMatch(/events: events must hold at least one event/);
    expect(error({ events: Array.from({ length: 257 }, () => call) })).toMatch(/at most 256 events/);
    expect(error({ events: [call, { ...call, kind: 'llm_call' }] })).toMatch(
      /events\[1\]\.kind: kind must be one of tool_call, tool_result, error/,
    );
    expect(error({ events: [{ ...call, payload: { arguments: '{}' } }] })).toMatch(
      /events\[0\]\.payload\.name: name must be a string/,
    );
    expect(error({ events: [{ ...call, id: 'not-a-uuid' }] })).toMatch(/events\[0\]\.id: id must be a UUID/);
    expect(error({ events: [{ ...call, created_at: Math.floor(Date.now() / 1000) }] })).toMatch(
      /created_at: .*milliseconds.*not seconds/,
    );
    expect(error({ events: [{ ...call, thread_id: 7 }] })).toMatch(/thread_id must be a string or null/);
  });
});

describe('JsonlAgentTraceSink', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-test-trace-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('writes one line per event with the agent, in order, mode 0600; concurrent appends all land', async () => {
    const file = path.join(dir, 'logs', 'agent-trace.jsonl');
    const sink = new JsonlAgentTraceSink(file);
    const batches = Array.from({ length: 20 }, (_, i) =>
      events({
        events: [
          { ...call, trace_id: `t${i}` },
          { ...call, trace_id: `t${i}` },
        ],
      }),
    );
    await Promise.all(batches.map((b, i) => sink.append(`agent-${i % 2}`, b)));
    await sink.close();
    const lines = fs
      .readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { v: number; agent_id: string; trace_id: string; kind: string });
    expect(lines).toHaveLength(40);
    expect(lines.map((l) => l.trace_id)).toEqual(batches.flatMap((_, i) => [`t${i}`, `t${i}`]));
    expect(lines[0]).toMatchObject({ v: 1, agent_id: 'agent-0', kind: 'tool_call' });
    expect(lines[2]!.agent_id).toBe('agent-1');
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
  });

  it('rejects when the events cannot be written, and works again once they can', async () => {
    const file = path.join(dir, 'trace.jsonl');
    fs.mkdirSync(file); // a directory where the file should be
    const sink = new JsonlAgentTraceSink(file);
    await expect(sink.append('a', events({ events: [call] }))).rejects.toThrow(/EISDIR/);
    fs.rmdirSync(file);
    await sink.append('a', events({ events: [call] }));
    await sink.close();
    expect(fs.readFileSync(file, 'utf8').trim().split('\n')).toHaveLength(1);
  });
});
