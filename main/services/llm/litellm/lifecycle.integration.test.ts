// LiteLLM supervision for real: kill -9 → 503 fast, then restarted; reload with new providers during a long stream.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { skipUnlessReal } from '../../../../test/real';
import { litellmInstalled, post, postStream, REAL_KEY, startLlmStack } from '../../../../test/llm-stack';
import type { LlmStack } from '../../../../test/llm-stack';

const skip = skipUnlessReal(litellmInstalled(), 'LiteLLM (the app venv: scripts/bootstrap-linux.sh)');

let s: LlmStack;
let key: string;

function chat(content: string, model = 'scripted/gpt-test-mini') {
  return post(
    `${s.gateway}/v1/chat/completions`,
    { model, messages: [{ role: 'user', content }] },
    { authorization: `Bearer ${key}` },
  );
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function until(cond: () => boolean, ms: number): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.skipIf(skip)('LiteLLM lifecycle', () => {
  beforeAll(async () => {
    s = await startLlmStack({
      deps: {
        processOptions: { backoff: { initialMs: 1000, maxMs: 30_000 } },
        // The drain must outlast the ≈ 40 s stream below however fast the new LiteLLM is ready: with the
        // default 30 s, a start done in under 10 s stopped the old LiteLLM before the stream ended.
        drainMs: 120_000,
      },
    });
    key = s.keys.mint({ owner: 'agent-a', models: ['*'] }).key;
  });
  afterAll(async () => {
    await s?.close();
  });

  it('kill -9 of LiteLLM: requests in the gap get 503 at once with Retry-After, then it is restarted', async () => {
    expect((await chat('before')).status).toBe(200);
    const before = s.llm.status().litellm;
    expect(before.state).toBe('ready');
    const pid = before.pid!;
    process.kill(pid, 'SIGKILL');
    await until(() => s.llm.status().litellm.state === 'restarting', 30_000);
    const gap: { status: number; ms: number; retryAfter: string | undefined }[] = [];
    while (s.llm.status().litellm.state !== 'ready' && gap.length < 200) {
      const t0 = performance.now();
      const r = await chat('in the gap');
      gap.push({ status: r.status, ms: performance.now() - t0, retryAfter: r.headers['retry-after'] });
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(gap.length).toBeGreaterThan(3);
    const refused = gap.filter((g) => g.status === 503);
    expect(refused.length).toBeGreaterThan(3);
    for (const g of refused) {
      expect(g.ms).toBeLessThan(1000); // answered at once, never hangs
      expect(Number(g.retryAfter)).toBeGreaterThan(0);
    }
    await s.llm.active!.proc.whenReady();
    const after = s.llm.status().litellm;
    expect(after.state).toBe('ready');
    expect(after.pid).not.toBe(pid);
    expect(after.restarts).toBe(1);
    expect(after.last_error).toMatch(/LiteLLM was killed by SIGKILL/);
    expect(alive(pid)).toBe(false);
    expect((await chat('after')).status).toBe(200);
    const refusedCalls = (await s.calls()).filter((c) => c.status === 503);
    expect(refusedCalls.length).toBe(refused.length); // every refused request was recorded too
  });

  it('a reload (new provider) during a long stream: the stream finishes, no request fails, the gateway switches', async () => {
    const old = s.llm.status().litellm;
    const upstreamBefore = s.upstream.requestsTo('/v1/chat/completions').length;
    // ≈ 40 s: longer than a LiteLLM start even on a loaded machine (10–40 s measured on slow ones).
    const chunks = 80;
    const stream = postStream(
      `${s.gateway}/v1/chat/completions`,
      {
        model: 'scripted/gpt-test-mini',
        stream: true,
        messages: [{ role: 'user', content: `long #chunks=${chunks} #delay=500` }],
      },
      { authorization: `Bearer ${key}` },
    );
    // The stream is under way (the upstream has it) before the reload starts.
    await until(() => s.upstream.requestsTo('/v1/chat/completions').length > upstreamBefore, 30_000);
    s.env.AGENTDESK_KEY_SECOND = REAL_KEY;
    s.addProvider('second', 'openai-compatible', s.upstream.v1, ['gpt-test-large']);
    let streamDone = false;
    void stream.then(() => (streamDone = true));
    const reload = s.llm.reload();
    const during: number[] = [];
    let done = false;
    let switchedWhileStreaming = false;
    void reload.then(() => (done = true));
    while (!done) {
      during.push((await chat('during the reload')).status);
      if (s.llm.status().litellm.port !== old.port && !streamDone) switchedWhileStreaming = true;
      await new Promise((r) => setTimeout(r, 300));
    }
    expect(switchedWhileStreaming).toBe(true);
    await reload;
    const now = s.llm.status().litellm;
    expect(now.state).toBe('ready');
    expect(now.port).not.toBe(old.port);
    expect(now.models).toContain('second/gpt-test-large');
    expect(during.length).toBeGreaterThan(5);
    expect(during.every((st) => st === 200)).toBe(true);
    expect((await chat('on the new one', 'second/gpt-test-large')).status).toBe(200);
    const r = await stream;
    expect(r.status).toBe(200);
    for (let i = 0; i < chunks; i++) expect(r.text).toContain(`chunk${i} `);
    expect(r.text.trim().endsWith('data: [DONE]')).toBe(true);
    await until(() => !alive(old.pid!), 30_000); // the old one was stopped after its stream ended
  }, 180_000);
});
