// Unit tests of the chat store against a fake core: threads, a streamed turn, tool cards, errors with what to do, availability.
import { describe, expect, it } from 'vitest';
import { createFakeCore, FakeCoreError, handleChat, sampleAgent } from '../../test/fake-client';
import { chatAvailability, createChatStore, itemsOfThread, memoryFailedTurns } from './index';

const AGENT = sampleAgent();

function setup(gate?: () => Promise<void>) {
  const core = createFakeCore();
  const fake = handleChat(core, AGENT.id, gate);
  const failed = memoryFailedTurns();
  const store = createChatStore(() => core.client, failed);
  const off = store.getState().follow();
  return { core, fake, store, off, failed };
}

/** A gate the test opens: the fake `agents.chat` answers only after `open()`. */
function gate(): { wait: () => Promise<void>; open: () => void } {
  let open: () => void = () => {};
  const p = new Promise<void>((r) => (open = r));
  return { wait: () => p, open };
}

const settle = () => new Promise((r) => setTimeout(r, 0));

describe('chat store', () => {
  it('streams a turn: text as it arrives and a tool card with its output, then reads the thread back', async () => {
    const g = gate();
    const { store, core } = setup(g.wait);
    await store.getState().open(AGENT.id);
    const sending = store.getState().send('Run it #tool');
    await settle();
    // Mid-turn: the user's message, the tool card with its output, the text so far.
    const live = store.getState().turn!;
    expect(live).toMatchObject({ status: 'streaming', turn_id: 'turn-1', text: 'Run it #tool' });
    expect(live.items.map((i) => i.kind)).toEqual(['tool', 'assistant']);
    expect(live.items[0]).toMatchObject({ tool: { name: 'shell', output: 'hi\n', exit_code: 0 } });
    expect(live.items[1]).toMatchObject({ text: 'Hello' });
    expect(store.getState().threadId).toBe(live.thread_id);
    g.open();
    await sending;
    const s = store.getState();
    expect(s.turn).toBeNull();
    expect(s.messages.map((m) => m.kind)).toEqual(['user', 'tool', 'assistant']);
    await settle();
    expect(store.getState().threads.map((t) => t.thread_id)).toEqual([live.thread_id]);
    const chat = core.calls.find((c) => c.channel === 'agents.chat')!;
    expect(chat.input).toEqual({ id: AGENT.id, text: 'Run it #tool', thread_id: live.thread_id });
  });

  it('reopens with the newest thread selected (threads survive a reload) and continues it', async () => {
    const { store, core, failed } = setup();
    await store.getState().open(AGENT.id);
    await store.getState().send('first');
    const first = store.getState().threadId!;
    store.getState().newThread();
    await store.getState().send('second');
    const second = store.getState().threadId!;
    expect(second).not.toBe(first);

    const again = createChatStore(() => core.client, failed);
    await again.getState().open(AGENT.id);
    expect(again.getState().threads.map((t) => t.title)).toEqual(['second', 'first']);
    expect(again.getState().threadId).toBe(second);
    await again.getState().selectThread(first);
    await again.getState().send('more');
    expect(
      again
        .getState()
        .messages.filter((m) => m.kind === 'user')
        .map((m) => m.kind === 'user' && m.text),
    ).toEqual(['first', 'more']);
  });

  it('shows a runtime error inline with what to do, and keeps it after the thread is read back', async () => {
    const { store } = setup();
    await store.getState().open(AGENT.id);
    await store.getState().send('please #fail');
    const error = store.getState().messages.find((m) => m.kind === 'error');
    expect(error).toMatchObject({ message: expect.stringContaining('HTTP 502') as string });
    expect(error?.kind === 'error' && error.hint).toMatch(/Providers page/);
  });

  it('keeps a refused message (agent stopped) inline with Retry when the next message goes out', async () => {
    const { store, core } = setup();
    await store.getState().open(AGENT.id);
    core.handle('agents.chat', () => {
      throw new FakeCoreError({
        code: 'CONFLICT',
        message:
          '🤖 Helper is stopped, not running: start it (its Start button, or run `agentdesk agents start helper`) to chat',
      });
    });
    await store.getState().send('hello?');
    expect(store.getState().turn).toBeNull();
    expect(store.getState().messages.map((m) => m.kind)).toEqual(['user', 'error']);
    expect(store.getState().messages.at(-1)).toMatchObject({
      kind: 'error',
      message: expect.stringMatching(/is stopped/) as string,
      retry: 'hello?',
    });
    handleChat(core, AGENT.id);
    await store.getState().send('now?');
    expect(store.getState().turn).toBeNull();
    // The refused message and its error stay before the message that went through.
    expect(store.getState().messages.map((m) => m.kind)).toEqual(['user', 'error', 'user', 'assistant']);
    expect(store.getState().messages[0]).toMatchObject({ text: 'hello?', failed: true });
  });

  it('keeps a failed turn with its error and Retry after the next message and after a reload', async () => {
    const { store, core, failed } = setup();
    await store.getState().open(AGENT.id);
    await store.getState().send('please #fail');
    await store.getState().send('and now');
    const kinds = (s: typeof store) => s.getState().messages.map((m) => m.kind);
    // The runtime stored the failed message itself: only its error is put back, right after it.
    expect(kinds(store)).toEqual(['user', 'error', 'user', 'assistant']);
    expect(store.getState().messages[1]).toMatchObject({ retry: 'please #fail' });

    const reloaded = createChatStore(() => core.client, failed);
    await reloaded.getState().open(AGENT.id);
    expect(kinds(reloaded)).toEqual(['user', 'error', 'user', 'assistant']);
    expect(reloaded.getState().messages[1]).toMatchObject({
      kind: 'error',
      message: expect.stringContaining('HTTP 502') as string,
      retry: 'please #fail',
    });
    // The next message continues the same thread.
    const thread = reloaded.getState().threadId;
    await reloaded.getState().send('please again');
    const last = core.calls.filter((c) => c.channel === 'agents.chat').at(-1)!;
    expect(last.input).toMatchObject({ thread_id: thread });
  });

  it('shows the failed turns the core holds in a fresh window (no failure seen here), each once, with Retry', async () => {
    const { core } = setup();
    const failedTurn = (turn_id: string, text: string, anchor: number, in_thread: boolean) => ({
      turn_id,
      text,
      message: `The runtime of Helper does not answer (${text})`,
      source: 'relay' as const,
      at: 5_000,
      anchor,
      in_thread,
    });
    core.handle('agents.threads', () => ({
      threads: [
        { thread_id: 'th-refused', updated_at: 6_000, title: 'never stored' },
        { thread_id: 'th-1', updated_at: 5_000, title: 'first' },
      ],
    }));
    core.handle('agents.thread', (input) => {
      const { thread_id } = input as { thread_id: string };
      return thread_id === 'th-refused'
        ? { thread_id, messages: [], failed: [failedTurn('t-r', 'never stored', 0, false)] }
        : {
            thread_id,
            messages: [
              { role: 'user', content: 'first' },
              { role: 'assistant', content: 'ok' },
              { role: 'user', content: 'second' },
            ],
            failed: [failedTurn('t-2', 'second', 2, true)],
          };
    });
    const fresh = createChatStore(() => core.client, memoryFailedTurns());
    await fresh.getState().open(AGENT.id);
    // The newest thread is the one only the failure made: its message, its error, Retry.
    expect(fresh.getState().threadId).toBe('th-refused');
    expect(fresh.getState().messages).toMatchObject([
      { kind: 'user', text: 'never stored', failed: true },
      {
        kind: 'error',
        message: expect.stringContaining('does not answer') as string,
        retry: 'never stored',
        hint: null,
      },
    ]);
    await fresh.getState().selectThread('th-1');
    expect(fresh.getState().messages.map((m) => m.kind)).toEqual(['user', 'assistant', 'user', 'error']);
    expect(fresh.getState().messages[3]).toMatchObject({ retry: 'second' });
  });

  it('shows a failure this window saw once when the core then holds it too', async () => {
    const { store, core } = setup();
    await store.getState().open(AGENT.id);
    await store.getState().send('please #fail');
    const threadId = store.getState().threadId!;
    const turnId = store.getState().failed[0]?.turn_id;
    expect(turnId).toBe('turn-1');
    core.handle('agents.thread', () => ({
      thread_id: threadId,
      messages: [{ role: 'user', content: 'please #fail' }],
      failed: [
        {
          turn_id: 'turn-1',
          text: 'please #fail',
          message: 'upstream HTTP 502',
          source: 'runtime',
          at: Date.now(),
          anchor: 1,
          in_thread: true,
        },
      ],
    }));
    await store.getState().selectThread(threadId);
    expect(store.getState().messages.map((m) => m.kind)).toEqual(['user', 'error']);
    expect(store.getState().messages[1]).toMatchObject({
      hint: expect.stringMatching(/Providers page/) as string,
    });
  });

  it('keeps following a slow turn after the call times out, and finishes on its done event', async () => {
    const { store, core } = setup();
    await store.getState().open(AGENT.id);
    let threadId = '';
    core.handle('agents.chat', (input) => {
      threadId = (input as { thread_id: string }).thread_id;
      core.emit('agents.turn', {
        agent_id: AGENT.id,
        thread_id: threadId,
        turn_id: 't9',
        event: 'turn',
        data: {},
      });
      throw new FakeCoreError({
        code: 'TIMEOUT',
        message: 'The core did not answer agents.chat within 60 s',
      });
    });
    core.handle('agents.thread', () => ({
      thread_id: threadId,
      messages: [
        { role: 'user', content: 'slow' },
        { role: 'assistant', content: 'done at last' },
      ],
    }));
    await store.getState().send('slow');
    expect(store.getState().turn).toMatchObject({ status: 'streaming' });
    core.emit('agents.turn', {
      agent_id: AGENT.id,
      thread_id: threadId,
      turn_id: 't9',
      event: 'done',
      data: { reply: 'done at last' },
    });
    await settle();
    expect(store.getState().turn).toBeNull();
    expect(store.getState().messages.at(-1)).toMatchObject({ kind: 'assistant', text: 'done at last' });
  });

  it('stops a running turn: agents.cancel for its thread, then the turn is kept failed with "Stopped" and Retry', async () => {
    const g = gate();
    const { store, core } = setup(g.wait);
    await store.getState().open(AGENT.id);
    const sending = store.getState().send('a long job');
    await settle();
    const thread = store.getState().turn!.thread_id;
    await store.getState().stop();
    await sending;
    expect(core.calls.filter((c) => c.channel === 'agents.cancel').map((c) => c.input)).toEqual([
      { id: AGENT.id, thread_id: thread },
    ]);
    expect(store.getState().turn).toBeNull();
    expect(store.getState().messages.map((m) => m.kind)).toEqual(['user', 'error']);
    expect(store.getState().messages[1]).toMatchObject({
      message: expect.stringMatching(/^Stopped: you stopped the turn/) as string,
      hint: null,
      retry: 'a long job',
    });
  });

  it('ignores turn events of other agents and threads', async () => {
    const g = gate();
    const { store, core } = setup(g.wait);
    await store.getState().open(AGENT.id);
    const sending = store.getState().send('hi');
    await settle();
    const before = store.getState().turn;
    const thread = before!.thread_id;
    core.emit('agents.turn', {
      agent_id: 'someone-else',
      thread_id: thread,
      turn_id: 'turn-1',
      event: 'text',
      data: { delta: 'X' },
    });
    core.emit('agents.turn', {
      agent_id: AGENT.id,
      thread_id: 'other',
      turn_id: 'turn-1',
      event: 'text',
      data: { delta: 'X' },
    });
    expect(store.getState().turn).toBe(before);
    g.open();
    await sending;
  });
});

