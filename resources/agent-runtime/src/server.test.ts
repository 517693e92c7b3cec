// The runtime's HTTP API against the scripted gateway: turns, tools, trace, errors, threads, bad input.
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { parseTraceBatch } from '../../../main/services/llm/agent-trace';
import type { Gateway } from './testkit';
import {
  KEY,
  MODEL,
  named,
  rtFetch,
  script,
  startGateway,
  startRuntime,
  tempHome,
  testConfig,
  turn,
} from './testkit';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

let gw: Gateway;
const cleanup: (() => Promise<void>)[] = [];

beforeAll(async () => {
  gw = await startGateway();
});
afterAll(async () => {
  await gw.stop();
});
afterEach(async () => {
  gw.traceStatus = 200;
  while (cleanup.length) await cleanup.pop()!();
});

async function runtime(env: Record<string, string> = {}, home?: string) {
  const dir = home ?? (await tempHome());
  const rt = await startRuntime(testConfig(gw.up.v1, dir, env));
  cleanup.push(async () => {
    await rt.close();
    if (!home) await fs.rm(dir, { recursive: true, force: true });
  });
  return { ...rt, home: dir };
}

function chatBodies(): { messages: { role: string; content: string | null; tool_call_id?: string }[] }[] {
  return gw.up.requestsTo('/v1/chat/completions').map((r) => JSON.parse(r.body) as never);
}

