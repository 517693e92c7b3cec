// Chat with a real agent in Docker through the core (real LiteLLM, scripted upstream): streamed turn, trace of the turn, threads, errors.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Agent } from '../../../contract/agents';
import { createClient } from '../../../contract/client';
import type { EventPayload } from '../../../contract/events';
import type { TraceEvent } from '../../../contract/traces';
import { ensureRuntimeBundle, runtimeReachable, until } from '../../../test/agents';
import { ensureBaseImage } from '../../../test/base-image';
import { litellmInstalled } from '../../../test/llm-stack';
import { skipUnlessReal } from '../../../test/real';
import { startScriptedCore } from '../../../test/scripted-core';
import type { ScriptedCore } from '../../../test/scripted-core';
import type { Core } from '../../app/bootstrap';
import { chatAndStream } from '../../cli/agents';
import { call } from '../../transport/dispatch';

const skip = skipUnlessReal(runtimeReachable('docker') && litellmInstalled(), 'Docker and LiteLLM');

describe.skipIf(skip)('chat with an agent in Docker', () => {
  let stack: ScriptedCore;
  let core: Core;
  let agent: Agent;
  const turnEvents: EventPayload<'agents.turn'>[] = [];
  const live: TraceEvent[] = [];

  const running = (id: string) =>
    until(
      () => call(core.dispatcher, 'agents', 'get', { id }),
      (a) => a.phase === 'running' || a.phase === 'failed',
      180_000,
      'running',
    );
  const traceOf = (traceId: string) =>
    call(core.dispatcher, 'traces', 'list', { agent_id: agent.id, trace_id: traceId }).then((p) => p.events);

  beforeAll(async () => {
    await ensureBaseImage(['docker']);
    ensureRuntimeBundle();
    stack = await startScriptedCore('agentdesk-test-chat-');
    core = stack.core;
    core.bus.on('agents.turn', (e) => turnEvents.push(e));
    core.bus.on('traces.event', (e) => live.push(e));
    const created = await call(core.dispatcher, 'agents', 'create', {
      name: `agentdesk-test-chat-${Math.random().toString(36).slice(2, 8)}`,
      model: 'scripted/gpt-test-mini',
      memory_mib: 512,
    });
    agent = await running(created.id);
    expect(agent.phase, agent.phase_reason ?? '').toBe('running');
  }, 600_000);

  afterAll(async () => {
    await stack?.close();
  });

  it('streams a turn with a shell tool call as agents.turn events and answers with the reply', async () => {
    const order: string[] = [];
    const off = core.bus.on('agents.turn', (e) => e.agent_id === agent.id && order.push(e.event));
    const result = await call(core.dispatcher, 'agents', 'chat', {
      id: agent.id,
      text: 'Run it #tool=shell',
    });
    order.push('(answered)');
    off();
    expect(result.error).toBeNull();
    expect(result.reply).toMatch(/chunk0/); // the scripted model streams chunk0, chunk1, …
    const mine = turnEvents.filter((e) => e.turn_id === result.turn_id);
    expect(mine.every((e) => e.thread_id === result.thread_id && e.agent_id === agent.id)).toBe(true);
    expect(mine[0]!.event).toBe('turn');
    expect(mine.find((e) => e.event === 'tool_call')!.data).toMatchObject({ name: 'shell' });
    expect(String(mine.find((e) => e.event === 'tool_result')!.data.output)).toContain('hi');
    // Text arrived as deltas before the call answered (streamed, not buffered), and adds up to the reply.
    const deltas = mine.filter((e) => e.event === 'text').map((e) => String(e.data.delta));
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.join('')).toBe(result.reply);
    expect(order.indexOf('text')).toBeLessThan(order.indexOf('(answered)'));
    expect(order.at(-2)).toBe('done');
  });

  it('records the turn under one trace id: message_in, llm_call, tool_call, tool_result, message_out', async () => {
    const result = await call(core.dispatcher, 'agents', 'chat', { id: agent.id, text: 'Again #tool=shell' });
    // The runtime posts its tool events in the background: wait for them.
    const events = await until(
      () => traceOf(result.turn_id),
      (ev) => ev.some((e) => e.kind === 'tool_result'),
      20_000,
      'the runtime tool events',
    );
    const kinds = events.map((e) => e.kind);
    expect(kinds[0]).toBe('message_in');
    expect(kinds.at(-1)).toBe('message_out');
    expect(kinds.filter((k) => k === 'llm_call')).toHaveLength(2);
    expect(kinds).toEqual(expect.arrayContaining(['tool_call', 'tool_result']));
    const messageIn = events[0]!;
    expect(messageIn).toMatchObject({ thread_id: result.thread_id, channel_id: 'chat' });
    expect(messageIn.kind === 'message_in' && messageIn.payload).toEqual({
      from: 'user',
      text: 'Again #tool=shell',
    });
    const out = events.at(-1)!;
    expect(out.parent_id).toBe(messageIn.id);
    expect(out.kind === 'message_out' && out.payload.text).toBe(result.reply);
    const llm = events.find((e) => e.kind === 'llm_call')!;
    expect(llm).toMatchObject({ model: 'scripted/gpt-test-mini', provider: 'scripted' });
    expect(llm.tokens_in).toBeGreaterThan(0);
    const toolCall = events.find((e) => e.kind === 'tool_call')!;
    expect(events.find((e) => e.kind === 'tool_result')!.parent_id).toBe(toolCall.id);
    // Each one also went out live, and the files are in the agent's trace folder (never mounted).
    // (live delivery follows the commit asynchronously: wait for it rather than race it)
    const wanted = events.map((e) => e.id).sort();
    const liveIds = await until(
      () =>
        Promise.resolve(
          live
            .filter((e) => e.trace_id === result.turn_id)
            .map((e) => e.id)
            .sort(),
        ),
      (ids) => ids.length >= wanted.length,
      10_000,
      'the live trace events',
    );
    expect(liveIds).toEqual(wanted);
    // The hour's SQLite file of the trace store (docs/decisions/006-trace-store.md).
    expect(fs.readdirSync(path.join(stack.home, 'agents', agent.id, 'trace'))).toContainEqual(
      expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d\.db$/),
    );
    // Its deploy is in the trace as lifecycle transitions.
    const lifecycle = await call(core.dispatcher, 'traces', 'list', {
      agent_id: agent.id,
      kinds: ['lifecycle'],
    });
    expect(lifecycle.events.map((e) => e.kind === 'lifecycle' && e.payload.to_phase)).toEqual([
      'creating',
      'provisioning',
      'starting',
      'verifying',
      'running',
    ]);
  });

  it('lists threads newest first with titles, continues one, and reads it back', async () => {
    const first = await call(core.dispatcher, 'agents', 'chat', {
      id: agent.id,
      text: 'First   thread\nhello',
    });
    const second = await call(core.dispatcher, 'agents', 'chat', { id: agent.id, text: 'Second thread' });
    await call(core.dispatcher, 'agents', 'chat', { id: agent.id, text: 'more', thread_id: first.thread_id });
    const { threads } = await call(core.dispatcher, 'agents', 'threads', { id: agent.id });
    expect(threads[0]).toMatchObject({ thread_id: first.thread_id, title: 'First thread hello' });
    expect(threads[1]).toMatchObject({ thread_id: second.thread_id, title: 'Second thread' });
    const t = await call(core.dispatcher, 'agents', 'thread', { id: agent.id, thread_id: first.thread_id });
    expect(t.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'user', 'assistant']);
    await expect(
      call(core.dispatcher, 'agents', 'thread', { id: agent.id, thread_id: '../../etc/passwd' }),
    ).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringMatching(/thread_id/) as string });
    await expect(
      call(core.dispatcher, 'agents', 'thread', { id: agent.id, thread_id: 'no-such-thread' }),
    ).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('streams the reply to the CLI as it arrives', async () => {
    let out = '';
    let err = '';
    const client = createClient({
      invoke: (channel, input) => core.dispatcher.dispatch(channel, input, { transport: 'internal' }),
      on: (event, listener) => core.bus.onAny((name, payload) => name === event && listener(payload)),
    });
    const r = await chatAndStream(client, agent, 'cli #tool=shell', {
      out: { write: (s: string) => (out += s) },
      err: { write: (s: string) => (err += s) },
    });
    expect(out).toBe(`${r.reply}\n`);
    expect(err).toContain('[tool] shell {"command":"echo hi"}');
    expect(err).toMatch(/\[tool\] shell exit 0/);
  });

  it('refuses while the agent is stopped, naming the phase, and still shows its threads from the files', async () => {
    const { threads } = await call(core.dispatcher, 'agents', 'threads', { id: agent.id });
    await call(core.dispatcher, 'agents', 'stop', { id: agent.id });
    await expect(call(core.dispatcher, 'agents', 'chat', { id: agent.id, text: 'hi' })).rejects.toMatchObject(
      {
        code: 'CONFLICT',
        message: expect.stringMatching(/is stopped.*start it/) as string,
      },
    );
    expect((await call(core.dispatcher, 'agents', 'threads', { id: agent.id })).threads).toEqual(threads);
    const t = await call(core.dispatcher, 'agents', 'thread', {
      id: agent.id,
      thread_id: threads[0]!.thread_id,
    });
    expect(t.messages.length).toBeGreaterThan(0);
    await call(core.dispatcher, 'agents', 'start', { id: agent.id });
    agent = await running(agent.id);
  });

  it('turns a container that dies mid-turn into an error the user can act on, traced', async () => {
    const before = turnEvents.length;
    const pending = call(core.dispatcher, 'agents', 'chat', { id: agent.id, text: 'slow #hold=30000' });
    const started = await until(
      () => Promise.resolve(turnEvents.slice(before).find((e) => e.event === 'turn')),
      (e) => e !== undefined,
      20_000,
      'the turn to start',
    );
    execFileSync('docker', ['kill', agent.container]);
    const result = await pending;
    expect(result.turn_id).toBe(started!.turn_id);
    expect(result.reply).toBeNull();
    expect(result.error).toMatch(/connection to .* broke|ended the turn without/);
    expect(turnEvents.filter((e) => e.turn_id === result.turn_id).at(-1)).toMatchObject({
      event: 'error',
      data: { source: 'relay' },
    });
    const events = await traceOf(result.turn_id);
    expect(events.map((e) => e.kind)).toEqual(expect.arrayContaining(['message_in', 'error']));
  });
});
