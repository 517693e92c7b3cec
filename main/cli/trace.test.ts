// `agentdesk trace`: --since/--kind parsing and line format; then against a real served core (Docker, LiteLLM) with a real turn, live with --follow.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { InvalidArgumentError } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { traceEvent } from '../../contract/traces';
import type { TraceEvent } from '../../contract/traces';
import {
  addScriptedProvider,
  ensureRuntimeBundle,
  purgeAll,
  runtimeReachable,
  until,
} from '../../test/agents';
import { ensureBaseImage } from '../../test/base-image';
import { withModelApis } from '../../test/fixtures/scripted-llm';
import { ScriptedUpstream } from '../../test/fixtures/scripted-upstream';
import { litellmInstalled, REAL_KEY } from '../../test/llm-stack';
import { skipUnlessReal } from '../../test/real';
import { call } from '../transport/dispatch';
import type { RunnerIo } from './command-runner';
import { buildProgram } from './index';
import { serve } from './serve';
import type { Served } from './serve';
import { formatEvent, parseKinds, parseSince } from './trace';
import { traceCommand } from './trace';
import { resolveOptions } from '../platform/paths';

/** The environment of the cores this file starts: this process's, plus what the tests set (never the global one). */
const coreEnv: NodeJS.ProcessEnv = { ...process.env };

const NOW = Date.UTC(2026, 10, 21, 12, 0, 0);

function buffers(): RunnerIo & { out: { text: string }; err: { text: string }; code: number } {
  const io = {
    out: { text: '', write: (s: string) => (io.out.text += s) },
    err: { text: '', write: (s: string) => (io.err.text += s) },
    code: -1,
    setExitCode: (c: number) => (io.code = c),
    app: resolveOptions(coreEnv),
  };
  return io;
}

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = buffers();
  const program = buildProgram({ ...io, env: {}, readStdin: () => Promise.resolve(null) });
  try {
    await program.parseAsync(args, { from: 'user' });
  } catch (e) {
    io.code = (e as { exitCode?: number }).exitCode ?? 1;
  }
  return { code: io.code, out: io.out.text, err: io.err.text };
}

describe('agentdesk trace: arguments and format', () => {
  it('reads --since as a duration back from now or an ISO time, and says what is valid otherwise', () => {
    expect(parseSince('10m', NOW)).toBe(NOW - 600_000);
    expect(parseSince('2h', NOW)).toBe(NOW - 7_200_000);
    expect(parseSince('1d', NOW)).toBe(NOW - 86_400_000);
    expect(parseSince('45s', NOW)).toBe(NOW - 45_000);
    expect(parseSince('2026-11-20T10:00:00Z', NOW)).toBe(Date.UTC(2026, 10, 20, 10));
    expect(parseSince('2026-11-20T10:00:00.500+02:00', NOW)).toBe(Date.UTC(2026, 10, 20, 8, 0, 0, 500));
    for (const bad of ['10', 'yesterday', '10 minutes', '2026-13-45', '-1h'])
      expect(() => parseSince(bad, NOW), bad).toThrow(
        /use a number with s, m, h or d \(10m, 2h, 1d\) or an ISO time/,
      );
    expect(() => parseSince('2027-01-01T00:00:00Z', NOW)).toThrow(/in the future/);
    expect(() => parseSince('nope', NOW)).toThrow(InvalidArgumentError);
  });

  it('reads --kind repeated or comma-separated, and lists the valid kinds for a wrong one', () => {
    expect(parseKinds('llm_call, tool_call', parseKinds('error'))).toEqual([
      'error',
      'llm_call',
      'tool_call',
    ]);
    expect(parseKinds('error', ['error'])).toEqual(['error']);
    expect(() => parseKinds('llm')).toThrow(
      '"llm" is not a trace kind; valid: message_in, llm_call, reasoning, tool_call, tool_result, message_out, error, lifecycle',
    );
  });

  it('prints one line per event: UTC time, kind, summary; --json prints the envelope as one JSON line', () => {
    const e: TraceEvent = traceEvent('llm_call', {
      id: 'e1',
      trace_id: 't1',
      created_at: Date.UTC(2026, 0, 2, 3, 4, 5, 6),
      agent_id: 'a1',
      provider: 'scripted',
      model: 'scripted/gpt-test-mini',
      duration_ms: 40,
      tokens_in: 30,
      tokens_out: 7,
      cost_usd: 0.0001,
      payload: { path: '/v1/chat/completions', stream: true, status: 200, ttft_ms: 5 },
    });
    expect(formatEvent(e, false)).toBe(
      '2026-01-02T03:04:05.006Z  llm_call     scripted/gpt-test-mini, HTTP 200, 30 in / 7 out tokens, $0.000100, 40 ms',
    );
    const r: TraceEvent = {
      ...e,
      id: 'e2',
      kind: 'tool_result',
      payload: { name: 'shell', output: 'line 1\nline 2', exit_code: 0, size: 13, truncated: false },
    };
    expect(formatEvent(r, false)).toMatch(/tool_result {2}shell exit 0, 13 bytes: line 1 line 2$/);
    expect(JSON.parse(formatEvent(r, true))).toEqual(r);
    expect(formatEvent(r, true)).not.toContain('\n');
  });

  it('a wrong --kind or --since is a usage error naming the valid values', async () => {
    const k = await cli(['trace', 'some-agent', '--kind', 'toolcall']);
    expect(k.code).toBe(1);
    expect(k.err).toMatch(/"toolcall" is not a trace kind; valid: message_in, llm_call/);
    const s = await cli(['trace', 'some-agent', '--since', 'last week']);
    expect(s.code).toBe(1);
    expect(s.err).toMatch(/"last week" is neither a duration nor a time/);
  });
});

