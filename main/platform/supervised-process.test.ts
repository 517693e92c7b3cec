// The supervisor against real child processes (Node scripts): readiness, crash restarts, failed, stop, deadlines.
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from './free-port';
import { groupOwnsListener } from './socket-owner';
import { killProcessGroup, run, SpawnError } from './spawn';
import { failureLine, SupervisedProcess } from './supervised-process';
import type { SpawnPlan, SupervisorState } from './supervised-process';

let dir: string;
let script: string;
const running: SupervisedProcess<Plan>[] = [];

interface Plan extends SpawnPlan {
  port: number;
}

// A child that listens on PORT after DELAY ms and answers 200; EXIT_AFTER ms → exits with code 3;
// IGNORE_TERM → survives SIGTERM; GRANDCHILD → spawns a sleeping child in its group (pid in GRANDCHILD file).
const CHILD = `
const http = require('http');
const env = process.env;
if (env.IGNORE_TERM) process.on('SIGTERM', () => console.error('ignoring SIGTERM'));
if (env.GRANDCHILD) {
  const g = require('child_process').spawn(process.execPath, ['-e', 'setInterval(()=>{},1000)'], { stdio: 'ignore' });
  require('fs').writeFileSync(env.GRANDCHILD, String(g.pid));
}
for (let i = 1; i <= Number(env.LINES || 0); i++) console.error('line ' + i + ' secret-abcdefgh');
setTimeout(() => http.createServer((q, r) => r.end('ok')).listen(Number(env.PORT), '127.0.0.1'), Number(env.DELAY || 0));
if (env.EXIT_AFTER) setTimeout(() => { console.error('boom'); process.exit(3); }, Number(env.EXIT_AFTER));
setInterval(() => {}, 1000);
`;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-sup-'));
  script = path.join(dir, 'child.js');
  fs.writeFileSync(script, CHILD);
});

afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop()));
});

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function httpOk(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/', timeout: 500 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
  });
}

function supervise(
  env: Record<string, string>,
  extra: Partial<ConstructorParameters<typeof SupervisedProcess<Plan>>[0]> = {},
) {
  const states: SupervisorState[] = [];
  const sup = new SupervisedProcess<Plan>({
    name: 'child',
    plan: async () => {
      const port = await freePort();
      return { command: process.execPath, args: [script], env: { ...env, PORT: String(port) }, port };
    },
    isReady: (plan) => httpOk(plan.port),
    readyIntervalMs: 20,
    backoff: { initialMs: 20, maxMs: 200 },
    stopGraceMs: 300,
    onChange: (s) => states.push(s.state),
    ...extra,
  });
  running.push(sup);
  return { sup, states };
}

