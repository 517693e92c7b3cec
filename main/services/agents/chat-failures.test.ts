// Failed turns read back from the trace: placement among the stored messages, threads known only through failures, and the relay serving them.
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { Agent } from '../../../contract/agents';
import { agentRecord } from '../../../test/agents';
import { traceEvent } from '../../../contract/traces';
import type { TraceEvent, TracePage, TraceQuery } from '../../../contract/traces';
import { failedTurnsOf, tracedThreadsOf } from './chat-failures';
import { ChatRelay } from './chat-relay';

const AGENT = '0b7c3c1e-8a43-4f59-9d3f-3f1b2a4c5d6e';
const T0 = 1_800_000_000_000;

const msgIn = (turn: string, thread: string, text: string, at: number): TraceEvent =>
  traceEvent('message_in', {
    id: `in-${turn}`,
    trace_id: turn,
    agent_id: AGENT,
    channel_id: 'chat',
    thread_id: thread,
    created_at: at,
    payload: { from: 'user', text },
  });
const msgOut = (turn: string, thread: string, at: number): TraceEvent =>
  traceEvent('message_out', {
    trace_id: turn,
    parent_id: `in-${turn}`,
    agent_id: AGENT,
    channel_id: 'chat',
    thread_id: thread,
    created_at: at,
    payload: { text: 'ok' },
  });
const err = (turn: string, thread: string, message: string, at: number, relay = false): TraceEvent =>
  traceEvent('error', {
    trace_id: turn,
    parent_id: relay ? `in-${turn}` : null,
    agent_id: AGENT,
    channel_id: relay ? 'chat' : null,
    thread_id: thread,
    created_at: at,
    error: relay ? message : null,
    payload: { message },
  });

describe('failedTurnsOf', () => {
  const stored = [
    { role: 'user', content: 'one' },
    { role: 'assistant', content: 'ok' },
    { role: 'user', content: 'two' },
    { role: 'user', content: 'four' },
    { role: 'assistant', content: 'ok' },
  ];
  const events = [
    msgIn('t1', 'th', 'one', T0),
    msgOut('t1', 'th', T0 + 10),
    // The runtime stored "two", then the model call failed (its own error, no parent).
    msgIn('t2', 'th', 'two', T0 + 100),
    err('t2', 'th', 'model failed (HTTP 400)', T0 + 110),
    // "three" never reached the runtime: the relay's error.
    msgIn('t3', 'th', 'three', T0 + 200),
    err('t3', 'th', 'The runtime does not answer', T0 + 210, true),
    msgIn('t4', 'th', 'four', T0 + 300),
    err('t4', 'th', 'a tool notice', T0 + 305),
    msgOut('t4', 'th', T0 + 310),
    msgIn('t5', 'other', 'elsewhere', T0 + 400),
    err('t5', 'other', 'x', T0 + 410, true),
  ];

  it('places each failed turn among the stored messages, with its last error and who reported it', () => {
    expect(failedTurnsOf(events, 'th', stored)).toEqual([
      {
        turn_id: 't2',
        text: 'two',
        message: 'model failed (HTTP 400)',
        source: 'runtime',
        at: T0 + 110,
        anchor: 2,
        in_thread: true,
      },
      {
        turn_id: 't3',
        text: 'three',
        message: 'The runtime does not answer',
        source: 'relay',
        at: T0 + 210,
        anchor: 2,
        in_thread: false,
      },
    ]);
  });

  it('leaves out the running turn, errors of no chat message, and other threads', () => {
    const forged = err('no-such-turn', 'th', 'forged', T0 + 500);
    expect(failedTurnsOf([...events, forged], 'th', stored, 't3').map((f) => f.turn_id)).toEqual(['t2']);
    expect(failedTurnsOf(events, 'other', []).map((f) => [f.turn_id, f.anchor, f.in_thread])).toEqual([
      ['t5', 0, false],
    ]);
  });

  it('puts a refused message sent again and answered before the answered one, not after it', () => {
    const retried = [
      msgIn('r1', 'th-r', 'hello', T0),
      err('r1', 'th-r', 'The runtime does not answer', T0 + 10, true),
      msgIn('r2', 'th-r', 'hello', T0 + 100),
      msgOut('r2', 'th-r', T0 + 110),
    ];
    const storedR = [
      { role: 'user', content: 'hello' },
      { role: 'assistant', content: 'hi' },
    ];
    expect(failedTurnsOf(retried, 'th-r', storedR)).toMatchObject([
      { turn_id: 'r1', anchor: 0, in_thread: false },
    ]);
    // The runtime's own failure, sent again: both messages were stored.
    const both = [
      msgIn('s1', 'th-s', 'hello', T0),
      err('s1', 'th-s', 'model failed', T0 + 10),
      msgIn('s2', 'th-s', 'hello', T0 + 100),
      msgOut('s2', 'th-s', T0 + 110),
    ];
    const storedS = [{ role: 'user', content: 'hello' }, ...storedR];
    expect(failedTurnsOf(both, 'th-s', storedS)).toMatchObject([
      { turn_id: 's1', anchor: 1, in_thread: true },
    ]);
  });

  it('lists the threads, newest first, marking those with a failed turn', () => {
    expect(tracedThreadsOf(events)).toEqual([
      { thread_id: 'other', updated_at: T0 + 410, first: 'elsewhere', failed: true },
      { thread_id: 'th', updated_at: T0 + 305, first: 'one', failed: true },
    ]);
    expect(tracedThreadsOf(events.slice(0, 2))[0]?.failed).toBe(false);
  });
});