const skip = skipUnlessReal(runtimeReachable('docker') && litellmInstalled(), 'Docker and LiteLLM');

describe.skipIf(skip)('agentdesk trace against a served core with a real agent (docker)', () => {
  let home: string;
  let served: Served;
  let up: ScriptedUpstream;
  let agentId: string;
  const slug = `test-trace-${crypto.randomBytes(3).toString('hex')}`;
  const h = () => ['--home', home];

  beforeAll(async () => {
    await ensureBaseImage(['docker']);
    ensureRuntimeBundle();
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-test-cli-trace-'));
    up = await withModelApis(new ScriptedUpstream({ key: REAL_KEY, models: ['gpt-test-mini'] })).start();
    coreEnv.AGENTDESK_KEY_SCRIPTED = REAL_KEY;
    served = await serve({ home, app: resolveOptions(coreEnv), port: 0, healthIntervalMs: 0 });
    await call(served.core.dispatcher, 'settings', 'update', { container_runtime: 'docker' });
    await addScriptedProvider(served.core.dispatcher, up.v1);
    const a = await call(served.core.dispatcher, 'agents', 'create', {
      name: slug,
      model: 'scripted/gpt-test-mini',
      memory_mib: 256,
    });
    agentId = a.id;
    await until(
      () => call(served.core.dispatcher, 'agents', 'get', { id: agentId }),
      (x) => x.phase === 'running' || x.phase === 'failed',
      300_000,
      'the agent to run',
    ).then((x) => expect(x.phase, x.phase_reason ?? '').toBe('running'));
    const r = await call(served.core.dispatcher, 'agents', 'chat', {
      id: agentId,
      text: 'run it #tool=shell',
    });
    expect(r.error).toBeNull();
  }, 600_000);
  afterAll(async () => {
    if (served) await purgeAll(served.core.dispatcher);
    await served?.stop();
    await up?.stop();
    delete coreEnv.AGENTDESK_KEY_SCRIPTED;
    if (home) fs.rmSync(home, { recursive: true, force: true });
  });

  it('prints the turn in order, one line per event, by slug; --kind filters; --json is JSONL', async () => {
    // The runtime's tool events and the core's message_out are committed by different writers: wait for
    // every kind asserted below, not only the last one of the turn (a loaded CI run saw message_out first).
    const all = await until(
      () => cli(['trace', ...h(), slug]),
      (x) =>
        ['message_in', 'llm_call', 'tool_call', 'tool_result', 'message_out'].every((k) => x.out.includes(k)),
      30_000,
      'the turn in the trace',
    );
    expect(all.code, all.err).toBe(0);
    const kinds = all.out
      .trim()
      .split('\n')
      .map((l) => l.split(/\s+/)[1]);
    for (const k of ['lifecycle', 'message_in', 'llm_call', 'tool_call', 'tool_result', 'message_out'])
      expect(kinds).toContain(k);
    expect(kinds.indexOf('message_in')).toBeLessThan(kinds.indexOf('message_out'));
    expect(all.out).toMatch(/message_in +user: run it #tool=shell/);
    expect(all.out).toMatch(/tool_result +shell exit 0/);

    const tools = await cli([
      'trace',
      ...h(),
      slug,
      '--kind',
      'tool_call,tool_result',
      '--json',
      '--since',
      '1h',
    ]);
    expect(tools.code, tools.err).toBe(0);
    const events = tools.out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as TraceEvent);
    expect(events.map((e) => e.kind)).toEqual(['tool_call', 'tool_result']);
    expect(events.every((e) => e.agent_id === agentId && e.v === 1)).toBe(true);

    const future = await cli(['trace', ...h(), slug, '--since', '1s', '--kind', 'error']);
    expect(future).toMatchObject({ code: 0, out: '' });
  });

  it('an unknown agent lists the agents there are', async () => {
    const r = await cli(['trace', ...h(), 'no-such-agent']);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`agentdesk trace: No agent "no-such-agent"; agents: ${slug}`);
  });

  it('--follow prints the history, then each new event live over SSE until stopped', async () => {
    const io = buffers();
    let stop: () => void = () => {};
    const stopped = new Promise<void>((r) => (stop = r));
    const cmd = traceCommand(
      io,
      () => home,
      () => stopped,
    );
    const running = cmd.parseAsync([slug, '--follow', '--kind', 'message_in,message_out'], { from: 'user' });
    await until(
      () => io.out.text,
      (t) => /message_out/.test(t),
      30_000,
      'the history',
    );
    const before = io.out.text.trim().split('\n').length;
    const r = await call(served.core.dispatcher, 'agents', 'chat', { id: agentId, text: 'second question' });
    expect(r.error).toBeNull();
    await until(
      () => io.out.text,
      (t) => t.trim().split('\n').length >= before + 2,
      30_000,
      'the live events',
    );
    stop();
    await running;
    expect(io.code, io.err.text).toBe(0);
    const lines = io.out.text.trim().split('\n');
    expect(lines[before]).toMatch(/message_in +user: second question/);
    expect(lines[before + 1]).toMatch(/message_out/);
    expect(new Set(lines).size).toBe(lines.length);
  });
});
