// How the runtime copes with what small local models do (measured with Qwen2.5-Coder-0.5B on llama-server): calls written as
// text, repeated calls, malformed calls the server refuses. A scripted gateway answers each model call from a queue.
import fs from 'node:fs/promises';
import type http from 'node:http';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ScriptedUpstream } from '../../../test/fixtures/scripted-upstream';
import { KEY, MODEL, named, startRuntime, tempHome, testConfig, turn } from './testkit';

type Answer = (res: http.ServerResponse) => void;
const up = new ScriptedUpstream({ key: KEY, models: [MODEL] });
const answers: Answer[] = [];
const bodies: Record<string, unknown>[] = [];
const cleanup: (() => Promise<void>)[] = [];

function chunk(res: http.ServerResponse, data: unknown): void {
  res.write(`data: ${JSON.stringify(data)}\n\n`);
}
/** A streamed text answer (split in pieces, as a model streams), with usage. */
const text =
  (content: string): Answer =>
  (res) => {
    res.writeHead(200, { 'Content-Type': 'text/event-stream' });
    for (let i = 0; i < content.length; i += 7)
      chunk(res, { choices: [{ index: 0, delta: { content: content.slice(i, i + 7) } }] });
    chunk(res, { choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] });
    chunk(res, { choices: [], usage: { prompt_tokens: 50, completion_tokens: 9 } });
    res.end('data: [DONE]\n\n');
  };
/** What LiteLLM streams when llama-server refuses the model's tool call: 200, the text so far, an error event. */
const malformed =
  (partial: string): Answer =>
  (res) => {
    res.writeHead(200, { 'Content-Type': 'text/event-stream' });
    chunk(res, { choices: [{ index: 0, delta: { content: partial } }] });
    chunk(res, {
      error: {
        message:
          'litellm.APIConnectionError: APIConnectionError: OpenAIException - Failed to parse input at pos 12: the tool call does not match the expected format',
      },
    });
    res.end();
  };

beforeAll(async () => {
  up.on('POST', '/v1/chat/completions', (req, res) => {
    bodies.push(JSON.parse(req.body) as Record<string, unknown>);
    const next = answers.shift();
    if (next) return next(res);
    up.json(res, 500, { error: { message: 'the test script ran out of answers' } });
  });
  up.on('POST', '/v1/agentdesk/trace', (req, res) =>
    up.json(res, 200, { accepted: (JSON.parse(req.body) as { events: unknown[] }).events.length }),
  );
  await up.start();
});
afterAll(() => up.stop());
afterEach(async () => {
  answers.length = 0;
  bodies.length = 0;
  while (cleanup.length) await cleanup.pop()!();
});

async function runtime(env: Record<string, string> = {}) {
  const home = await tempHome();
  const rt = await startRuntime(testConfig(up.v1, home, env));
  cleanup.push(async () => {
    await rt.close();
    await fs.rm(home, { recursive: true, force: true });
  });
  return { ...rt, home };
}

type Msg = { role: string; content?: string | null; tool_calls?: unknown[] };
const messagesOf = (i: number) => bodies[i]!.messages as Msg[];

