// Stopping a running turn (agents.cancel): the runtime's stream is closed, the turn ends with "stopped", and the trace says so.
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { Agent } from '../../../contract/agents';
import { agentRecord } from '../../../test/agents';
import type { TraceEvent } from '../../../contract/traces';
import { startFloodServer } from '../../../test/fixtures/flood-server';
import type { FloodServer } from '../../../test/fixtures/flood-server';
import { ChatRelay } from './chat-relay';
import type { TurnEventOut } from './chat-relay';

let server: FloodServer | null = null;

afterEach(async () => {
  await server?.stop();
  server = null;
});

function agent(port: number): Agent {
  const now = Date.now();
  return agentRecord({
    id: 'a-slow',
    slug: 'slow',
    name: 'Slow',
    emoji: '🐢',
    created_at: now,
    runtimePort: port,
  });
}

describe('ChatRelay.cancel', () => {
  it('stops a turn that would run on: the stream closes, the turn ends "stopped", traced under its message_in', async () => {
    // A runtime that starts the turn, then only sends keep-alives and never ends it.
    server = await startFloodServer((p) =>
      p === '/turn'
        ? {
            headers: { 'Content-Type': 'text/event-stream' },
            prefix: 'event: turn\ndata: {"turn_id":"t-slow","thread_id":"th-1"}\n\n',
            fill: ': keep-alive\n\n',
            ceilingBytes: 70_000,
          }
        : null,
    );
    const a = agent(server.port);
    const recorded: TraceEvent[] = [];
    const emitted: TurnEventOut[] = [];
    const relay = new ChatRelay({
      agent: () => a,
      folderOf: () => null,
      credentialOf: () => null,
      record: (e) => recorded.push(e),
      turns: { begin: () => {}, end: () => {} },
      emit: (e) => emitted.push(e),
      log: pino({ level: 'silent' }),
      idleTimeoutMs: 30_000,
    });
    expect(relay.cancel(a.id, 'th-1')).toBe(false);
    const turn = relay.chat({ id: a.id, text: 'take your time', thread_id: 'th-1' });
    await expect.poll(() => emitted.some((e) => e.event === 'turn')).toBe(true);
    expect(relay.cancel(a.id, 'other-thread')).toBe(false);
    expect(relay.cancel(a.id, 'th-1')).toBe(true);
    const result = await turn;
    expect(result).toMatchObject({ thread_id: 'th-1', turn_id: 't-slow', reply: null });
    expect(result.error).toMatch(/^Stopped: you stopped the turn of Slow/);
    await server.closed();
    expect(emitted.at(-1)).toMatchObject({
      event: 'error',
      turn_id: 't-slow',
      data: { message: result.error, source: 'relay' },
    });
    const messageIn = recorded.find((e) => e.kind === 'message_in')!;
    const error = recorded.find((e) => e.kind === 'error')!;
    expect(error).toMatchObject({ trace_id: 't-slow', parent_id: messageIn.id, error: result.error });
    // Once ended, there is nothing left to stop.
    expect(relay.cancel(a.id, 'th-1')).toBe(false);
  });
});
