// Claude Code's and Codex's traffic through the gateway and a real LiteLLM: Anthropic Messages and OpenAI Responses, streamed with tool calls, for every kind of served model; usage recorded.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withModelApis } from '../../../../test/fixtures/scripted-llm';
import { ScriptedUpstream } from '../../../../test/fixtures/scripted-upstream';
import { litellmInstalled, postStream, REAL_KEY, startLlmStack } from '../../../../test/llm-stack';
import type { LlmStack } from '../../../../test/llm-stack';
import { skipUnlessReal } from '../../../../test/real';

const skip = skipUnlessReal(litellmInstalled(), 'LiteLLM (the app venv: scripts/bootstrap-linux.sh)');

let s: LlmStack;
/** A llama.cpp-like server: chat completions only (its /v1/responses and /v1/messages answer 404). */
let chatOnly: ScriptedUpstream;
let key: string;

/** The SSE `data:` payloads of a stream, parsed. */
function events(text: string): Record<string, unknown>[] {
  return text
    .split('\n')
    .filter((l) => l.startsWith('data: ') && l !== 'data: [DONE]')
    .map((l) => JSON.parse(l.slice(6)) as Record<string, unknown>);
}

/** A request shaped like Claude Code 2.1.328's (`POST /v1/messages?beta=true`, fields as it sends them). */
function claudeCodeBody(model: string, text: string): Record<string, unknown> {
  return {
    model,
    max_tokens: 32000,
    stream: true,
    system: [{ type: 'text', text: 'You are Claude Code.' }],
    messages: [{ role: 'user', content: [{ type: 'text', text }] }],
    tools: [
      {
        name: 'Bash',
        description: 'Runs a command',
        input_schema: {
          type: 'object',
          properties: { command: { type: 'string' }, description: { type: 'string' } },
          required: ['command'],
        },
      },
    ],
    metadata: { user_id: 'user_x' },
  };
}

/** A request shaped like Codex 0.169.0's (`POST /v1/responses`, fields as it sends them). */
function codexBody(model: string, text: string): Record<string, unknown> {
  return {
    model,
    stream: true,
    input: [
      { type: 'message', role: 'developer', content: [{ type: 'input_text', text: 'You are Codex.' }] },
      { type: 'message', role: 'user', content: [{ type: 'input_text', text }] },
    ],
    tools: [
      {
        type: 'function',
        name: 'exec_command',
        description: 'Runs a command',
        strict: false,
        parameters: { type: 'object', properties: { cmd: { type: 'string' } }, required: ['cmd'] },
      },
    ],
    tool_choice: 'auto',
    parallel_tool_calls: false,
    store: false,
    include: [],
    prompt_cache_key: 'thread-1',
    client_metadata: { thread: 'x' },
  };
}

