// A hostile agent runtime (a real HTTP server) against the chat relay: endless lines, huge events, event floods, huge error bodies, thread-file floods.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Agent } from '../../../contract/agents';
import { agentRecord } from '../../../test/agents';
import type { TraceEvent } from '../../../contract/traces';
import { startFloodServer } from '../../../test/fixtures/flood-server';
import type { FloodAnswer, FloodServer } from '../../../test/fixtures/flood-server';
import { ChatRelay, TURN_MAX_BYTES, TURN_MAX_EVENTS } from './chat-relay';
import type { TurnEventOut } from './chat-relay';
import { SSE_MAX_EVENT_CHARS, SSE_MAX_LINE_CHARS, THREADS_LISTED_MAX } from './chat-relay-io';

const MiB = 1024 * 1024;
/** What loopback socket buffers may hold beyond what the reader took (generous). */
const SOCKET_SLACK = 16 * MiB;
const SSE = { 'Content-Type': 'text/event-stream' };
const TURN = 'event: turn\ndata: {"turn_id":"t-hostile","thread_id":"th"}\n\n';

let home: string;
let server: FloodServer | null = null;
const recorded: TraceEvent[] = [];
const emitted: TurnEventOut[] = [];

function agent(port: number): Agent {
  const now = Date.now();
  return agentRecord({
    id: 'a-hostile',
    slug: 'hostile',
    name: 'Hostile',
    emoji: '🦹',
    created_at: now,
    runtimePort: port,
  });
}

/** A relay whose agent's runtime is the flood server answering `answer`. */
async function relayTo(answer: FloodAnswer): Promise<ChatRelay> {
  server = await startFloodServer((p) => (p === '/turn' ? answer : null));
  const a = agent(server.port);
  return new ChatRelay({
    agent: () => a,
    folderOf: () => home,
    credentialOf: () => null,
    record: (e) => recorded.push(e),
    turns: { begin: () => {}, end: () => {} },
    emit: (e) => emitted.push(e),
    log: pino({ level: 'silent' }),
    idleTimeoutMs: 10_000,
  });
}

beforeAll(() => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-test-relay-'));
});
afterEach(async () => {
  await server?.stop();
  server = null;
  recorded.length = 0;
  emitted.length = 0;
});
afterAll(() => fs.rmSync(home, { recursive: true, force: true }));

/** The turn ended with `pattern` as its error: answered, emitted as a relay error, and traced. */
async function expectCut(relay: ChatRelay, pattern: RegExp): Promise<void> {
  const r = await relay.chat({ id: 'a-hostile', text: 'hi' });
  expect(r.reply).toBeNull();
  expect(r.error).toMatch(pattern);
  expect(r.error).toMatch(/the turn was cancelled; the agent may be misbehaving/);
  expect(emitted.at(-1)).toMatchObject({ event: 'error', data: { source: 'relay' } });
  expect(String(emitted.at(-1)!.data.message)).toMatch(pattern);
  const kinds = recorded.map((e) => e.kind);
  expect(kinds).toEqual(['message_in', 'error']);
  expect(recorded[1]!.error ?? '').toMatch(pattern);
}

