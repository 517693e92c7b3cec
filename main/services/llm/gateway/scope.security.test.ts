// Attacker tests: a key scoped to one model cannot get an answer from another through the real LiteLLM, and the model that answered is what gets recorded.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../../../../test/agents';
import { withModelApis } from '../../../../test/fixtures/scripted-llm';
import { errorBody, ScriptedUpstream } from '../../../../test/fixtures/scripted-upstream';
import { litellmInstalled, post, postStream, REAL_KEY, startLlmStack } from '../../../../test/llm-stack';
import type { LlmStack } from '../../../../test/llm-stack';
import { skipUnlessReal } from '../../../../test/real';

const skip = skipUnlessReal(litellmInstalled(), 'LiteLLM (the app venv: scripts/bootstrap-linux.sh)');

const A = 'scripted/gpt-test-mini';
/** Served by a second upstream; `gpt-4o-mini` is in LiteLLM's price map, so its calls cost something. */
const B = 'other/gpt-4o-mini';

/** How A's upstream fails, so that LiteLLM would look for another model. */
const FAILURES = {
  server: [500, errorBody('scripted outage', 'server_error')],
  context: [
    400,
    errorBody(
      "This model's maximum context length is 16 tokens. However, your messages resulted in 90 tokens.",
      'invalid_request_error',
      'context_length_exceeded',
    ),
  ],
  policy: [
    400,
    errorBody(
      'Your request was rejected as a result of our safety system.',
      'invalid_request_error',
      'content_policy_violation',
    ),
  ],
} as const;

let s: LlmStack;
let b: ScriptedUpstream;
let narrow: string; // scope: A only
let wide: string; // scope: scripted/* (A and more of that provider, not B)

function failA(how: keyof typeof FAILURES): void {
  const [status, body] = FAILURES[how];
  s.upstream.fail('POST', '/v1/chat/completions', status, body);
}