function waitFor(cond: () => boolean, ms = 10_000): Promise<void> {
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const tick = () =>
      cond() ? resolve() : Date.now() - t0 > ms ? reject(new Error('timed out')) : setTimeout(tick, 10);
    tick();
  });
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('SupervisedProcess', () => {
  it('starts the child in its own process group and becomes ready', async () => {
    const { sup, states } = supervise({ DELAY: '100' });
    sup.start();
    expect(sup.status().state).toBe('starting');
    await sup.whenReady();
    const st = sup.status();
    expect(st.state).toBe('ready');
    expect(st.readyAt).toBeGreaterThan(0);
    const target = sup.ready()!;
    expect(await httpOk(target.plan.port)).toBe(true);
    expect(groupOwnsListener(target.pid, target.plan.port)).toBe(true);
    // Its own group: the pgid of the child is its pid.
    const stat = fs.readFileSync(`/proc/${target.pid}/stat`, 'utf8');
    expect(Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2])).toBe(target.pid);
    expect(states.slice(0, 2)).toEqual(['starting', 'starting']); // before and after the spawn
    expect(states.at(-1)).toBe('ready');
  });

  it('restarts a crashed child with backoff and reports the last error', async () => {
    const { sup, states } = supervise(
      { EXIT_AFTER: '150' },
      { crashLimit: { count: 100, windowMs: 60_000 } },
    );
    sup.start();
    await waitFor(() => sup.status().restarts >= 2);
    const st = sup.status();
    expect(st.lastError).toMatch(/child exited with code 3: boom/);
    expect(states).toContain('restarting');
    expect(st.recentCrashes).toBeGreaterThanOrEqual(2);
  });

  it('gives up (failed) after the crash limit, and start() tries again', async () => {
    const { sup } = supervise(
      { EXIT_AFTER: '10', DELAY: '60000' },
      { crashLimit: { count: 3, windowMs: 60_000 } },
    );
    sup.start();
    await expect(sup.whenReady()).rejects.toThrow(/failed/);
    expect(sup.status().state).toBe('failed');
    expect(sup.status().recentCrashes).toBe(3);
    expect(sup.status().pid).toBeNull();
    sup.start();
    expect(['starting', 'restarting']).toContain(sup.status().state);
  });

  it('kills a child that misses its start deadline and counts it as a crash', async () => {
    const { sup } = supervise(
      { DELAY: '60000' },
      { startDeadlineMs: 200, crashLimit: { count: 1, windowMs: 60_000 } },
    );
    sup.start();
    await expect(sup.whenReady()).rejects.toThrow(/not ready after/);
    expect(sup.status().lastError).toMatch(/child was not ready after 0 s and was killed/);
  });

  it('stop sends SIGTERM, then SIGKILL to the whole group after the grace period', async () => {
    const grandFile = path.join(dir, 'grandchild.pid');
    const { sup } = supervise({ IGNORE_TERM: '1', GRANDCHILD: grandFile });
    sup.start();
    await sup.whenReady();
    const pid = sup.ready()!.pid;
    const grandchild = Number(fs.readFileSync(grandFile, 'utf8'));
    expect(pidAlive(grandchild)).toBe(true);
    const t0 = Date.now();
    await sup.stop();
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250); // waited for the grace period: SIGTERM was ignored
    expect(sup.status().state).toBe('stopped');
    await waitFor(() => !pidAlive(pid) && !pidAlive(grandchild), 15_000);
    expect(sup.tail()).toContain('ignoring SIGTERM');
  });

  it('does not restart after stop, even when stop races the start', async () => {
    const { sup } = supervise({});
    sup.start();
    await sup.stop(); // while planning or spawning
    expect(sup.status().state).toBe('stopped');
    await new Promise((r) => setTimeout(r, 200));
    expect(sup.status().state).toBe('stopped');
    await expect(sup.whenReady()).rejects.toThrow(/stopped/);
  });

  it('keeps the last N stderr lines, scrubbed, and forwards every line', async () => {
    const seen: string[] = [];
    const { sup } = supervise(
      { LINES: '80' },
      {
        tailLines: 50,
        scrub: (l) => l.replace('secret-abcdefgh', '[REDACTED]'),
        onOutput: (l) => seen.push(l),
      },
    );
    sup.start();
    await sup.whenReady();
    await waitFor(() => seen.length >= 80);
    const tail = sup.tail();
    expect(tail).toHaveLength(50);
    expect(tail[0]).toBe('line 31 [REDACTED]');
    expect(tail.at(-1)).toBe('line 80 [REDACTED]');
    expect(seen.join('\n')).not.toContain('secret-abcdefgh');
  });

  it('a start that cannot spawn (missing command) is a crash with the reason', async () => {
    const sup = new SupervisedProcess<SpawnPlan>({
      name: 'missing',
      plan: () => ({ command: path.join(dir, 'no-such-command'), args: [], env: {} }),
      isReady: () => Promise.resolve(true),
      crashLimit: { count: 1, windowMs: 60_000 },
    });
    sup.start();
    await expect(sup.whenReady()).rejects.toThrow(/could not start: spawn .*ENOENT/);
  });
});

describe('spawn', () => {
  it('run answers stdout, and throws a SpawnError with code and stderr tail', async () => {
    expect((await run(process.execPath, ['-e', 'process.stdout.write("hi")'])).stdout).toBe('hi');
    const err = await run(process.execPath, ['-e', 'console.error("bad thing"); process.exit(4)']).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(SpawnError);
    expect((err as SpawnError).exitCode).toBe(4);
    expect((err as SpawnError).stderr).toContain('bad thing');
    expect((err as SpawnError).message).toMatch(/exited with code 4: bad thing/);
  });

  it('run kills on its deadline', async () => {
    const err = (await run(process.execPath, ['-e', 'setTimeout(()=>{},60000)'], { timeoutMs: 100 }).catch(
      (e: unknown) => e,
    )) as SpawnError;
    expect(err.timedOut).toBe(true);
    expect(err.signal).toBe('SIGKILL');
  });

  it('refuses SIGHUP and low pids', () => {
    expect(() => killProcessGroup(12345, 'SIGHUP' as never)).toThrow(/SIGHUP/);
    expect(() => killProcessGroup(1, 'SIGTERM')).toThrow(/Refusing/);
  });
});

describe('groupOwnsListener', () => {
  it('tells our listener from a foreign one', async () => {
    const srv = http.createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
    const port = (srv.address() as { port: number }).port;
    try {
      const pgid = Number(fs.readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ')[2]);
      // This test process listens, so its group owns the port; pid 1's group does not.
      expect(groupOwnsListener(pgid, port)).toBe(true);
      expect(groupOwnsListener(1, port)).toBe(false);
      expect(groupOwnsListener(pgid, await freePort())).toBe(false);
    } finally {
      srv.close();
    }
  });
});

describe('failureLine', () => {
  it('prefers the logged error over the last line of a traceback', () => {
    const lines = [
      'INFO:     Waiting for application startup.',
      "ERROR:    [Errno 98] error while attempting to bind on address ('127.0.0.1', 4000): address already in use",
      'Traceback (most recent call last):',
      "OSError: [Errno 98] error while attempting to bind on address ('127.0.0.1', 4000): address already in use",
      '  File "uvloop/loop.pyx", line 2644, in sock_connect',
      'asyncio.exceptions.CancelledError',
    ];
    expect(failureLine(lines)).toMatch(/^\[Errno 98\] .*address already in use$/);
    expect(failureLine(lines.slice(2))).toMatch(/^OSError: \[Errno 98\]/);
    expect(failureLine(['just this'])).toBe('just this');
  });
});
