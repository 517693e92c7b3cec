// The System view's "Test model" action: a tiny chat completion straight to LiteLLM, with reply and latency.
import http from 'node:http';
import type { LlmTestResult } from '../../../contract/llm';
import { classifyLitellmError } from './gateway/errors';
import type { GatewayTarget } from './gateway/target';
import { usageOf } from './llm-usage';

/** The prompt used when none is given. */
export const DEFAULT_TEST_PROMPT = 'Reply with the single word OK.';

/**
 * Sends `{model, messages:[{role:'user', content: prompt}], max_tokens: 32}` to LiteLLM's
 * `/v1/chat/completions` with the master key and waits up to `timeoutMs` (default 60 000).
 * Never throws: failures are answers with `ok: false` and a one-line `error` (LiteLLM's error message,
 * scrubbed; LiteLLM auth errors are reported as the gateway would report them).
 */
export function testModel(
  target: GatewayTarget,
  model: string,
  prompt: string = DEFAULT_TEST_PROMPT,
  opts: { timeoutMs?: number; scrub?: (s: string) => string } = {},
): Promise<LlmTestResult> {
  const scrub = opts.scrub ?? ((s: string) => s);
  const body = JSON.stringify({ model, messages: [{ role: 'user', content: prompt }], max_tokens: 32 });
  const t0 = performance.now();
  const result = (r: Partial<LlmTestResult>): LlmTestResult => ({
    ok: false,
    model,
    reply: null,
    latency_ms: Math.round(performance.now() - t0),
    http_status: null,
    error: null,
    tokens_in: null,
    tokens_out: null,
    ...r,
  });
  return new Promise((resolve) => {
    const req = http.request(
      {
        host: target.host,
        port: target.port,
        method: 'POST',
        path: '/v1/chat/completions',
        agent: false, // a rare user action: its own connection
        timeout: opts.timeoutMs ?? 60_000,
        headers: {
          authorization: `Bearer ${target.masterKey}`,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const status = res.statusCode ?? 0;
          if (status >= 400) {
            const v = classifyLitellmError(status, text, scrub);
            const message = v.pass ? (tryMessage(v.body) ?? v.body.slice(0, 500)) : v.error.message;
            return resolve(result({ http_status: status, error: message }));
          }
          try {
            const json = JSON.parse(text) as { choices?: { message?: { content?: unknown } }[] };
            const content = json.choices?.[0]?.message?.content;
            const usage = usageOf(json);
            resolve(
              result({
                ok: true,
                http_status: status,
                reply: typeof content === 'string' ? content.slice(0, 2000) : '',
                tokens_in: usage?.tokensIn ?? null,
                tokens_out: usage?.tokensOut ?? null,
              }),
            );
          } catch {
            resolve(
              result({ http_status: status, error: 'LiteLLM answered with something that is not JSON' }),
            );
          }
        });
      },
    );
    req.on('timeout', () =>
      req.destroy(new Error(`no answer within ${(opts.timeoutMs ?? 60_000) / 1000} s`)),
    );
    req.on('error', (err) => resolve(result({ error: `LiteLLM did not answer: ${scrub(err.message)}` })));
    req.end(body);
  });
}

function tryMessage(body: string): string | null {
  try {
    const m = (JSON.parse(body) as { error?: { message?: unknown } }).error?.message;
    return typeof m === 'string' ? m.slice(0, 500) : null;
  } catch {
    return null;
  }
}