describe('small models', () => {
  it('runs a tool call the model wrote as JSON text, without showing the JSON as the reply', async () => {
    const rt = await runtime();
    answers.push(
      text('{"name": "write_file", "arguments": {"path": "notes.txt", "content": "hello from the agent"}'),
      text('The file holds: hello from the agent'),
    );
    const { events } = await turn(rt.url, { text: 'create notes.txt' });
    expect(named(events, 'tool_call')).toMatchObject([{ name: 'write_file' }]);
    expect(named(events, 'tool_result')).toMatchObject([{ exit_code: 0 }]);
    expect(await fs.readFile(path.join(rt.home, 'workspace', 'notes.txt'), 'utf8')).toBe(
      'hello from the agent',
    );
    expect(
      named(events, 'text')
        .map((t) => t.delta)
        .join(''),
    ).toBe('The file holds: hello from the agent');
    // The model reads the result with its status and what to do next; the thread keeps the exit code.
    const tool = messagesOf(1).find((m) => m.role === 'tool')!;
    expect(tool.content).toMatch(/^OK: wrote 20 bytes to notes\.txt\n\nDo the next step/);
    const thread = JSON.parse(
      await fs.readFile(
        path.join(rt.home, '.agentdesk', 'threads', `${String(named(events, 'done')[0]!.thread_id)}.json`),
        'utf8',
      ),
    ) as { messages: Record<string, unknown>[] };
    expect(thread.messages.find((m) => m.role === 'tool')).toMatchObject({ exit_code: 0 });
    // Seen writing calls as text: from now on its calls with tools carry the stop sequence.
    expect(bodies[0]!.stop).toBeUndefined();
    expect(bodies[1]!.stop).toEqual(['}\n{"name"']);
  });

  it('does not run a repeated call, then stops the loop and asks for the answer in words without tools', async () => {
    const rt = await runtime();
    const call = text('{"name": "read_file", "arguments": {"path": "a.txt"}}');
    await fs.mkdir(path.join(rt.home, 'workspace'), { recursive: true });
    await fs.writeFile(path.join(rt.home, 'workspace', 'a.txt'), 'the content');
    answers.push(call, call, call, text('a.txt holds "the content".'));
    const { events } = await turn(rt.url, { text: 'show a.txt' });
    expect(named(events, 'tool_result')).toHaveLength(1);
    const notices = named(events, 'notice').map((n) => String(n.message));
    expect(notices).toHaveLength(2);
    expect(notices[0]).toMatch(/asked again for read_file .*it was not run again/);
    expect(notices[1]).toMatch(/call loop was stopped/);
    expect(named(events, 'done')[0]).toMatchObject({ reply: 'a.txt holds "the content".', steps: 4 });
    // The final request: no tools, the turn written out as text, a token limit.
    expect(bodies[3]!.tools).toBeUndefined();
    expect(bodies[3]!.max_tokens).toBe(1024);
    const last = messagesOf(3).at(-1)!;
    expect(last.content).toMatch(
      /show a\.txt\n\nActions already taken and their results:\n1\. read_file .*→ the content/,
    );
    expect(messagesOf(3).some((m) => m.tool_calls)).toBe(false);
  });

  it('a malformed tool call: says so in plain words with the model’s output, and answers without tools', async () => {
    const rt = await runtime();
    answers.push(malformed('<tool_call>{"name": "browse"'), text('I cannot browse; here is what I know.'));
    const { events } = await turn(rt.url, { text: 'look it up' });
    const [notice] = named(events, 'notice');
    expect(notice!.message).toMatch(
      /^The model produced a malformed tool call \(the model server could not read it\), so it was asked again without tools\. The model's output was: <tool_call>\{"name": "browse"/,
    );
    expect(notice!.message).not.toMatch(/APIConnectionError/);
    expect(named(events, 'done')[0]!.reply).toBe('I cannot browse; here is what I know.');
    expect(bodies[1]!.tools).toBeUndefined();
  });

  it('a malformed tool call twice: the turn ends with a plain message, not a provider error', async () => {
    const rt = await runtime();
    answers.push(malformed('{"name": "browse"'), malformed('{"name": "browse"'));
    const { events } = await turn(rt.url, { text: 'look it up' });
    const [error] = named(events, 'error');
    expect(error!.message).toMatch(
      /^The model produced a malformed tool call \(the model server could not read it\), twice\. Send the message again, or choose a model with tool support\./,
    );
    expect(events.at(-1)!.event).toBe('error');
  });

  it('with tools off, offers none and reads JSON in the answer as text; its prompt and temperature are sent', async () => {
    const rt = await runtime({
      AGENTDESK_TOOLS: '0',
      AGENTDESK_TEMPERATURE: '0.2',
      AGENTDESK_SYSTEM_PROMPT: JSON.stringify("You are terse.\nIt's $(id) `x`."),
    });
    answers.push(text('{"name": "shell", "arguments": {"command": "id"}}'));
    const { events } = await turn(rt.url, { text: 'hi' });
    expect(named(events, 'tool_call')).toEqual([]);
    expect(named(events, 'done')[0]!.reply).toBe('{"name": "shell", "arguments": {"command": "id"}}');
    expect(bodies[0]!.tools).toBeUndefined();
    expect(bodies[0]!.temperature).toBe(0.2);
    expect(messagesOf(0)[0]).toEqual({ role: 'system', content: "You are terse.\nIt's $(id) `x`." });
  });
});
