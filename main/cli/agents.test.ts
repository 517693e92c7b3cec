// `agentdesk agents …` in-process (buildProgram) against a real headless core, real Docker and LiteLLM, a scripted upstream.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addScriptedProvider, ensureRuntimeBundle, purgeAll, runtimeReachable } from '../../test/agents';
import { ensureBaseImage } from '../../test/base-image';
import { withModelApis } from '../../test/fixtures/scripted-llm';
import { ScriptedUpstream } from '../../test/fixtures/scripted-upstream';
import { litellmInstalled, REAL_KEY } from '../../test/llm-stack';
import { skipUnlessReal } from '../../test/real';
import { call } from '../transport/dispatch';
import { ago, formatAgents, resolveServedModel } from './agents';
import { buildProgram } from './index';
import { serve } from './serve';
import type { Served } from './serve';
import { resolveOptions } from '../platform/paths';

/** The environment of the cores this file starts: this process's, plus what the tests set (never the global one). */
const coreEnv: NodeJS.ProcessEnv = { ...process.env };

const skip = skipUnlessReal(runtimeReachable('docker') && litellmInstalled(), 'Docker and LiteLLM');

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  let code = 0;
  const program = buildProgram({
    out: { write: (s: string) => (out += s) },
    err: { write: (s: string) => (err += s) },
    env: {},
    readStdin: () => Promise.resolve(null),
    setExitCode: (c) => {
      code = c;
    },
    app: resolveOptions(coreEnv),
  });
  try {
    await program.parseAsync(args, { from: 'user' });
  } catch (e) {
    code = (e as { exitCode?: number }).exitCode ?? 1;
  }
  return { code, out, err };
}

describe('agents CLI formatting', () => {
  it('says how long ago in s, min, h and d', () => {
    expect([ago(0, 5_000), ago(0, 120_000), ago(0, 7_200_000), ago(0, 3 * 86_400_000)]).toEqual([
      '5 s',
      '2 min',
      '2 h',
      '3 d',
    ]);
  });
  it('tells what to do when there is no agent', () => {
    expect(formatAgents([])).toMatch(/agentdesk agents create --name NAME --model MODEL/);
  });
});

describe('resolveServedModel', () => {
  const served = ['openai/gpt-4o', 'openai/o3', 'groq/o3', 'openrouter/meta/llama-3'];
  it('takes a full id, or a short one that only one provider serves', () => {
    expect(resolveServedModel('openai/gpt-4o', served)).toBe('openai/gpt-4o');
    expect(resolveServedModel('gpt-4o', served)).toBe('openai/gpt-4o');
    expect(resolveServedModel('meta/llama-3', served)).toBe('openrouter/meta/llama-3');
  });
  it('refuses an ambiguous short id, naming the full ids to choose from', () => {
    expect(() => resolveServedModel('o3', served)).toThrow(
      /more than one provider; give one of: openai\/o3, groq\/o3/,
    );
  });
  it('refuses an unknown id, listing the served ones', () => {
    expect(() => resolveServedModel('nope', served)).toThrow(
      /"nope" is not served; served models: openai\/gpt-4o/,
    );
  });
});

describe.skipIf(skip)('agentdesk agents (docker)', () => {
  let home: string;
  let served: Served;
  let up: ScriptedUpstream;
  const h = () => ['--home', home];

  beforeAll(async () => {
    await ensureBaseImage(['docker']);
    ensureRuntimeBundle();
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-cli-agents-'));
    up = await withModelApis(new ScriptedUpstream({ key: REAL_KEY, models: ['gpt-test-mini'] })).start();
    coreEnv.AGENTDESK_KEY_SCRIPTED = REAL_KEY;
    served = await serve({ home, app: resolveOptions(coreEnv), port: 0, healthIntervalMs: 0 });
    await call(served.core.dispatcher, 'settings', 'update', { container_runtime: 'docker' });
    await addScriptedProvider(served.core.dispatcher, up.v1);
  }, 600_000);
  afterAll(async () => {
    await purgeAll(served.core.dispatcher);
    await served?.stop();
    await up?.stop();
    delete coreEnv.AGENTDESK_KEY_SCRIPTED;
    fs.rmSync(home, { recursive: true, force: true });
  });

  it('an unknown model lists the served ones', async () => {
    const r = await cli(['agents', 'create', ...h(), '--name', 'x', '--model', 'scripted/nope']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/served models: scripted\/gpt-test-mini/);
  });

  it('create waits for running; list, stop, archive, restore; purge needs --yes off a terminal', async () => {
    const c = await cli([
      'agents',
      'create',
      ...h(),
      '--name',
      'Cli Bot',
      '--model',
      'gpt-test-mini', // the short id: one provider serves it
      '--emoji',
      '🦊',
      '--memory',
      '256',
    ]);
    expect(c.err).toBe('');
    expect(c.out).toMatch(/🦊 Cli Bot \(cli-bot\): running/);
    expect(c.code).toBe(0);
    const list = await cli(['agents', 'list', ...h(), '--json']);
    const agents = (JSON.parse(list.out) as { agents: { slug: string; memory_mib: number }[] }).agents;
    expect(agents).toEqual([expect.objectContaining({ slug: 'cli-bot', memory_mib: 256 })]);
    // One `agents limits` for every limit: spend (gateway) and resources (container), shown and changed together.
    const limits = await cli(['agents', 'limits', ...h(), 'cli-bot', '--budget-day', '2', '--memory', '320']);
    expect(limits.err).toBe('');
    expect(limits.code).toBe(0);
    expect(limits.out).toMatch(/per day: +\$0\.00 of \$2\.00/);
    expect(limits.out).toMatch(/resources: +320 MiB memory, 1 CPU, \d+ processes — running/);
    const shown = JSON.parse((await cli(['agents', 'limits', ...h(), 'cli-bot', '--json'])).out) as {
      agent: { memory_mib: number };
      spend: { usd_day: number; defaults: { usd_day: boolean; usd_month: boolean } };
    };
    expect(shown.agent.memory_mib).toBe(320);
    expect(shown.spend).toMatchObject({ usd_day: 2, defaults: { usd_day: false, usd_month: true } });
    // Chat streams over the served core's SSE events: tool lines on stderr, the reply on stdout.
    const chat = await cli(['agents', 'chat', ...h(), 'cli-bot', 'run it #tool=shell']);
    expect(chat.code, chat.err).toBe(0);
    expect(chat.err).toMatch(/\[tool\] shell .*echo hi/);
    expect(chat.out.trim().length).toBeGreaterThan(0);
    const blank = await cli(['agents', 'chat', ...h(), 'cli-bot', '   ']);
    expect(blank.code).toBe(1);
    expect(blank.err).toMatch(/^agentdesk agents chat: invalid input: text: the message is empty/);
    expect((await cli(['agents', 'stop', ...h(), 'cli-bot'])).out).toMatch(/stopped/);
    expect((await cli(['agents', 'archive', ...h(), 'Cli Bot'])).out).toMatch(/archived/);
    expect((await cli(['agents', 'list', ...h()])).out).toMatch(/cli-bot .*archived/);
    expect((await cli(['agents', 'restore', ...h(), 'cli-bot'])).out).toMatch(/running/);
    const refused = await cli(['agents', 'purge', ...h(), 'cli-bot']);
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/add --yes to confirm/);
    expect((await cli(['agents', 'purge', ...h(), 'cli-bot', '--yes'])).out).toMatch(/purged cli-bot/);
    const missing = await cli(['agents', 'stop', ...h(), 'cli-bot']);
    expect(missing.err).toMatch(/No agent "cli-bot"; agents: none/);
  });
});