describe.skipIf(skip)('model scope through the real LiteLLM', () => {
  beforeAll(async () => {
    b = await withModelApis(new ScriptedUpstream({ key: REAL_KEY, models: ['gpt-4o-mini'] })).start();
    s = await startLlmStack({ wait: false });
    s.env.AGENTDESK_KEY_OTHER = REAL_KEY;
    s.addProvider('other', 'openai-compatible', b.v1, ['gpt-4o-mini']);
    await s.llm.reload();
    await s.llm.active!.proc.whenReady();
    expect(s.llm.status().litellm.models).toContain(B);
    narrow = s.keys.mint({ owner: 'agent-narrow', models: [A] }).key;
    wide = s.keys.mint({ owner: 'agent-wide', models: ['scripted/*'] }).key;
  });
  afterAll(async () => {
    await s?.close();
    await b?.stop();
  });

  const smuggled: [string, keyof typeof FAILURES, string, Record<string, unknown>][] = [
    ['fallbacks (list)', 'server', A, { fallbacks: [B] }],
    ['fallbacks (per-model map)', 'server', A, { fallbacks: [{ [A]: [B] }] }],
    ['context_window_fallbacks', 'context', A, { context_window_fallbacks: [{ [A]: [B] }] }],
    ['content_policy_fallbacks', 'policy', A, { content_policy_fallbacks: [{ [A]: [B] }] }],
    ['router_settings_override', 'server', A, { router_settings_override: { fallbacks: [{ [A]: [B] }] } }],
    [
      'a fallback with its own api_base and the provider key by env reference',
      'server',
      A,
      {
        fallbacks: [
          { model: 'openai/gpt-4o-mini', api_base: '', api_key: 'os.environ/AGENTDESK_KEY_SCRIPTED' },
        ],
      },
    ],
    ['mock_testing_fallbacks with fallbacks', 'server', A, { mock_testing_fallbacks: true, fallbacks: [B] }],
    ['fallbacks inside extra_body', 'server', A, { extra_body: { fallbacks: [B] } }],
  ];

  for (const [name, how, model, extra] of smuggled)
    it(`${name}: the out-of-scope model's upstream is never called`, async () => {
      failA(how);
      if (name.includes('api_base')) (extra.fallbacks as { api_base: string }[])[0]!.api_base = b.v1; // the attacker's server
      const before = b.requests.length;
      const r = await post(
        `${s.gateway}/v1/chat/completions`,
        { model, messages: [{ role: 'user', content: 'hi' }], ...extra },
        { authorization: `Bearer ${narrow}` },
      );
      expect(b.requests.length - before, `${name}: ${r.status} ${r.text.slice(0, 300)}`).toBe(0);
      expect(r.text).not.toContain('Hello from gpt-4o-mini');
      // Refused with a 400 that names the field (before the fix: answered by B, or by LiteLLM's own 400).
      expect(r.status).toBe(400);
      const err = (r.json() as { error: { code: string; message: string } }).error;
      expect(err.code).toBe('field_not_allowed');
      expect(err.message).toContain(`"${Object.keys(extra)[0]}"`);
    });

  it('a comma in "model" (LiteLLM batches "a,b") is refused even when the key scope is a wildcard', async () => {
    withModelApis(s.upstream);
    const before = b.requests.length;
    const r = await post(
      `${s.gateway}/v1/chat/completions`,
      { model: `${A},${B}`, messages: [{ role: 'user', content: 'hi' }] },
      { authorization: `Bearer ${wide}` },
    );
    expect(b.requests.length - before, r.text.slice(0, 300)).toBe(0);
    expect(r.status).toBe(400);
    expect(r.text).toContain('must name one model');
  });

  it('unknown top-level fields are dropped (and said so), metadata keeps only user_id', async () => {
    withModelApis(s.upstream);
    const r = await post(
      `${s.gateway}/v1/chat/completions`,
      {
        model: A,
        messages: [{ role: 'user', content: 'hi' }],
        some_new_sdk_field: 1,
        'bad\r\nSet-Cookie: é': 1, // a name that cannot go in a header as is
        metadata: { user_id: 'u1', tags: ['x'], model_group: B },
      },
      { authorization: `Bearer ${narrow}` },
    );
    expect(r.status).toBe(200);
    expect(r.headers['x-agentdesk-dropped-fields']).toBe(
      'some_new_sdk_field, ?, metadata.tags, metadata.model_group',
    );
    expect(r.headers['set-cookie']).toBeUndefined();
    const sent = JSON.parse(s.upstream.requestsTo('/v1/chat/completions').at(-1)!.body) as Record<
      string,
      unknown
    >;
    expect(sent.some_new_sdk_field).toBeUndefined();
  });

  describe('the model that answered is recorded, and an out-of-scope answer is withheld', () => {
    // Stands for LiteLLM choosing another model on its own (a router feature, a bug): a pass-through in
    // front of the real LiteLLM adds `fallbacks` after the gateway's checks. LiteLLM answers for real.
    let proxy: http.Server;
    let realPort = 0;
    beforeAll(async () => {
      const target = s.llm.target()!;
      realPort = target.port;
      proxy = http.createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          let body = Buffer.concat(chunks);
          if (req.method === 'POST') {
            const json = JSON.parse(body.toString()) as Record<string, unknown>;
            body = Buffer.from(JSON.stringify({ ...json, fallbacks: [B] }));
          }
          const headers = { ...req.headers, 'content-length': String(body.length) };
          const up = http.request(
            { host: '127.0.0.1', port: realPort, method: req.method, path: req.url, headers },
            (ures) => {
              res.writeHead(ures.statusCode ?? 502, ures.headers);
              ures.pipe(res);
            },
          );
          up.on('error', () => res.destroy());
          up.end(body);
        });
      });
      await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
      target.port = (proxy.address() as AddressInfo).port;
      failA('server');
    });
    afterAll(async () => {
      const target = s.llm.target();
      if (target) target.port = realPort;
      await new Promise<void>((r) => proxy?.close(() => r()));
      withModelApis(s.upstream);
    });

    it('outside the scope: 502, nothing of the answer reaches the caller, the call is recorded as served and charged', async () => {
      const minted = s.keys.mint({ owner: 'agent-victim', models: [A] });
      const r = await post(
        `${s.gateway}/v1/chat/completions`,
        { model: A, messages: [{ role: 'user', content: 'hi' }] },
        { authorization: `Bearer ${minted.key}` },
      );
      expect(r.status).toBe(502);
      expect((r.json() as { error: { code: string } }).error.code).toBe('served_model_not_allowed');
      expect(r.text).not.toContain('Hello from');
      const call = await until(
        async () => (await s.calls()).find((c) => c.owner === 'agent-victim'),
        (c) => c !== undefined,
        10_000,
        'the llm_call of the withheld answer',
      );
      expect(call).toMatchObject({ model: B, requested_model: A, provider: 'other', status: 502 });
      expect(call!.error).toContain(`"${B}"`);
      expect(call!.cost_usd).toBeGreaterThan(0); // priced from gpt-4o-mini (A has no price)
      expect(s.keys.get(minted.record.id)!.spentUsd).toBeGreaterThan(0);
    });

    it('inside the scope: the answer passes, recorded under the model that answered and priced from it', async () => {
      const minted = s.keys.mint({ owner: 'agent-both', models: [A, B] });
      const whole = await post(
        `${s.gateway}/v1/chat/completions`,
        { model: A, messages: [{ role: 'user', content: 'hi' }] },
        { authorization: `Bearer ${minted.key}` },
      );
      expect(whole.status).toBe(200);
      expect(whole.text).toContain('Hello from gpt-4o-mini');
      const streamed = await postStream(
        `${s.gateway}/v1/chat/completions`,
        { model: A, stream: true, messages: [{ role: 'user', content: 'hi' }] },
        { authorization: `Bearer ${minted.key}` },
      );
      expect(streamed.status).toBe(200);
      const calls = await until(
        async () => (await s.calls()).filter((c) => c.owner === 'agent-both'),
        (c) => c.length === 2,
        10_000,
        'both llm_calls',
      );
      for (const c of calls) {
        expect(c).toMatchObject({ model: B, requested_model: A, provider: 'other', status: 200 });
        expect(c.cost_usd).toBeGreaterThan(0);
      }
    });
  });
});