describe('ChatRelay: failed turns from the trace', () => {
  let dir: string | null = null;
  afterEach(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
    dir = null;
  });

  /** A port nothing listens on. */
  async function closedPort(): Promise<number> {
    const s = net.createServer();
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    const port = (s.address() as net.AddressInfo).port;
    await new Promise((r) => s.close(r));
    return port;
  }

  function agentOn(port: number, phase: 'running' | 'stopped'): Agent {
    return agentRecord({ id: AGENT, slug: 'ada', name: 'Ada', phase, created_at: T0, runtimePort: port });
  }

  /** A relay whose trace is `recorded`, queried like the trace store (this agent, this thread, these kinds). */
  function relayOver(
    a: () => Agent,
    recorded: TraceEvent[],
    folder: string | null,
  ): { relay: ChatRelay; asked: TraceQuery[] } {
    const asked: TraceQuery[] = [];
    const relay = new ChatRelay({
      agent: a,
      folderOf: () => folder,
      credentialOf: () => null,
      record: (e) => recorded.push(e),
      events: (q): Promise<TracePage> => {
        asked.push(q);
        const events = recorded.filter(
          (e) =>
            e.agent_id === q.agent_id &&
            (!q.thread_id || e.thread_id === q.thread_id) &&
            (!q.kinds || q.kinds.includes(e.kind)),
        );
        return Promise.resolve({ events, next_cursor: null });
      },
      turns: { begin: () => {}, end: () => {} },
      emit: () => {},
      log: pino({ level: 'silent' }),
    });
    return { relay, asked };
  }

  it('lists a new thread whose first message was refused, and serves it with its error after a reload', async () => {
    const a = agentOn(await closedPort(), 'running');
    const recorded: TraceEvent[] = [];
    const { relay, asked } = relayOver(() => a, recorded, null);
    const refused = relay.chat({ id: AGENT, text: 'hello there', thread_id: 'th-new' });
    await expect(refused).rejects.toThrow(/does not answer/);
    const live = (recorded.find((e) => e.kind === 'error') as TraceEvent).error;

    expect(await relay.threads(AGENT)).toEqual([
      { thread_id: 'th-new', updated_at: expect.any(Number) as number, title: 'hello there' },
    ]);
    const t = await relay.thread(AGENT, 'th-new');
    expect(t.messages).toEqual([]);
    expect(t.failed).toEqual([
      expect.objectContaining({
        text: 'hello there',
        message: live,
        source: 'relay',
        anchor: 0,
        in_thread: false,
      }),
    ]);
    // Only this agent's events of this thread were asked for.
    expect(asked.every((q) => q.agent_id === AGENT)).toBe(true);
    expect(asked.at(-1)?.thread_id).toBe('th-new');
    await expect(relay.thread(AGENT, 'th-none')).rejects.toThrow(/has no thread th-none/);
  });

  it('adds the failed turns to a stored thread read from its file (agent stopped)', async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-failures-'));
    const threads = path.join(dir, 'home', '.agentdesk', 'threads');
    fs.mkdirSync(threads, { recursive: true });
    const messages = [
      { role: 'user', content: 'first' },
      { role: 'assistant', content: 'ok' },
      { role: 'user', content: 'second' },
    ];
    fs.writeFileSync(
      path.join(threads, 'th-1.json'),
      JSON.stringify({ thread_id: 'th-1', updated_at: T0 + 50, messages }),
    );
    const recorded = [
      msgIn('t1', 'th-1', 'first', T0),
      msgOut('t1', 'th-1', T0 + 10),
      msgIn('t2', 'th-1', 'second', T0 + 20),
      err('t2', 'th-1', 'model failed', T0 + 30),
    ];
    const { relay } = relayOver(() => agentOn(1, 'stopped'), recorded, dir);
    const t = await relay.thread(AGENT, 'th-1');
    expect(t.messages).toEqual(messages);
    expect(t.failed).toEqual([
      expect.objectContaining({ turn_id: 't2', message: 'model failed', anchor: 2, in_thread: true }),
    ]);
    // The stored thread is listed once.
    expect((await relay.threads(AGENT)).map((x) => x.thread_id)).toEqual(['th-1']);
  });
});
