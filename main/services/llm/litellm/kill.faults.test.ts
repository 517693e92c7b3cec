// Fault: kill -9 of LiteLLM while streams run through the gateway; the streams end, callers get the gateway's 503, then it serves again.
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { skipUnlessReal } from '../../../../test/real';
import { litellmInstalled, post, startLlmStack } from '../../../../test/llm-stack';
import type { LlmStack } from '../../../../test/llm-stack';

const skip = skipUnlessReal(litellmInstalled(), 'LiteLLM (the app venv: scripts/bootstrap-linux.sh)');

/** How one streaming request ended, as its caller saw it. */
interface StreamOutcome {
  status: number;
  text: string;
  /** `end`: the body ended normally; `cut`: the connection was closed before the end. */
  how: 'end' | 'cut';
}

/** A streaming chat completion through plain node:http; resolves however the stream ends (never rejects). */
function stream(url: string, key: string, content: string, onFirstChunk: () => void): Promise<StreamOutcome> {
  const body = JSON.stringify({
    model: 'scripted/gpt-test-mini',
    stream: true,
    messages: [{ role: 'user', content }],
  });
  return new Promise((resolve) => {
    let text = '';
    let status = 0;
    let first = true;
    const done = (how: StreamOutcome['how']) => resolve({ status, text, how });
    const req = http.request(
      url,
      {
        method: 'POST',
        agent: false,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      },
      (res) => {
        status = res.statusCode ?? 0;
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          text += c;
          if (first) onFirstChunk();
          first = false;
        });
        res.on('end', () => done(res.complete ? 'end' : 'cut'));
        res.on('error', () => done('cut'));
        res.on('aborted', () => done('cut'));
      },
    );
    req.on('error', () => done('cut'));
    req.end(body);
  });
}

describe.skipIf(skip)('fault: LiteLLM killed during streaming requests', () => {
  let s: LlmStack;
  let key: string;
  const chat = (content: string) =>
    post(
      `${s.gateway}/v1/chat/completions`,
      { model: 'scripted/gpt-test-mini', messages: [{ role: 'user', content }] },
      { authorization: `Bearer ${key}` },
    );

  beforeAll(async () => {
    s = await startLlmStack({ deps: { processOptions: { backoff: { initialMs: 500, maxMs: 5000 } } } });
    key = s.keys.mint({ owner: 'agent-faults', models: ['*'] }).key;
  }, 180_000);
  afterAll(async () => {
    await s?.close();
  });

  it('open streams end (never hang), the gap answers 503 with the gateway JSON error, then calls succeed', async () => {
    const pid = s.llm.status().litellm.pid!;
    let started = 0;
    const streams: Promise<StreamOutcome>[] = [];
    const allStarted = new Promise<void>((resolve) => {
      const onFirst = () => {
        if (++started === 3) resolve();
      };
      streams.push(
        ...[1, 2, 3].map((i) =>
          stream(`${s.gateway}/v1/chat/completions`, key, `s${i} #chunks=200 #delay=100`, onFirst),
        ),
      );
    });
    await allStarted;
    process.kill(pid, 'SIGKILL');

    // Every open stream ends: its caller is never left waiting on a dead LiteLLM.
    const outcomes = await Promise.all(streams);
    for (const o of outcomes) {
      expect(o.status).toBe(200);
      expect(o.text).toContain('chunk0 ');
      expect(o.text).not.toContain('chunk199 '); // it was cut, not replayed
      expect(o.how).toBe('cut');
    }
    // Each cut stream is recorded as an llm_call that LiteLLM broke, not as the caller leaving.
    const cut = (await s.calls()).filter((c) => c.stream && c.status === 502);
    expect(cut).toHaveLength(3);
    for (const c of cut) expect(c.error).toMatch(/LiteLLM connection lost mid-answer/);

    // While LiteLLM restarts, new calls get the gateway's own 503 (JSON, OpenAI error shape, Retry-After).
    const gap = await chat('in the gap');
    expect(gap.status).toBe(503);
    expect(Number(gap.headers['retry-after'])).toBeGreaterThan(0);
    const err = gap.json() as { error: { type: string; message: string } };
    expect(err.error.type).toBe('service_unavailable');
    expect(err.error.message).toMatch(/LiteLLM/);
    expect(gap.text).not.toContain('litellm.'); // LiteLLM's own errors are never passed through

    // The supervisor restarts it; the app (this process, the gateway) stayed up throughout.
    await s.llm.active!.proc.whenReady();
    const after = s.llm.status().litellm;
    expect(after.state).toBe('ready');
    expect(after.pid).not.toBe(pid);
    expect(after.last_error).toMatch(/SIGKILL/);
    const ok = await chat('after the restart');
    expect(ok.status).toBe(200);
    const again = await stream(`${s.gateway}/v1/chat/completions`, key, 'again #chunks=3', () => {});
    expect(again).toMatchObject({ status: 200, how: 'end' });
    expect(again.text.trim().endsWith('data: [DONE]')).toBe(true);
  }, 180_000);
});
