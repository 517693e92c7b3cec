// A foreign server on LiteLLM's port is never taken for LiteLLM, never sent a key, and never killed.
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import type { LitellmState } from '../../../../contract/llm';
import { freePort } from '../../../platform/free-port';
import { killProcessGroup, spawnGroupLeader } from '../../../platform/spawn';
import { skipUnlessReal } from '../../../../test/real';
import { litellmInstalled, startLlmStack } from '../../../../test/llm-stack';
import type { LlmStack } from '../../../../test/llm-stack';

const skip = skipUnlessReal(litellmInstalled(), 'LiteLLM (the app venv: scripts/bootstrap-linux.sh)');

// Answers 200 to everything — /health/readiness included — and reports each request on stdout.
const FOREIGN = `require('http').createServer((q, r) => {
  console.log(JSON.stringify({ path: q.url, auth: q.headers.authorization || null }));
  r.end('{"status":"healthy"}');
}).listen(Number(process.env.PORT), '127.0.0.1', () => console.log('listening'));`;

let foreign: ChildProcess;
let foreignPort: number;
const foreignSeen: { path: string; auth: string | null }[] = [];
let s: LlmStack;
const seenStates: { state: LitellmState; port: number | null }[] = [];

function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    http
      .get({ host: '127.0.0.1', port, path: '/', agent: false }, (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      })
      .on('error', () => resolve(false));
  });
}

describe.skipIf(skip)('a foreign process on the port', () => {
  beforeAll(async () => {
    foreignPort = await freePort();
    foreign = await spawnGroupLeader(process.execPath, ['-e', FOREIGN], {
      env: { PORT: String(foreignPort), PATH: process.env.PATH },
    });
    let buf = '';
    await new Promise<void>((resolve) =>
      foreign.stdout!.on('data', (c: Buffer) => {
        buf += c.toString();
        const lines = buf.split('\n');
        buf = lines.pop()!;
        for (const l of lines)
          if (l === 'listening') resolve();
          else foreignSeen.push(JSON.parse(l) as { path: string; auth: string | null });
      }),
    );
    let first = true;
    s = await startLlmStack({
      wait: false,
      deps: {
        // The first start is told to use the foreign server's port; later ones get free ports.
        processOptions: {
          port: () => (first ? ((first = false), Promise.resolve(foreignPort)) : freePort()),
          backoff: { initialMs: 500, maxMs: 30_000 },
        },
        onStatus: (st) => seenStates.push({ state: st.litellm.state, port: st.litellm.port }),
      },
    });
    await s.llm.reload();
  });
  afterAll(async () => {
    await s?.close();
    if (foreign?.pid) killProcessGroup(foreign.pid, 'SIGKILL'); // the test's own child
  });

  it('is not taken for LiteLLM: the start on its port fails, the next one serves on another port', async () => {
    await s.llm.active!.proc.whenReady();
    const st = s.llm.status().litellm;
    expect(st.state).toBe('ready');
    expect(st.port).not.toBe(foreignPort);
    expect(st.restarts).toBe(1);
    expect(st.last_error).toMatch(/address already in use/i);
    expect(seenStates.some((x) => x.state === 'ready' && x.port === foreignPort)).toBe(false);
    // It was asked for readiness (and answered 200), but never sent a key.
    expect(foreignSeen.some((r) => r.path === '/health/readiness')).toBe(true);
    expect(foreignSeen.every((r) => r.auth === null)).toBe(true);
  });

  it('is left running through restarts and shutdown', async () => {
    const key = s.keys.mint({ owner: 'a', models: ['*'] }).key;
    const res = await fetch(`${s.gateway}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'scripted/gpt-test-mini', messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(res.status).toBe(200);
    await s.llm.shutdown();
    expect(foreign.exitCode).toBeNull();
    expect(foreign.signalCode).toBeNull();
    expect(await answers(foreignPort)).toBe(true);
    expect(foreignSeen.every((r) => r.auth === null)).toBe(true);
  });
});
