// `agentdesk tasks …` and `agentdesk usage` in-process (buildProgram) against a core started for the command on a fresh data dir.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildProgram } from './index';
import { parseAt, parseEvery } from './tasks';
import { testOptions } from '../../test/app-options';

async function cli(home: string, args: string[]): Promise<{ code: number; out: string; err: string }> {
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
    app: testOptions(),
  });
  try {
    await program.parseAsync(['--home', home, ...args], { from: 'user' });
  } catch (e) {
    code = (e as { exitCode?: number }).exitCode ?? 1;
  }
  return { code, out, err };
}

describe('agentdesk tasks / usage', () => {
  let home: string;
  beforeAll(() => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-cli-tasks-'));
    fs.chmodSync(home, 0o700);
  });
  afterAll(() => fs.rmSync(home, { recursive: true, force: true }));

  it('a bad cron expression: the reason and a valid example, exit 1', async () => {
    const r = await cli(home, ['tasks', 'add', 'nobody', '--cron', '61 * * * *', '--prompt', 'x']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(
      /^agentdesk tasks add: trigger\.cron: "61 \* \* \* \*" is not a valid cron expression \(.+\); .*e\.g\. "0 9 \* \* 1-5"/,
    );
  });

  it('a bad time zone: named, with valid examples', async () => {
    const r = await cli(home, [
      'tasks',
      'add',
      'nobody',
      '--cron',
      '0 9 * * 1-5',
      '--tz',
      'Europe/Pariss',
      '--prompt',
      'x',
    ]);
    expect(r.code).toBe(1);
    expect(r.err).toContain(
      'trigger.tz: "Europe/Pariss" is not a time zone; use an IANA name such as "Europe/Paris"',
    );
  });

  it('two triggers, or none, are refused with what to give', async () => {
    expect(
      (await cli(home, ['tasks', 'add', 'a', '--every', '5m', '--webhook', '--prompt', 'x'])).err,
    ).toContain('Give one trigger');
    expect((await cli(home, ['tasks', 'add', 'a', '--prompt', 'x'])).err).toContain('--cron "0 9 * * 1-5"');
  });

  it('list, history and usage on an empty data dir (JSON too)', async () => {
    expect((await cli(home, ['tasks', 'list'])).out).toContain('No tasks.');
    expect(JSON.parse((await cli(home, ['tasks', 'history', '--json'])).out)).toEqual({ runs: [] });
    const usage = JSON.parse((await cli(home, ['usage', '--since', '7d', '--json'])).out) as {
      rows: unknown[];
      today: { calls: number };
    };
    expect(usage.rows).toEqual([]);
    expect(usage.today.calls).toBe(0);
  });

  it('durations and times', () => {
    expect([parseEvery('90'), parseEvery('15m'), parseEvery('2h'), parseEvery('1d')]).toEqual([
      90, 900, 7200, 86_400,
    ]);
    expect(() => parseEvery('soon')).toThrow(/e\.g\. --every 15m/);
    expect(parseAt('2025-06-01T07:00Z')).toBe(Date.parse('2025-06-01T07:00Z'));
    expect(() => parseAt('tomorrow')).toThrow(/--at 2025-06-01T09:00/);
  });
});