describe('the chat relay against a hostile runtime', () => {
  it('cuts a turn whose SSE line never ends, reading little past the line cap', async () => {
    const relay = await relayTo({
      headers: SSE,
      prefix: `${TURN}event: text\ndata: `,
      fill: 'x',
      ceilingBytes: 32 * MiB,
    });
    await expectCut(relay, /sent a line longer than 8 Mi characters/);
    expect(await server!.closed()).toBeLessThan(SSE_MAX_LINE_CHARS + SOCKET_SLACK);
  });

  it('cuts a turn whose event has endless data lines', async () => {
    const relay = await relayTo({
      headers: SSE,
      prefix: `${TURN}event: text\n`,
      fill: `data: ${'y'.repeat(64 * 1024)}\n`,
      ceilingBytes: 32 * MiB,
    });
    await expectCut(relay, /sent an event with more than 8 Mi characters of data/);
    expect(await server!.closed()).toBeLessThan(SSE_MAX_EVENT_CHARS + SOCKET_SLACK);
  });

  it(`cuts a turn of more than ${TURN_MAX_EVENTS} events, relaying no more than that`, async () => {
    const relay = await relayTo({
      headers: SSE,
      prefix: TURN,
      fill: 'event: text\ndata: {"delta":"a"}\n\n',
      ceilingBytes: 64 * MiB,
    });
    await expectCut(relay, new RegExp(`sent more than ${TURN_MAX_EVENTS} events`));
    // Every relayed event but the relay's own closing error came from the runtime, and no more than the cap.
    expect(emitted.length - 1).toBeLessThanOrEqual(TURN_MAX_EVENTS);
  });

  it(`cuts a turn whose stream passes ${TURN_MAX_BYTES / MiB} MiB, even of keep-alive comments`, async () => {
    const relay = await relayTo({
      headers: SSE,
      prefix: TURN,
      fill: `: ${'k'.repeat(MiB)}\n`,
      ceilingBytes: TURN_MAX_BYTES + 64 * MiB,
    });
    await expectCut(relay, /sent more than 256 MiB in one turn/);
    expect(await server!.closed()).toBeLessThan(TURN_MAX_BYTES + SOCKET_SLACK);
  });

  it('reads only the start of an endless error answer, and names the refusal', async () => {
    const relay = await relayTo({
      status: 400,
      headers: { 'Content-Type': 'text/plain' },
      prefix: 'bad: ',
      fill: 'z',
    });
    await expect(relay.chat({ id: 'a-hostile', text: 'hi' })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringMatching(/refused the message \(HTTP 400: bad: z+\)/) as string,
    });
    expect(await server!.closed()).toBeLessThan(SOCKET_SLACK);
    expect(recorded.map((e) => e.kind)).toEqual(['message_in', 'error']);
  });
});

describe('thread listing against a flooded threads folder', () => {
  it(`lists at most the ${THREADS_LISTED_MAX} newest threads, and reads at most 64 MiB of them`, async () => {
    server = await startFloodServer(() => null);
    const a = agent(server.port);
    const relay = new ChatRelay({
      agent: () => a,
      folderOf: () => home,
      credentialOf: () => null,
      record: () => {},
      turns: { begin: () => {}, end: () => {} },
      emit: () => {},
      log: pino({ level: 'silent' }),
    });
    const dir = path.join(home, 'home', '.agentdesk', 'threads');
    fs.mkdirSync(dir, { recursive: true });
    const count = THREADS_LISTED_MAX + 100;
    const t0 = Date.now() - count * 1000;
    for (let i = 0; i < count; i++) {
      const file = path.join(dir, `t${i}.json`);
      const msg = [{ role: 'user', content: `thread ${i}` }];
      fs.writeFileSync(
        file,
        JSON.stringify({ thread_id: `t${i}`, updated_at: t0 + i * 1000, messages: msg }),
      );
      fs.utimesSync(file, new Date(t0 + i * 1000), new Date(t0 + i * 1000));
    }
    const listed = await relay.threads('a-hostile');
    expect(listed).toHaveLength(THREADS_LISTED_MAX);
    expect(listed[0]!.title).toBe(`thread ${count - 1}`);
    expect(listed.at(-1)!.title).toBe(`thread ${count - THREADS_LISTED_MAX}`);

    // Five newer threads of 15 MiB each: only the four newest fit in the 64 MiB read budget, nothing older.
    fs.rmSync(dir, { recursive: true });
    fs.mkdirSync(dir, { recursive: true });
    const pad = 'p'.repeat(15 * MiB);
    for (let i = 0; i < 5; i++) {
      const file = path.join(dir, `big${i}.json`);
      const msg = [
        { role: 'user', content: `big ${i}` },
        { role: 'assistant', content: pad },
      ];
      fs.writeFileSync(file, JSON.stringify({ thread_id: `big${i}`, updated_at: i, messages: msg }));
      fs.utimesSync(file, new Date(t0 + i * 1000), new Date(t0 + i * 1000));
    }
    const big = await relay.threads('a-hostile');
    expect(big.map((t) => t.title)).toEqual(['big 4', 'big 3', 'big 2', 'big 1']);
  });
});
