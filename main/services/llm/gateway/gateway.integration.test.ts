// The gateway in front of a real LiteLLM (from the venv) and the scripted upstream: every path, every refusal, no leaks.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { skipUnlessReal } from '../../../../test/real';
import {
  filesContaining,
  litellmInstalled,
  post,
  postStream,
  REAL_KEY,
  startLlmStack,
} from '../../../../test/llm-stack';
import type { LlmStack } from '../../../../test/llm-stack';

const skip = skipUnlessReal(litellmInstalled(), 'LiteLLM (the app venv: scripts/bootstrap-linux.sh)');

let s: LlmStack;
let key: string; // scope: scripted/* and claude/claude-test
let narrowKey: string; // scope: scripted/gpt-test-mini only
const answers: string[] = []; // every body the gateway sent, for the leak check
const masterKeys = new Set<string>();
const mintedKeys: string[] = [];

async function chat(
  k: string,
  content: string,
  extra: Record<string, unknown> = {},
  model = 'scripted/gpt-test-mini',
) {
  const r = await post(
    `${s.gateway}/v1/chat/completions`,
    { model, messages: [{ role: 'user', content }], ...extra },
    { authorization: `Bearer ${k}` },
  );
  answers.push(r.text);
  return r;
}

describe.skipIf(skip)('gateway → LiteLLM → scripted upstream', () => {
  beforeAll(async () => {
    s = await startLlmStack();
    key = s.keys.mint({ owner: 'agent-a', models: ['scripted/*', 'claude/claude-test'] }).key;
    narrowKey = s.keys.mint({ owner: 'agent-b', models: ['scripted/gpt-test-mini'] }).key;
    mintedKeys.push(key, narrowKey);
    masterKeys.add(s.llm.target()!.masterKey);
  });
  afterAll(async () => {
    await s?.close();
  });

  it('chat: the answer comes back; the upstream saw the real key, never the virtual one', async () => {
    const r = await chat(key, 'hi there');
    expect(r.status).toBe(200);
    const body = r.json() as {
      choices: { message: { content: string } }[];
      usage: { prompt_tokens: number };
    };
    expect(body.choices[0]!.message.content).toMatch(/^Hello from gpt-test-mini/);
    const seen = s.upstream.requestsTo('/v1/chat/completions').at(-1)!;
    expect(seen.headers.authorization).toBe(`Bearer ${REAL_KEY}`);
    expect(JSON.stringify(seen.headers)).not.toContain('sk-agentdesk-');
    expect(r.headers['x-litellm-model-api-base']).toBeUndefined();
    const call = (await s.calls()).at(-1)!;
    expect(call).toMatchObject({
      owner: 'agent-a',
      provider: 'scripted',
      model: 'scripted/gpt-test-mini',
      status: 200,
      stream: false,
      error: null,
    });
    expect(call.tokens_in).toBe(body.usage.prompt_tokens);
    expect(call.tokens_out).toBe(3);
  });

  it('streams chunk by chunk with the upstream timing (no buffering) and records usage and TTFT', async () => {
    const r = await postStream(
      `${s.gateway}/v1/chat/completions`,
      {
        model: 'scripted/gpt-test-mini',
        stream: true,
        messages: [{ role: 'user', content: 'go #chunks=5 #delay=300' }],
      },
      { authorization: `Bearer ${key}` },
    );
    answers.push(r.text);
    expect(r.status).toBe(200);
    const contentAt = (n: number) => r.chunks.find((c) => c.text.includes(`chunk${n} `))!.at;
    const gaps = [1, 2, 3, 4].map((n) => contentAt(n) - contentAt(n - 1));
    // The chunks arrived spread over the upstream's timing, about 300 ms apart (a buffering proxy would
    // deliver them together at the end). On a loaded machine a stalled reader may take two at once, so
    // no single gap is required to be long: the spread and most gaps are.
    expect([...gaps].sort((a, b) => a - b)[2]).toBeGreaterThan(200); // median-ish of 4 gaps
    expect(contentAt(4) - contentAt(0)).toBeGreaterThan(900);
    expect(r.text).toContain('"usage"'); // include_usage added by the gateway
    expect(r.text.trim().endsWith('data: [DONE]')).toBe(true);
    const sent = JSON.parse(s.upstream.requestsTo('/v1/chat/completions').at(-1)!.body) as Record<
      string,
      unknown
    >;
    expect(sent.stream_options).toEqual({ include_usage: true });
    const call = (await s.calls()).at(-1)!;
    expect(call.stream).toBe(true);
    expect(call.tokens_out).toBe(5);
    expect(call.ttft_ms).toBeGreaterThan(250);
    // Time to first token is taken at the first chunk, not at the end: the upstream spaced the other four
    // over 1.2 s (the same margin as the spread above, for a loaded machine).
    expect(call.ttft_ms!).toBeLessThan(call.duration_ms - 900);
  });

  it('tool calls pass through, whole and streamed', async () => {
    const tools = [
      {
        type: 'function',
        function: {
          name: 'get_weather',
          parameters: { type: 'object', properties: { city: { type: 'string' } } },
        },
      },
    ];
    const r = await chat(key, 'weather? #tool=get_weather', { tools });
    expect(r.status).toBe(200);
    const msg = (
      r.json() as {
        choices: {
          message: { tool_calls: { function: { name: string; arguments: string } }[] };
          finish_reason: string;
        }[];
      }
    ).choices[0]!;
    expect(msg.finish_reason).toBe('tool_calls');
    expect(msg.message.tool_calls[0]!.function).toEqual({
      name: 'get_weather',
      arguments: '{"city":"Paris"}',
    });
    const st = await postStream(
      `${s.gateway}/v1/chat/completions`,
      {
        model: 'scripted/gpt-test-mini',
        stream: true,
        tools,
        messages: [{ role: 'user', content: 'weather? #tool=get_weather' }],
      },
      { authorization: `Bearer ${key}` },
    );
    answers.push(st.text);
    const args = st.text
      .split('\n')
      .filter((l) => l.startsWith('data: {'))
      .map(
        (l) =>
          JSON.parse(l.slice(6)) as {
            choices: { delta: { tool_calls?: { function?: { arguments?: string } }[] } }[];
          },
      )
      .map((c) => c.choices[0]?.delta.tool_calls?.[0]?.function?.arguments ?? '')
      .join('');
    expect(args).toBe('{"city":"Paris"}');
  });

  it('embeddings, completions and responses', async () => {
    const auth = { authorization: `Bearer ${key}` };
    const e = await post(
      `${s.gateway}/v1/embeddings`,
      { model: 'scripted/gpt-test-mini', input: ['a', 'bb'] },
      auth,
    );
    answers.push(e.text);
    expect(e.status).toBe(200);
    expect((e.json() as { data: { embedding: number[] }[] }).data.map((d) => d.embedding.length)).toEqual([
      8, 8,
    ]);
    const c = await post(
      `${s.gateway}/v1/completions`,
      { model: 'scripted/gpt-test-mini', prompt: 'say hi' },
      auth,
    );
    answers.push(c.text);
    expect(c.status).toBe(200);
    const r = await post(
      `${s.gateway}/v1/responses`,
      { model: 'scripted/gpt-test-mini', input: 'hello' },
      auth,
    );
    answers.push(r.text);
    expect(r.status).toBe(200);
    expect(r.text).toContain('Hello from gpt-test-mini');
    const calls = (await s.calls()).slice(-3);
    expect(calls.map((x) => [x.path, x.status])).toEqual([
      ['/v1/embeddings', 200],
      ['/v1/completions', 200],
      ['/v1/responses', 200],
    ]);
    expect(calls[0]!.tokens_in).toBeGreaterThan(0);
    // LiteLLM answers /v1/responses through the model's chat completions (docs/decisions/015-harness-plugins.md),
    // so the usage is the scripted chat completion's: 3 output tokens, as for /v1/chat/completions above.
    expect(calls[2]!.tokens_out).toBe(3);
  });

  it('Anthropic /v1/messages with x-api-key, whole and streamed', async () => {
    const body = {
      model: 'claude/claude-test',
      max_tokens: 50,
      messages: [{ role: 'user', content: 'bonjour' }],
    };
    const r = await post(`${s.gateway}/v1/messages`, body, {
      'x-api-key': key,
      'anthropic-version': '2023-06-01',
    });
    answers.push(r.text);
    expect(r.status).toBe(200);
    expect((r.json() as { content: { text: string }[] }).content[0]!.text).toMatch(/^Hello from claude-test/);
    const seen = s.upstream.requestsTo('/v1/messages').at(-1)!;
    expect(seen.headers['x-api-key']).toBe(REAL_KEY);
    const st = await postStream(
      `${s.gateway}/v1/messages`,
      { ...body, stream: true },
      { 'x-api-key': key, 'anthropic-version': '2023-06-01' },
    );
    answers.push(st.text);
    expect(st.status).toBe(200);
    expect(st.text).toContain('event: message_stop');
    const call = (await s.calls()).at(-1)!;
    expect(call).toMatchObject({
      model: 'claude/claude-test',
      provider: 'claude',
      stream: true,
      tokens_out: 3,
    });
    expect(call.tokens_in).toBeGreaterThan(0);
  });

  it('a 1 MiB request body goes through; more than 32 MiB gets 413', async () => {
    const big = 'x'.repeat(1024 * 1024);
    const r = await chat(key, big);
    expect(r.status).toBe(200);
    expect(r.text).toContain(`your message had ${big.length} characters`);
    const huge = await post(
      `${s.gateway}/v1/chat/completions`,
      '{"model":"scripted/gpt-test-mini","pad":"' + 'y'.repeat(33 * 1024 * 1024) + '"}',
      { authorization: `Bearer ${key}` },
    ).catch((e: Error) => ({ status: -1, text: e.message }));
    expect(huge.status).toBe(413);
    expect(huge.text).toContain('request_too_large');
  });

  it('a caller cannot redirect LiteLLM or swap credentials through the body: refused, naming the field', async () => {
    const before = s.upstream.requestsTo('/v1/chat/completions').length;
    for (const [field, value] of [
      ['api_base', 'http://127.0.0.1:9/v1'],
      ['api_key', 'sk-other'],
      ['litellm_params', { x: 1 }],
    ] as const) {
      const r = await chat(key, 'hi', { [field]: value });
      expect(r.status, field).toBe(400);
      const err = (r.json() as { error: { code: string; message: string } }).error;
      expect(err.code).toBe('field_not_allowed');
      expect(err.message).toContain(`"${field}"`);
    }
    expect(s.upstream.requestsTo('/v1/chat/completions').length).toBe(before);
    expect((await chat(key, 'hi')).status).toBe(200);
    expect(s.upstream.requestsTo('/v1/chat/completions').at(-1)!.headers.authorization).toBe(
      `Bearer ${REAL_KEY}`,
    );
  });

  it('403 outside the scope, listing the allowed models; /v1/models filtered to the scope', async () => {
    const r = await chat(narrowKey, 'hi', {}, 'scripted/gpt-4o-mini');
    expect(r.status).toBe(403);
    const err = (r.json() as { error: { message: string; code: string } }).error;
    expect(err.code).toBe('model_not_allowed');
    expect(err.message).toContain('Allowed models: scripted/gpt-test-mini');
    const list = await new Promise<{ status: number; body: string }>((resolve) => {
      void fetch(`${s.gateway}/v1/models`, { headers: { authorization: `Bearer ${narrowKey}` } }).then(
        async (res) => resolve({ status: res.status, body: await res.text() }),
      );
    });
    expect(list.status).toBe(200);
    expect((JSON.parse(list.body) as { data: { id: string }[] }).data.map((m) => m.id)).toEqual([
      'scripted/gpt-test-mini',
    ]);
  });

  it('401 without a key, with an unknown key, and with a revoked key on its very next request', async () => {
    expect((await post(`${s.gateway}/v1/chat/completions`, { model: 'scripted/gpt-test-mini' })).status).toBe(
      401,
    );
    expect((await chat(`sk-agentdesk-${'A'.repeat(43)}`, 'hi')).status).toBe(401);
    const minted = s.keys.mint({ owner: 'agent-c', models: ['*'] });
    mintedKeys.push(minted.key);
    expect((await chat(minted.key, 'hi')).status).toBe(200);
    s.keys.revoke(minted.record.id);
    const r = await chat(minted.key, 'hi');
    expect(r.status).toBe(401);
    expect(r.text).toContain('revoked');
  });

  it('429 on the rate limit and on the budget', async () => {
    const limited = s.keys.mint({ owner: 'agent-d', models: ['*'], rpm: 2 }).key;
    expect((await chat(limited, 'a')).status).toBe(200);
    expect((await chat(limited, 'b')).status).toBe(200);
    const r = await chat(limited, 'c');
    expect(r.status).toBe(429);
    expect(Number(r.headers['retry-after'])).toBeGreaterThan(0);
    // gpt-4o-mini is in LiteLLM's price map: the first call costs something, the second is over budget.
    const budget = s.keys.mint({ owner: 'agent-e', models: ['*'], budgetUsd: 1e-9 });
    expect((await chat(budget.key, 'spend', {}, 'scripted/gpt-4o-mini')).status).toBe(200);
    expect(s.keys.get(budget.record.id)!.spentUsd).toBeGreaterThan(0);
    const over = await chat(budget.key, 'more', {}, 'scripted/gpt-4o-mini');
    expect(over.status).toBe(429);
    expect(over.text).toContain('budget_exceeded');
  });

  it('a provider refusing its key is a 502, never a 401 to the agent; upstream 5xx is a 502', async () => {
    const r = await chat(key, 'x #status=401');
    expect(r.status).toBe(502);
    expect(r.text).toContain('provider refused its API key');
    const f = await chat(key, 'x #status=500');
    expect(f.status).toBe(502);
    expect(f.text).toContain('Upstream failure');
    expect((await chat(key, 'and the model still answers')).status).toBe(200); // no cooldown after failures
  });

  it('LiteLLM refusing the master key never reaches the agent as an auth error', async () => {
    const target = s.llm.target()!;
    const real = target.masterKey;
    target.masterKey = 'sk-wrong-master-key-for-this-test';
    try {
      const r = await chat(key, 'hi');
      expect(r.status).toBe(502);
      expect(r.text).not.toContain('No connected db');
      expect(r.text).toContain('master key');
    } finally {
      target.masterKey = real;
    }
  });

  it('the real key is in no config file, log, database or answer; the config holds env references only', async () => {
    const cfg = s.llm.status().litellm.config_file!;
    const { readFileSync, statSync } = await import('node:fs');
    const text = readFileSync(cfg, 'utf8');
    expect(text).toContain('api_key: os.environ/AGENTDESK_KEY_SCRIPTED');
    expect(text).toContain('master_key: os.environ/LITELLM_MASTER_KEY');
    expect(statSync(cfg).mode & 0o777).toBe(0o600);
    await s.calls();
    expect(filesContaining(s.home, REAL_KEY)).toEqual([]);
    for (const m of masterKeys) expect(filesContaining(s.home, m)).toEqual([]);
    for (const a of answers) {
      expect(a).not.toContain(REAL_KEY);
      for (const m of masterKeys) expect(a).not.toContain(m);
    }
    for (const k of mintedKeys) expect(filesContaining(s.home, k)).toEqual([]); // stored as hashes only
  });
});