describe('agent runtime server', () => {
  it('answers /health with the model and version', async () => {
    const rt = await runtime();
    const res = await rtFetch(`${rt.url}/health`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ ok: true, model: MODEL });
    expect(body.version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(body.uptime_ms).toEqual(expect.any(Number));
  });

  it('streams a text reply: turn, text deltas, done', async () => {
    const rt = await runtime();
    const before = gw.up.requestsTo('/v1/chat/completions').length;
    const { status, events } = await turn(rt.url, { text: 'hello #chunks=3' });
    expect(status).toBe(200);
    expect(events.map((e) => e.event)).toEqual(['turn', 'text', 'text', 'text', 'done']);
    expect(named(events, 'text').map((d) => d.delta)).toEqual(['chunk0 ', 'chunk1 ', 'chunk2 ']);
    const [start] = named(events, 'turn');
    expect(start!.turn_id).toMatch(UUID);
    expect(named(events, 'done')[0]).toEqual({
      thread_id: start!.thread_id,
      turn_id: start!.turn_id,
      reply: 'chunk0 chunk1 chunk2 ',
      steps: 1,
    });
    const req = gw.up.requestsTo('/v1/chat/completions')[before]!;
    expect(req.headers.authorization).toBe(`Bearer ${KEY}`);
    const body = JSON.parse(req.body) as {
      model: string;
      stream: boolean;
      tools: { function: { name: string } }[];
    };
    expect(body).toMatchObject({ model: MODEL, stream: true });
    expect(body.tools.map((t) => t.function.name)).toEqual(['shell', 'read_file', 'write_file', 'list_dir']);
  });

  it('runs shell `echo hi`, feeds the result back, replies, and posts the trace with the key', async () => {
    const rt = await runtime();
    const { events } = await turn(rt.url, {
      text: `say hi ${script({ tool: 'shell', args: { command: 'echo hi' } })}`,
    });
    expect(events.map((e) => e.event)).toEqual([
      'turn',
      'tool_call',
      'tool_result',
      'text',
      'text',
      'text',
      'done',
    ]);
    const [call] = named(events, 'tool_call');
    expect(call).toMatchObject({ name: 'shell', arguments: '{"command":"echo hi"}' });
    expect(named(events, 'tool_result')[0]).toEqual({
      id: call!.id,
      name: 'shell',
      output: 'hi\n',
      exit_code: 0,
      truncated: false,
      size: 3,
    });
    expect(named(events, 'done')[0]).toMatchObject({ reply: 'chunk0 chunk1 chunk2 ', steps: 2 });
    const second = chatBodies().at(-1)!;
    // The model reads the result with its status first and what to do next (model-step.ts toolResultForModel).
    expect(second.messages.at(-1)).toEqual({
      role: 'tool',
      tool_call_id: call!.id,
      content: 'OK: hi\n\n\nDo the next step of the task, or answer the user.',
    });

    const turnId = named(events, 'turn')[0]!.turn_id;
    const threadId = named(events, 'turn')[0]!.thread_id;
    await vi.waitFor(() => {
      const mine = gw.traces().flatMap((t) => t.events.filter((e) => e.trace_id === turnId));
      expect(mine.map((e) => e.kind)).toEqual(['tool_call', 'tool_result']);
    });
    const posts = gw.traces().filter((t) => t.events.some((e) => e.trace_id === turnId));
    for (const p of posts) {
      expect(p.headers.authorization).toBe(`Bearer ${KEY}`);
      // The body passes the gateway's own schema (main/services/llm/agent-trace.ts).
      expect(parseTraceBatch({ events: p.events })).toMatchObject({ ok: true });
    }
    const [tc, tr] = posts.flatMap((p) => p.events);
    expect(tc).toMatchObject({
      parent_id: null,
      thread_id: threadId,
      payload: { name: 'shell', arguments: '{"command":"echo hi"}', call_id: call!.id },
    });
    expect(tc!.id).toMatch(UUID);
    expect(tc!.created_at).toBeGreaterThan(0);
    expect(tr!.id).toMatch(UUID);
    expect(tr).toMatchObject({
      parent_id: tc!.id,
      payload: { name: 'shell', output: 'hi\n', exit_code: 0, size: 3, truncated: false, call_id: call!.id },
    });
    expect(JSON.stringify(posts.map((p) => p.events))).not.toContain(KEY);
  });

  it("masks the agent's own key in tool output", async () => {
    const rt = await runtime();
    await fs.writeFile(path.join(rt.home, 'workspace/env'), `OPENAI_API_KEY=${KEY}\n`);
    const { events } = await turn(rt.url, { text: script({ tool: 'shell', args: { command: 'cat env' } }) });
    expect(named(events, 'tool_result')[0]!.output).toBe('OPENAI_API_KEY=[redacted]\n');
    expect(JSON.stringify(chatBodies().at(-1))).not.toContain(KEY);
  });

  it('writes, lists and reads files in the workspace through the model', async () => {
    const rt = await runtime();
    const steps = script(
      { tool: 'write_file', args: { path: 'notes/a.txt', content: 'hello file' } },
      { tool: 'list_dir', args: { path: 'notes' } },
      { tool: 'read_file', args: { path: 'notes/a.txt' } },
    );
    const { events } = await turn(rt.url, { text: `files ${steps}` });
    const results = named(events, 'tool_result');
    expect(results.map((r) => [r.name, r.exit_code])).toEqual([
      ['write_file', 0],
      ['list_dir', 0],
      ['read_file', 0],
    ]);
    expect(results[1]!.output).toBe('a.txt  10 bytes');
    expect(results[2]!.output).toBe('hello file');
    expect(await fs.readFile(path.join(rt.home, 'workspace/notes/a.txt'), 'utf8')).toBe('hello file');
    expect(named(events, 'done')[0]).toMatchObject({ steps: 4 });
  });

  it('refuses paths outside the workspace and tells the model why', async () => {
    const rt = await runtime();
    await fs.symlink('/etc', path.join(rt.home, 'workspace/etc-link'));
    const steps = script(
      { tool: 'read_file', args: { path: '../../../../etc/passwd' } },
      { tool: 'read_file', args: { path: '/etc/passwd' } },
      { tool: 'read_file', args: { path: 'etc-link/passwd' } },
      { tool: 'write_file', args: { path: `etc-link/agentdesk-test-${process.pid}`, content: 'x' } },
    );
    const { events } = await turn(rt.url, { text: steps });
    const results = named(events, 'tool_result');
    expect(results).toHaveLength(4);
    for (const r of results) {
      expect(r.exit_code).toBe(1);
      expect(r.output).toMatch(/refused/);
      expect(r.output).not.toMatch(/root:x:0/);
    }
    await expect(fs.access(`/etc/agentdesk-test-${process.pid}`)).rejects.toThrow();
    expect(named(events, 'done')).toHaveLength(1);
  });

  it('gives unknown tools (the fixture #tool directive) an error result and lets the model answer', async () => {
    const rt = await runtime();
    const { events } = await turn(rt.url, { text: 'weather? #tool=get_weather' });
    const [result] = named(events, 'tool_result');
    expect(result).toMatchObject({ name: 'get_weather', exit_code: 1 });
    expect(result!.output).toContain(
      'unknown tool "get_weather"; available tools: shell, read_file, write_file, list_dir',
    );
    expect(named(events, 'done')[0]).toMatchObject({ steps: 2 });
  });

  it('stops at the step limit with an error, keeping the thread usable', async () => {
    const rt = await runtime({ AGENTDESK_MAX_STEPS: '2' });
    const call = { tool: 'shell', args: { command: 'echo again' } };
    const { events } = await turn(rt.url, { text: script(call, call, call, call) });
    expect(events.map((e) => e.event)).toEqual(['turn', 'tool_call', 'tool_result', 'error']);
    expect(named(events, 'error')[0]!.message).toMatch(
      /step limit reached.*2 model calls.*AGENTDESK_MAX_STEPS=2/,
    );
    const threadId = named(events, 'turn')[0]!.thread_id as string;
    const next = await turn(rt.url, { text: 'go on', thread_id: threadId });
    expect(named(next.events, 'done')[0]).toMatchObject({ thread_id: threadId, steps: 1 });
    const sent = chatBodies()
      .at(-1)!
      .messages.map((m) => m.role);
    expect(sent).toEqual(['system', 'user', 'assistant', 'tool', 'assistant', 'tool', 'user']);
  });

  it('reports upstream 401 and 500 with the status and the gateway message, never the key', async () => {
    const bad = await runtime({ OPENAI_API_KEY: 'sk-agentdesk-wrongwrongwrongwrongwrong' });
    const r401 = await turn(bad.url, { text: 'hi' });
    expect(r401.events.map((e) => e.event)).toEqual(['turn', 'error']);
    const m401 = named(r401.events, 'error')[0]!.message as string;
    expect(m401).toContain('HTTP 401');
    expect(m401).toContain('Incorrect API key provided.');
    expect(m401).not.toContain('wrongwrong');

    const rt = await runtime();
    const r500 = await turn(rt.url, { text: 'boom #status=500' });
    expect(r500.events.map((e) => e.event)).toEqual(['turn', 'error']);
    expect(named(r500.events, 'error')[0]!.message).toMatch(/HTTP 500 .*scripted 500/);
    // The gateway's address (a bridge address in a container) is not what the reader needs.
    for (const m of [m401, named(r500.events, 'error')[0]!.message as string])
      expect(m).not.toContain(new URL(gw.up.v1).host);
    const turnId = named(r500.events, 'turn')[0]!.turn_id;
    await vi.waitFor(() => {
      const ev = gw
        .traces()
        .flatMap((t) => t.events)
        .find((e) => e.trace_id === turnId);
      expect(ev?.kind).toBe('error');
      expect((ev?.payload as { message: string }).message).toMatch(/HTTP 500 .*scripted 500/);
    });
  });

  it('reports an unreachable gateway', async () => {
    const rt = await runtime({ OPENAI_BASE_URL: 'http://127.0.0.1:9/v1' });
    const { events } = await turn(rt.url, { text: 'hi' });
    expect(named(events, 'error')[0]!.message).toMatch(
      /cannot reach the gateway at http:\/\/127\.0\.0\.1:9\/v1/,
    );
  });

  it('logs a trace the gateway keeps refusing after 3 retries, and the turn still finishes', async () => {
    const rt = await runtime();
    gw.traceStatus = 503;
    const stderr = vi.spyOn(process.stderr, 'write');
    const before = gw.up.requestsTo('/v1/agentdesk/trace').length;
    const { events } = await turn(rt.url, { text: script({ tool: 'shell', args: { command: 'true' } }) });
    expect(named(events, 'done')).toHaveLength(1);
    const turnId = named(events, 'turn')[0]!.turn_id;
    await vi.waitFor(() => {
      const line = stderr.mock.calls
        .map((c) => String(c[0]))
        .find((l) => l.includes(`trace_id=${String(turnId)}`));
      expect(line).toMatch(/trace\.failed .*HTTP 503: trace store unavailable \(503\)/);
    });
    stderr.mockRestore();
    const attempts = gw.up
      .requestsTo('/v1/agentdesk/trace')
      .slice(before)
      .filter((r) => r.body.includes('"kind":"tool_call"') && r.body.includes(String(turnId)));
    expect(attempts).toHaveLength(4);
  });

  it('keeps a thread on disk and continues it after a restart', async () => {
    const home = await tempHome();
    cleanup.push(() => fs.rm(home, { recursive: true, force: true }));
    const first = await runtime({}, home);
    const a = await turn(first.url, { text: 'remember the number 4242' });
    const threadId = named(a.events, 'turn')[0]!.thread_id as string;
    await first.close();
    expect(await fs.readdir(path.join(home, '.agentdesk/threads'))).toEqual([`${threadId}.json`]);

    const second = await runtime({}, home);
    const res = await rtFetch(`${second.url}/threads/${threadId}`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      thread_id: threadId,
      messages: [
        { role: 'user', content: 'remember the number 4242' },
        { role: 'assistant', content: 'chunk0 chunk1 chunk2 ' },
      ],
    });
    const b = await turn(second.url, { text: 'what was it?', thread_id: threadId });
    expect(named(b.events, 'done')[0]).toMatchObject({ thread_id: threadId });
    expect(
      chatBodies()
        .at(-1)!
        .messages.map((m) => m.content),
    ).toContain('remember the number 4242');
  });
});
