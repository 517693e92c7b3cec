// Trace isolation at the gateway: agent A's virtual key posts only into A's trace, and no key reads any trace.
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TraceQuery } from '../../../contract/traces';
import { skipUnlessReal } from '../../../test/real';
import { litellmInstalled, post, startLlmStack } from '../../../test/llm-stack';
import type { LlmStack } from '../../../test/llm-stack';
import { RecorderAgentTraceSink } from './trace-ingest';
import { TraceRecorder } from './trace-recorder';

const skip = skipUnlessReal(litellmInstalled(), 'LiteLLM (the app venv: scripts/bootstrap-linux.sh)');
const A = '44444444-4444-4444-8444-444444444444';
const B = '55555555-5555-4555-8555-555555555555';

function request(method: string, url: string, key: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      { method, agent: false, headers: { authorization: `Bearer ${key}` } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

const toolCall = (extra: Record<string, unknown> = {}) => ({
  id: crypto.randomUUID(),
  trace_id: 'turn-1',
  parent_id: null,
  created_at: Date.now(),
  kind: 'tool_call',
  thread_id: 'thread-1',
  payload: { name: 'shell', arguments: '{"command":"id"}' },
  ...extra,
});

let s: LlmStack;
let data: string;
let recorder: TraceRecorder;
let keyA: string;
let keyB: string;
const dirOf = (id: string) => path.join(data, 'agents', id, 'trace');
const idsOf = async (agent: string) =>
  (await recorder.query(TraceQuery.parse({ agent_id: agent }))).events.map((e) => e.id);

describe.skipIf(skip)('trace isolation at the gateway (real gateway, real trace store)', () => {
  beforeAll(async () => {
    data = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-test-traceiso-'));
    for (const id of [A, B]) fs.mkdirSync(path.join(data, 'agents', id), { recursive: true });
    recorder = new TraceRecorder({
      traceDirOf: (id) => (id === A || id === B ? dirOf(id) : null),
      allTraceDirs: () => [dirOf(A), dirOf(B)],
      log: pino({ level: 'silent' }),
      maintenanceMs: 0,
    });
    s = await startLlmStack({
      wait: false,
      providers: false,
      deps: { traceSink: new RecorderAgentTraceSink(recorder) },
    });
    keyA = s.keys.mint({ owner: A, models: ['*'] }).key;
    keyB = s.keys.mint({ owner: B, models: ['*'] }).key;
  });
  afterAll(async () => {
    await s?.close();
    await recorder?.close();
    if (data) fs.rmSync(data, { recursive: true, force: true });
  });

  it("A's key cannot post into B's trace: events naming B land in A's trace only", async () => {
    const b = toolCall();
    expect(
      (await post(`${s.gateway}/v1/agentdesk/trace`, { events: [b] }, { authorization: `Bearer ${keyB}` }))
        .status,
    ).toBe(200);
    const forged = [toolCall({ agent_id: B }), toolCall({ agent_id: B, trace_id: 'b-turn' })];
    const r = await post(
      `${s.gateway}/v1/agentdesk/trace?agent_id=${B}`,
      { agent_id: B, events: forged },
      {
        authorization: `Bearer ${keyA}`,
      },
    );
    expect(r.status).toBe(200); // answered only after the commit
    expect((await idsOf(A)).sort()).toEqual(forged.map((e) => e.id).sort());
    expect(await idsOf(B)).toEqual([b.id]);
    const page = await recorder.query(TraceQuery.parse({ agent_id: A }));
    expect(page.events.every((e) => e.agent_id === A)).toBe(true);
  });

  it('no key reads a trace: the gateway has no read path for traces', async () => {
    for (const [method, p] of [
      ['GET', '/v1/agentdesk/trace'],
      ['GET', `/v1/agentdesk/trace?agent_id=${B}`],
      ['GET', `/v1/agentdesk/trace/${B}`],
      ['POST', '/api/traces/list'],
      ['GET', '/api/events'],
    ] as const)
      expect([method, p, await request(method, `${s.gateway}${p}`, keyA)]).toEqual([method, p, 404]);
  });
});