describe.skipIf(skip)('Claude Code and Codex request shapes through the gateway', () => {
  beforeAll(async () => {
    chatOnly = withModelApis(new ScriptedUpstream({ key: REAL_KEY, models: ['qwen-test'] }));
    chatOnly.fail('POST', '/v1/responses', 404).fail('POST', '/v1/messages', 404);
    await chatOnly.start();
    s = await startLlmStack({ wait: false });
    s.addProvider('oai', 'openai', s.upstream.v1, ['gpt-test-mini']);
    s.addProvider('local', 'llamacpp', chatOnly.v1, ['qwen-test']);
    s.env.AGENTDESK_KEY_OAI = REAL_KEY;
    s.env.AGENTDESK_KEY_LOCAL = REAL_KEY;
    await s.llm.reload();
    await s.llm.active?.proc.whenReady();
    key = s.keys.mint({
      owner: 'agent-shapes',
      models: ['claude/claude-test', 'scripted/gpt-4o-mini', 'oai/gpt-test-mini', 'local/qwen-test'],
    }).key;
  }, 180_000);
  afterAll(async () => {
    await s?.close();
    await chatOnly?.stop();
  });

  const messages = (model: string, text: string) =>
    postStream(`${s.gateway}/v1/messages?beta=true`, claudeCodeBody(model, text), {
      'x-api-key': key,
      'anthropic-version': '2023-06-01',
      'anthropic-beta': 'claude-code-20250219',
    });
  const responses = (model: string, text: string) =>
    postStream(`${s.gateway}/v1/responses`, codexBody(model, text), { authorization: `Bearer ${key}` });

  it.each([
    ['an Anthropic model (its own Messages API)', 'claude/claude-test', () => s.upstream, '/v1/messages'],
    ['a server with chat completions only', 'local/qwen-test', () => chatOnly, '/v1/chat/completions'],
    ['an OpenAI-compatible provider', 'scripted/gpt-4o-mini', () => s.upstream, '/v1/chat/completions'],
  ])(
    'Anthropic Messages, streamed, for %s: the Bash tool_use arrives whole, usage is recorded',
    async (_what, model, upstream, path) => {
      const before = upstream().requestsTo(path).length;
      const r = await messages(model, 'Run it #tool=Bash');
      expect(r.status, r.text.slice(0, 300)).toBe(200);
      const ev = events(r.text);
      const start = ev.find(
        (e) => e.type === 'content_block_start' && (e.content_block as { type: string }).type === 'tool_use',
      );
      expect(start?.content_block).toMatchObject({ name: 'Bash' });
      const json = ev
        .filter((e) => e.type === 'content_block_delta')
        .map((e) => (e.delta as { partial_json?: string }).partial_json ?? '')
        .join('');
      expect(JSON.parse(json)).toMatchObject({ command: 'echo hi' });
      expect(ev.some((e) => e.type === 'message_stop')).toBe(true);
      expect(upstream().requestsTo(path).length).toBe(before + 1);
      const call = (await s.calls()).filter((c) => c.path === '/v1/messages').at(-1)!;
      expect(call).toMatchObject({ model, status: 200, stream: true });
      expect(call.tokens_in).toBeGreaterThan(0);
      expect(call.tokens_out).toBeGreaterThan(0);
    },
  );

  it.each([
    ['OpenAI (its own Responses API)', 'oai/gpt-test-mini', () => s.upstream, '/v1/responses'],
    ['a server with chat completions only', 'local/qwen-test', () => chatOnly, '/v1/chat/completions'],
    ['an Anthropic model', 'claude/claude-test', () => s.upstream, '/v1/messages'],
  ])(
    'OpenAI Responses, streamed, for %s: the exec_command function call arrives whole, usage is recorded',
    async (_what, model, upstream, path) => {
      const before = upstream().requestsTo(path).length;
      const r = await responses(model, 'Run it #tool=exec_command');
      expect(r.status, r.text.slice(0, 300)).toBe(200);
      const ev = events(r.text);
      const done = ev.find(
        (e) =>
          e.type === 'response.output_item.done' && (e.item as { type: string }).type === 'function_call',
      );
      expect(done?.item).toMatchObject({ name: 'exec_command' });
      expect(JSON.parse((done!.item as { arguments: string }).arguments)).toMatchObject({ cmd: 'echo hi' });
      expect(ev.some((e) => e.type === 'response.completed')).toBe(true);
      expect(upstream().requestsTo(path).length).toBe(before + 1);
      const call = (await s.calls()).filter((c) => c.path === '/v1/responses').at(-1)!;
      expect(call).toMatchObject({ model, status: 200, stream: true });
      expect(call.tokens_in).toBeGreaterThan(0);
      expect(call.tokens_out).toBeGreaterThan(0);
    },
  );

  it('charges a priced model for these shapes like for chat (tokens × LiteLLM price map)', async () => {
    const r = await responses('scripted/gpt-4o-mini', 'Say hello');
    expect(r.status).toBe(200);
    const call = (await s.calls()).filter((c) => c.path === '/v1/responses').at(-1)!;
    expect(call.model).toBe('scripted/gpt-4o-mini');
    expect(call.cost_usd).toBeGreaterThan(0);
    const m = await messages('scripted/gpt-4o-mini', 'Say hello');
    expect(m.status).toBe(200);
    const mc = (await s.calls()).filter((c) => c.path === '/v1/messages').at(-1)!;
    expect(mc.cost_usd).toBeGreaterThan(0);
  });
});
