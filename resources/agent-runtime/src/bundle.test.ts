// The bundled agent-runtime.cjs as the app ships it: built by scripts/build-runtime.mjs, run with plain node (serve, verify).
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from './testkit';
import { KEY, MODEL, named, parseSse, rtFetch, startGateway, tempHome, TEST_CREDENTIAL } from './testkit';

const run = promisify(execFile);
const root = path.resolve(__dirname, '../../..');
let dir: string;
let bundle: string;
let gw: Gateway;
let modelStatus: Record<string, unknown>;

beforeAll(async () => {
  dir = await tempHome();
  bundle = path.join(dir, 'agent-runtime.cjs');
  await run(process.execPath, [path.join(root, 'scripts/build-runtime.mjs'), '--outfile', bundle], {
    cwd: root,
  });
  gw = await startGateway();
  gw.up.on('GET', `/v1/agentdesk/models/${MODEL}`, (_req, res) => gw.up.json(res, 200, modelStatus));
});
afterAll(async () => {
  await gw?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    OPENAI_BASE_URL: gw.up.v1,
    OPENAI_API_KEY: KEY,
    AGENTDESK_MODEL: MODEL,
    AGENTDESK_HOME_DIR: dir,
    AGENTDESK_HOST: '127.0.0.1',
    AGENTDESK_PORT: '0',
    AGENTDESK_RUNTIME_TOKEN: TEST_CREDENTIAL,
    ...extra,
  };
}

/** Runs the bundle; resolves with exit code and output (never rejects on a non-zero exit). */
async function exec(
  args: string[],
  e: NodeJS.ProcessEnv,
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(process.execPath, [bundle, ...args], { env: e });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const x = err as { code: number; stdout: string; stderr: string };
    return { code: x.code, stdout: x.stdout, stderr: x.stderr };
  }
}

describe('bundled runtime', () => {
  it('is one self-contained CommonJS file for node', async () => {
    const text = await fs.readFile(bundle, 'utf8');
    expect(text.startsWith('#!/usr/bin/env node\n')).toBe(true);
    const required = [...text.matchAll(/require\((["'])([^"']+)\1\)/g)].map((m) => m[2]);
    expect(required.length).toBeGreaterThan(0);
    for (const id of required) expect(id).toMatch(/^node:/);
    expect((await fs.stat(bundle)).mode & 0o111).not.toBe(0);
  });

  it('serves /health and a turn, and exits 0 on SIGTERM', async () => {
    const child = spawn(process.execPath, [bundle], { env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    let out = '';
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const port = await new Promise<number>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /listening .*port=(\d+)/.exec(out);
        if (m) resolve(Number(m[1]));
      });
      child.once('exit', (code) => reject(new Error(`runtime exited with ${code}: ${stderr}`)));
    });
    const health = (await (await fetch(`http://127.0.0.1:${port}/health`)).json()) as Record<string, unknown>;
    expect(health).toMatchObject({ ok: true, model: MODEL });
    const res = await rtFetch(`http://127.0.0.1:${port}/turn`, {
      method: 'POST',
      body: '{"text":"hi from the bundle"}',
    });
    const events = parseSse(await res.text());
    expect(named(events, 'done')[0]).toMatchObject({ reply: 'chunk0 chunk1 chunk2 ', steps: 1 });
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(out).toMatch(/ turn thread=\S+ turn=\S+ status=done steps=1/);
    expect(out + stderr).not.toContain(KEY);
    expect(out + stderr).not.toContain(TEST_CREDENTIAL);
  });

  it('exits 1 naming the variable when the environment is incomplete, 2 for an unknown command', async () => {
    const bad = await exec([], env({ OPENAI_BASE_URL: '' }));
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/OPENAI_BASE_URL is not set/);
    const port = await exec(['serve'], env({ AGENTDESK_PORT: 'eighty' }));
    expect(port.code).toBe(1);
    expect(port.stderr).toMatch(
      /AGENTDESK_PORT=\\?"eighty\\?" is invalid: use a whole number from 0 to 65535/,
    );
    const usage = await exec(['fly'], env());
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('unknown command "fly"; usage: agent-runtime.cjs [serve|verify]');
  });

  describe('verify', () => {
    it('exits 0 with one JSON line when the model is listed and its key resolves', async () => {
      modelStatus = { id: MODEL, provider: 'scripted', served: true, key: 'resolved' };
      const r = await exec(['verify'], env());
      expect(r).toMatchObject({ code: 0, stdout: `{"ok":true,"model":"${MODEL}","models":1}\n` });
      const seen = gw.up.requestsTo(`/v1/agentdesk/models/${MODEL}`).at(-1)!;
      expect(seen.headers.authorization).toBe(`Bearer ${KEY}`);
    });

    it.each([
      [
        'the key is wrong',
        { OPENAI_API_KEY: 'sk-agentdesk-notthekeynotthekey00' },
        null,
        /HTTP 401: Incorrect API key provided\./,
      ],
      [
        'the model is not listed',
        { AGENTDESK_MODEL: 'scripted/other' },
        null,
        /model scripted\/other is not in the gateway's list for this key \(1 models: scripted\/gpt-test-mini\)/,
      ],
      [
        'the provider key is missing',
        {},
        { served: true, key: 'missing', provider: 'scripted' },
        /provider scripted of model scripted\/gpt-test-mini has no API key/,
      ],
      [
        'LiteLLM does not serve it',
        {},
        { served: false, key: 'resolved' },
        /is not served by the app's LiteLLM proxy/,
      ],
      [
        'the gateway is unreachable',
        { OPENAI_BASE_URL: 'http://127.0.0.1:9/v1' },
        null,
        /cannot reach the gateway at http:\/\/127\.0\.0\.1:9\/v1\/models/,
      ],
      ['the key is not set', { OPENAI_API_KEY: '' }, null, /OPENAI_API_KEY is not set/],
    ])('exits 1 when %s', async (_what, extra, status, error) => {
      modelStatus = status ?? { id: MODEL, provider: 'scripted', served: true, key: 'resolved' };
      const r = await exec(['verify'], env(extra));
      expect(r.code).toBe(1);
      const line = JSON.parse(r.stdout) as { ok: boolean; error: string };
      expect(line.ok).toBe(false);
      expect(line.error).toMatch(error);
      expect(r.stdout + r.stderr).not.toContain('notthekey');
    });
  });
});
