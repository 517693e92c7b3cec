// The in-container adapter of CLI harnesses, on the host with a scripted CLI: only the core gets in; a turn runs the CLI once, maps it, keeps the thread, and a cancel kills it.
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attackHeaders, rawTurn, until } from '../../../../test/agents';
import type { CliDriver, DriveEvent } from './driver';
import type { CliAdapter } from './server';
import { startCliAdapter } from './server';

const CREDENTIAL = 'c'.repeat(43);
const KEY = `sk-agentdesk-${'v'.repeat(43)}`;

/**
 * A CLI played by `sh`: it leaves a marker file (so a test sees whether it ran), prints its stdin back
 * as a text event, runs a tool call whose output carries the agent's key (to be masked), and answers
 * — or, for a prompt with `sleep`, starts a background `sleep` (its pid in a file) and waits.
 */
function scriptedCli(dir: string): CliDriver {
  const script = `
    echo ran >> "${dir}/ran"
    prompt=$(cat)
    case "$prompt" in
      *sleep*) sleep 300 & echo $! > "${dir}/sleep.pid"; wait ;;
    esac
    printf '%s\\n' '{"kind":"session","id":"S-1"}'
    printf '{"kind":"text","delta":"you said: %s"}\\n' "$prompt"
    printf '%s\\n' '{"kind":"tool_call","id":"c1","name":"shell","arguments":"{\\"command\\":\\"echo hi\\"}"}'
    printf '%s\\n' '{"kind":"tool_result","id":"c1","name":"shell","output":"hi ${KEY}","exit_code":0}'
    printf '%s\\n' '{"kind":"reply","text":"done"}'
  `;
  return {
    label: 'Scripted CLI',
    command: (t) => ({ file: 'sh', args: ['-c', script, t.session ?? 'new'], session: null }),
    mapper: () => ({ map: (line) => [line as DriveEvent] }),
    verifyShape: () => Promise.resolve(null),
  };
}

describe('the CLI harness adapter', () => {
  let dir: string;
  let adapter: CliAdapter;
  let endpoint: string;
  const traced: unknown[] = [];
  let gateway: http.Server;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-test-cli-adapter-'));
    // The gateway's trace endpoint, as the adapter posts to it.
    gateway = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        if (req.url === '/v1/agentdesk/trace')
          traced.push(...(JSON.parse(body) as { events: unknown[] }).events);
        res.end('{}');
      });
    });
    await new Promise<void>((r) => gateway.listen(0, '127.0.0.1', () => r()));
    const gwPort = (gateway.address() as AddressInfo).port;
    adapter = await startCliAdapter(
      scriptedCli(dir),
      {
        baseUrl: `http://127.0.0.1:${gwPort}/v1`,
        apiKey: KEY,
        model: 'scripted/gpt-test-mini',
        agentId: 'a',
        agentName: 'A',
        systemPrompt: null,
        temperature: null,
        toolsEnabled: true,
        host: '127.0.0.1',
        port: 0,
        maxSteps: 12,
        homeDir: dir,
        workspace: path.join(dir, 'workspace'),
        threadsDir: path.join(dir, '.agentdesk', 'threads'),
        shellTimeoutMs: 60_000,
        credential: CREDENTIAL,
      },
      process.env,
    );
    endpoint = `http://127.0.0.1:${adapter.port}`;
  });
  afterAll(async () => {
    await adapter?.close();
    gateway?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const runs = () =>
    fs.existsSync(path.join(dir, 'ran'))
      ? fs.readFileSync(path.join(dir, 'ran'), 'utf8').split('\n').filter(Boolean).length
      : 0;

  it('refuses every caller but the core (no credential, a wrong one, a rebinding Host, a web page, text/plain), and runs nothing', async () => {
    for (const [what, headers, status] of attackHeaders(CREDENTIAL)) {
      expect(await rawTurn(endpoint, headers, JSON.stringify({ text: 'hello' })), what).toBe(status);
    }
    expect(runs()).toBe(0);
  });

  it('runs the CLI once per turn, streams its events, masks the key, keeps the thread and its session, traces the tools', async () => {
    const res = await fetch(`${endpoint}/turn`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${CREDENTIAL}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ text: 'hello there', thread_id: 'th-1' }),
    });
    const text = await res.text();
    expect(res.status).toBe(200);
    expect(runs()).toBe(1);
    expect(text).toContain('event: text\ndata: {"delta":"you said: hello there"}');
    expect(text).toContain('event: tool_result');
    expect(text).toContain('[redacted]');
    expect(text).not.toContain(KEY);
    expect(text).toMatch(/event: done\ndata: \{"thread_id":"th-1".*"reply":"done"/);
    const thread = JSON.parse(
      fs.readFileSync(path.join(dir, '.agentdesk', 'threads', 'th-1.json'), 'utf8'),
    ) as {
      session: string;
      messages: { role: string }[];
    };
    expect(thread.session).toBe('S-1');
    expect(thread.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'tool', 'assistant']);
    const events = await until(
      () => traced,
      (t) => t.length >= 2,
      10_000,
      'the tool events posted',
    );
    expect(JSON.stringify(events)).toContain('"kind":"tool_call"');
    expect(JSON.stringify(events)).not.toContain(KEY);
  });

  it('kills the CLI and what it started when the core closes the turn', async () => {
    const ac = new AbortController();
    const res = await fetch(`${endpoint}/turn`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${CREDENTIAL}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ text: 'please sleep', thread_id: 'th-2' }),
      signal: ac.signal,
    });
    expect(res.status).toBe(200);
    const pidFile = path.join(dir, 'sleep.pid');
    const pid = Number(
      await until(
        () => (fs.existsSync(pidFile) ? fs.readFileSync(pidFile, 'utf8').trim() : ''),
        (p) => p !== '',
        10_000,
        'the sleep',
      ),
    );
    ac.abort();
    await until(
      () => {
        try {
          process.kill(pid, 0);
          return true;
        } catch {
          return false;
        }
      },
      (alive) => !alive,
      10_000,
      'the CLI’s child to be killed',
    );
  });
});
