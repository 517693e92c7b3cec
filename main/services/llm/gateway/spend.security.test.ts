// Attacker tests: a caller that drops a stream mid-answer is still charged for what was produced (real LiteLLM, scripted upstream).
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../../../../test/agents';
import { litellmInstalled, startLlmStack } from '../../../../test/llm-stack';
import type { LlmStack } from '../../../../test/llm-stack';
import { skipUnlessReal } from '../../../../test/real';

const skip = skipUnlessReal(litellmInstalled(), 'LiteLLM (the app venv: scripts/bootstrap-linux.sh)');

let s: LlmStack;

/**
 * Streams `body` to `path` and destroys the connection as soon as `cutAfter` appears in the answer.
 * @returns what was received before the cut.
 */
function dropMidStream(
  path: string,
  body: unknown,
  headers: Record<string, string>,
  cutAfter: string,
): Promise<string> {
  const data = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    let seen = '';
    const req = http.request(
      `${s.gateway}${path}`,
      { method: 'POST', agent: false, headers: { 'content-type': 'application/json', ...headers } },
      (res) => {
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          seen += c;
          if (seen.includes(cutAfter)) {
            req.destroy();
            resolve(seen);
          }
        });
        res.on('end', () =>
          reject(new Error(`the stream ended before "${cutAfter}": ${seen.slice(0, 300)}`)),
        );
      },
    );
    req.on('error', (err) => {
      if (!seen.includes(cutAfter)) reject(err);
    });
    req.end(data);
  });
}

describe.skipIf(skip)('spending of answers the caller drops', () => {
  beforeAll(async () => {
    s = await startLlmStack();
  });
  afterAll(async () => {
    await s?.close();
  });

  it('a chat stream dropped after two chunks: the llm_call and the key are charged, priced from the model', async () => {
    const minted = s.keys.mint({ owner: 'agent-drop', models: ['scripted/*'] });
    const got = await dropMidStream(
      '/v1/chat/completions',
      {
        model: 'scripted/gpt-4o-mini', // in LiteLLM's price map
        stream: true,
        messages: [{ role: 'user', content: 'a long answer please #chunks=40 #delay=150' }],
      },
      { authorization: `Bearer ${minted.key}` },
      'chunk1 ',
    );
    expect(got).toContain('chunk0 ');
    const call = await until(
      async () => (await s.calls()).find((c) => c.owner === 'agent-drop'),
      (c) => c !== undefined,
      15_000,
      'the llm_call of the dropped stream',
    );
    expect(call).toMatchObject({ status: 499, model: 'scripted/gpt-4o-mini', usage_estimated: true });
    expect(call!.tokens_in).toBeGreaterThan(0);
    expect(call!.tokens_out).toBeGreaterThan(0);
    expect(call!.cost_usd).toBeGreaterThan(0);
    expect(s.keys.get(minted.record.id)!.spentUsd).toBeGreaterThan(0);
  });

  it('an Anthropic stream dropped mid-answer keeps the input tokens it reported and counts output', async () => {
    const minted = s.keys.mint({ owner: 'agent-drop-claude', models: ['claude/*'] });
    await dropMidStream(
      '/v1/messages',
      {
        model: 'claude/claude-test',
        max_tokens: 500,
        stream: true,
        messages: [{ role: 'user', content: 'go on #chunks=40 #delay=150' }],
      },
      { 'x-api-key': minted.key, 'anthropic-version': '2023-06-01' },
      'chunk1 ',
    );
    const call = await until(
      async () => (await s.calls()).find((c) => c.owner === 'agent-drop-claude'),
      (c) => c !== undefined,
      15_000,
      'the llm_call of the dropped Anthropic stream',
    );
    expect(call).toMatchObject({ status: 499, usage_estimated: true });
    expect(call!.tokens_in).toBeGreaterThan(0);
    expect(call!.tokens_out).toBeGreaterThanOrEqual(2);
  });
});
