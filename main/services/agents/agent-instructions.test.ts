// Per-agent instructions: storage, the env file round trip with a hostile prompt, the wait for LiteLLM, verify windows and totals.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadInstructions } from '../../../resources/agent-runtime/src/instructions';
import { openDatabase } from '../storage/database';
import { llmCallEvent } from '../traces/trace-ingest';
import { isModelCall } from '../traces/trace-totals';
import { VerifyWindows } from '../traces/verify-windows';
import { agentFolder, makeAgentFolder, writeEnvFile } from './agent-folder';
import { InstructionsRepository, instructionsEnv, patchEnvFile } from './agent-instructions';
import { waitForLitellm } from './litellm-wait';
import type { LlmCall } from '../llm/llm-calls';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-test-instructions-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Parses an env file the way the image's init does (`set -a; . file`), in a real shell, and prints the values. */
function sourced(file: string, names: string[]): Record<string, string> {
  const script = `set -a; . '${file}'; set +a; node -e 'process.stdout.write(JSON.stringify(Object.fromEntries(${JSON.stringify(names)}.map((n) => [n, process.env[n] ?? null]))))'`;
  const out = execFileSync('sh', ['-c', script], {
    encoding: 'utf8',
  });
  return JSON.parse(out) as Record<string, string>;
}

describe('agent instructions', () => {
  it('are stored per agent (no row = the defaults) and removed with it', () => {
    const db = openDatabase(path.join(dir, 'a.db'));
    const repo = new InstructionsRepository(db);
    expect(repo.get('a1')).toEqual({ system_prompt: null, temperature: null, tools: true });
    repo.set('a1', { system_prompt: 'Be terse.', temperature: 0, tools: false });
    expect(repo.get('a1')).toEqual({ system_prompt: 'Be terse.', temperature: 0, tools: false });
    repo.delete('a1');
    expect(repo.get('a1').tools).toBe(true);
    db.close();
  });

  it('reach the runtime verbatim through the env file: a prompt with quotes, $(…), backticks and newlines runs nothing', () => {
    const marker = path.join(dir, 'pwned');
    const prompt = `You are "terse".\nIt's fine; $(touch ${marker}) \`touch ${marker}\` '; touch ${marker}; '`;
    const folder = agentFolder(dir, 'a-env');
    makeAgentFolder(folder);
    const file = folder.envFile;
    writeEnvFile(folder, { OPENAI_API_KEY: 'sk-agentdesk-keep', AGENTDESK_MODEL: 'p/m' });
    patchEnvFile(folder, instructionsEnv({ system_prompt: prompt, temperature: 0.3, tools: false }));
    const env = sourced(file, [
      'OPENAI_API_KEY',
      'AGENTDESK_SYSTEM_PROMPT',
      'AGENTDESK_TEMPERATURE',
      'AGENTDESK_TOOLS',
    ]);
    expect(fs.existsSync(marker)).toBe(false);
    expect(env.OPENAI_API_KEY).toBe('sk-agentdesk-keep'); // the key the core cannot write again is kept
    expect(loadInstructions(env)).toEqual({ systemPrompt: prompt, temperature: 0.3, toolsEnabled: false });
    patchEnvFile(folder, instructionsEnv({ system_prompt: null, temperature: null, tools: true }));
    expect(
      loadInstructions(
        sourced(file, ['AGENTDESK_SYSTEM_PROMPT', 'AGENTDESK_TEMPERATURE', 'AGENTDESK_TOOLS']),
      ),
    ).toEqual({
      systemPrompt: null,
      temperature: null,
      toolsEnabled: true,
    });
  });

  it('the runtime refuses invalid values by name', () => {
    expect(() => loadInstructions({ AGENTDESK_TEMPERATURE: '3' })).toThrow(
      /AGENTDESK_TEMPERATURE="3" is invalid: use a number from 0 to 2/,
    );
    expect(() => loadInstructions({ AGENTDESK_TOOLS: 'yes' })).toThrow(/AGENTDESK_TOOLS="yes" is invalid/);
    expect(() => loadInstructions({ AGENTDESK_SYSTEM_PROMPT: 'not json' })).toThrow(
      /AGENTDESK_SYSTEM_PROMPT must be a JSON string/,
    );
  });
});

describe('a deploy waiting for LiteLLM', () => {
  it('waits while it starts (saying so once), returns when it is ready, and at once in other states', async () => {
    const states = ['starting', 'starting', 'ready'] as const;
    let i = 0;
    let told = 0;
    await waitForLitellm(
      () => states[Math.min(i++, 2)]!,
      () => told++,
      5000,
      1,
    );
    expect(told).toBe(1);
    await waitForLitellm(
      () => 'failed',
      () => told++,
      5000,
      1,
    );
    expect(told).toBe(1);
    await expect(
      waitForLitellm(
        () => 'starting',
        () => undefined,
        30,
        5,
      ),
    ).rejects.toThrow(/LiteLLM did not finish starting within 0 s/);
  });
});

describe('verify calls in the trace', () => {
  const call = (created_at: number, path = '/v1/chat/completions'): LlmCall => ({
    v: 1,
    id: `c${created_at}`,
    kind: 'llm_call',
    created_at,
    owner: 'agent-a',
    key_id: 'vk_1',
    provider: 'p',
    model: 'p/m',
    path,
    stream: false,
    status: 200,
    duration_ms: 5,
    ttft_ms: null,
    tokens_in: 3,
    tokens_out: 1,
    cost_usd: 0,
    error: null,
  });

  it('are the calls that arrived while the agent was verifying (the core’s phases), left out of the model calls', () => {
    const w = new VerifyWindows(() => 10_000);
    w.begin('agent-a', 1000);
    w.end('agent-a', 2000);
    const during = llmCallEvent(call(1500), null, w.holds('agent-a', 1500))!;
    const after = llmCallEvent(call(2500), null, w.holds('agent-a', 2500))!;
    expect(during.payload).toMatchObject({ purpose: 'verify' });
    expect(after.payload).not.toHaveProperty('purpose');
    expect(w.holds('agent-b', 1500)).toBe(false);
    expect(isModelCall(during.payload)).toBe(false);
    expect(isModelCall(after.payload)).toBe(true);
    expect(isModelCall(llmCallEvent(call(2600, '/v1/models'))!.payload)).toBe(false);
  });
});
