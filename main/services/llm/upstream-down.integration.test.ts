// A provider's server going down behind a real LiteLLM: the chat error names it, and the provider shows unreachable within seconds.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScriptedUpstream } from '../../../test/fixtures/scripted-upstream';
import { litellmInstalled, post } from '../../../test/llm-stack';
import { skipUnlessReal } from '../../../test/real';
import { serve } from '../../cli/serve';
import type { Served } from '../../cli/serve';
import { resolveOptions } from '../../platform/paths';

/** The environment of the cores this file starts: this process's, plus what the tests set (never the global one). */
const coreEnv: NodeJS.ProcessEnv = { ...process.env };

const skip = skipUnlessReal(litellmInstalled(), 'LiteLLM (the app venv: scripts/bootstrap-linux.sh)');
const ID = 'llamacpp-down';
const MODEL = `${ID}/down-model`;

/** Polls `check` every 200 ms until it is true or `ms` pass. */
async function until(check: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe.skipIf(skip)('a provider server that stops answering', () => {
  let home: string;
  let served: Served;
  let upstream: ScriptedUpstream;
  let port: string;

  beforeAll(async () => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-upstream-down-'));
    upstream = await new ScriptedUpstream({ key: null, models: ['down-model'] }).start();
    port = new URL(upstream.url).port;
    served = await serve({ home, app: resolveOptions(coreEnv), port: 0, healthIntervalMs: 0 });
    await served.core.providers.add({
      type: 'llamacpp',
      id: ID,
      name: 'llama.cpp',
      base_url: `http://127.0.0.1:${port}/v1`,
    });
    await until(
      () => {
        const st = served.core.llm.status();
        return st.litellm.state === 'ready' && st.litellm.models.includes(MODEL);
      },
      120_000,
      `LiteLLM to serve ${MODEL}`,
    );
  }, 180_000);

  afterAll(async () => {
    await served?.stop();
    await upstream?.stop();
    fs.rmSync(home, { recursive: true, force: true });
  });

  it('answers 502 naming "llama.cpp at 127.0.0.1:<port>", not LiteLLM, and re-probes it to unreachable', async () => {
    expect((await served.core.providers.get(ID)).status).toBe('ok');
    await upstream.stop();
    const { key } = served.core.keys.mint({ owner: 'health-test', models: [MODEL] });
    const gateway = served.core.llm.status().gateway.url!;
    const r = await post(
      `${gateway}/chat/completions`,
      { model: MODEL, messages: [{ role: 'user', content: 'hi' }] },
      { authorization: `Bearer ${key}` },
    );
    expect(r.status).toBe(502);
    const err = (r.json() as { error: { message: string; code: string } }).error;
    expect(err.code).toBe('provider_unreachable');
    expect(err.message).toBe(
      `llama.cpp at 127.0.0.1:${port} is not answering: start it or check it on the Providers page.`,
    );
    expect(r.text).not.toMatch(/litellm|exception/i);
    // The failure re-probes the provider: its status turns unreachable without anyone pressing Test.
    await until(
      async () => (await served.core.providers.get(ID)).status === 'unreachable',
      15_000,
      'the provider to be re-probed as unreachable',
    );
  }, 120_000);
});