describe('chat selectors', () => {
  it('says why the input is disabled, per phase', () => {
    expect(chatAvailability(sampleAgent(), null)).toEqual({ ok: true });
    expect(chatAvailability(sampleAgent({ phase: 'stopped' }), null)).toEqual({
      ok: false,
      reason: 'Helper is stopped. Start it to chat.',
    });
    expect(
      chatAvailability(sampleAgent({ phase: 'failed', phase_reason: 'image missing' }), null),
    ).toMatchObject({
      reason: expect.stringMatching(/failed: image missing.*Retry/) as string,
    });
    expect(chatAvailability(sampleAgent({ phase: 'verifying' }), null)).toMatchObject({
      reason: expect.stringMatching(/once it is running/) as string,
    });
    expect(
      chatAvailability(sampleAgent(), {
        thread_id: 't',
        turn_id: null,
        text: 'x',
        items: [],
        status: 'streaming',
        error: null,
      }),
    ).toMatchObject({ ok: false, reason: 'Wait for the reply to finish.' });
  });

  it('turns stored OpenAI messages into rows, filling each tool card with its result', () => {
    const rows = itemsOfThread([
      { role: 'user', content: 'go' },
      {
        role: 'assistant',
        content: null,
        tool_calls: [{ id: 'c1', type: 'function', function: { name: 'list_dir', arguments: '{}' } }],
      },
      { role: 'tool', tool_call_id: 'c1', content: 'a.txt' },
      { role: 'assistant', content: 'There is a.txt' },
    ]);
    expect(rows.map((r) => r.kind)).toEqual(['user', 'tool', 'assistant']);
    expect(rows[1]).toMatchObject({ tool: { name: 'list_dir', arguments: '{}', output: 'a.txt' } });
  });
});
