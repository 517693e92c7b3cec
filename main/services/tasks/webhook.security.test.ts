// Attacker tests of the task webhook listener: another local process or a web page tries to trigger runs.
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AppError } from '../../../contract/errors';
import { DEFAULT_SETTINGS } from '../settings/schema';
import { openDatabase } from '../storage/database';
import type { Db } from '../storage/database';
import { TaskRepository } from './task-repository';
import type { TaskRow } from './task-repository';
import { TaskRunner } from './task-runner';
import { hashSecret, TaskService } from './task-service';
import { WebhookServer } from './webhook-server';

const log = pino({ level: 'silent' });
const SECRET = `whsec_${'s3cr3t'.repeat(7)}x`;
const OTHER = `whsec_${'Zz9'.repeat(14)}x`;

/** One raw HTTP request (the attacker chooses every header, Host included). */
function raw(
  port: number,
  opts: { method?: string; path: string; headers?: Record<string, string>; body?: string | Buffer },
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method: opts.method ?? 'POST',
        path: opts.path,
        headers: { Host: `127.0.0.1:${port}`, 'Content-Type': 'application/json', ...opts.headers },
        setHost: false,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end(opts.body ?? '{"event":"push"}');
  });
}

describe('task webhooks, from the attacker’s side', () => {
  let dir: string;
  let db: Db;
  let repo: TaskRepository;
  let server: WebhookServer;
  let port: number;
  let task: TaskRow;
  /** What the runner was asked to turn into a chat turn (nothing, when a refusal leaves nothing). */
  const chats: string[] = [];
  const runs = () => (db.prepare('SELECT count(*) AS n FROM task_runs').get() as { n: number }).n;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-webhook-'));
    db = openDatabase(path.join(dir, 'agentdesk.db'));
    repo = new TaskRepository(db);
    const runner = new TaskRunner({
      repo,
      agents: {
        get: () => {
          throw new AppError('NOT_FOUND', 'no agents in this test');
        },
        start: () => Promise.reject(new Error('not here')),
      },
      chat: (input) => {
        chats.push(input.text);
        return Promise.reject(new Error('not here'));
      },
      usageOf: () => Promise.resolve(null),
      budgetRefusal: () => null,
      onRun: () => {},
      log,
    });
    const tasks = new TaskService({
      repo,
      runner,
      agent: () => {
        throw new AppError('NOT_FOUND', 'no agents');
      },
      webhookBase: () => server.url,
      onChange: () => {},
      log,
    });
    server = new WebhookServer({ target: tasks, log, perTaskPerMinute: 1000 });
    await server.start(DEFAULT_SETTINGS.webhook_listen, 0);
    port = server.port;
    const now = Date.now();
    task = {
      id: '4f0c5b9e-1d2a-4c3b-9e8f-0a1b2c3d4e5f',
      agent_id: '00000000-0000-4000-8000-00000000000a',
      name: 'hook',
      prompt: 'Summarise',
      trigger: { kind: 'webhook' },
      secret_hash: hashSecret(SECRET),
      thread_id: null,
      overlap: 'wait',
      missed: 'run_once',
      start_agent: false,
      notify_success: false,
      enabled: true,
      next_run_at: null,
      anchor_at: now,
      created_at: now,
      updated_at: now,
    };
    repo.insert(task);
    repo.insert({ ...task, id: '5f0c5b9e-1d2a-4c3b-9e8f-0a1b2c3d4e5f', enabled: false });
    repo.insert({
      ...task,
      id: '6f0c5b9e-1d2a-4c3b-9e8f-0a1b2c3d4e5f',
      trigger: { kind: 'interval', every_s: 60 },
      secret_hash: hashSecret(SECRET),
    });
  });

  afterAll(async () => {
    await server.close();
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  beforeEach(() => {
    db.prepare('DELETE FROM task_runs').run();
  });

  const hook = (id = task.id, secret = SECRET) => `/hooks/${id}/${secret}`;

  it('listens on loopback by default', () => {
    expect(DEFAULT_SETTINGS.webhook_listen).toBe('127.0.0.1');
    expect(server.url).toBe(`http://127.0.0.1:${port}`);
  });

  it('a wrong secret, an unknown task and a task of another trigger get the same 401, and leave nothing', async () => {
    const answers = await Promise.all([
      raw(port, { path: hook(task.id, OTHER) }),
      raw(port, { path: hook('7f0c5b9e-1d2a-4c3b-9e8f-0a1b2c3d4e5f', SECRET) }),
      raw(port, { path: hook('6f0c5b9e-1d2a-4c3b-9e8f-0a1b2c3d4e5f', SECRET) }),
      raw(port, { path: `/hooks/${task.id}` }),
      raw(port, { path: `/hooks/${task.id}`, headers: { Authorization: `Bearer ${OTHER}` } }),
    ]);
    for (const a of answers)
      expect([a.status, a.body]).toEqual([401, '{"error":"Unknown task or wrong secret"}']);
    expect(runs()).toBe(0);
    expect(chats).toEqual([]);
  });

  it('the right secret (in the path or as a bearer token) queues one run', async () => {
    const a = await raw(port, { path: hook() });
    expect(a.status).toBe(202);
    const b = await raw(port, { path: `/hooks/${task.id}`, headers: { Authorization: `Bearer ${SECRET}` } });
    expect(b.status).toBe(202);
    expect(runs()).toBe(2);
  });

  it('DNS rebinding: a page whose name resolves to 127.0.0.1 is refused (403) before the secret is looked at', async () => {
    for (const host of [
      `evil.example:${port}`,
      `localhost.evil.example:${port}`,
      `127.0.0.1.nip.io:${port}`,
      `127.0.0.1:${port + 1}`,
      '',
    ]) {
      const r = await raw(port, { path: hook(), headers: { Host: host } });
      expect(r.status, host).toBe(403);
    }
    expect(runs()).toBe(0);
    // IP literals and localhost with our port pass (a LAN caller when the user opened the listener).
    expect((await raw(port, { path: hook(), headers: { Host: `localhost:${port}` } })).status).toBe(202);
  });

  it('a web page’s simple cross-origin POST (text/plain, form) is refused (415); no CORS headers, no preflight', async () => {
    for (const type of [
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      '',
    ]) {
      const r = await raw(port, {
        path: hook(),
        headers: { 'Content-Type': type, Origin: 'https://evil.example' },
        body: '{"event":"push"}',
      });
      expect(r.status, type).toBe(415);
      expect(Object.keys(r.headers).filter((h) => h.startsWith('access-control-'))).toEqual([]);
    }
    const preflight = await raw(port, {
      method: 'OPTIONS',
      path: hook(),
      headers: { Origin: 'https://evil.example', 'Access-Control-Request-Method': 'POST' },
      body: '',
    });
    expect(preflight.status).toBe(405);
    expect(Object.keys(preflight.headers).filter((h) => h.startsWith('access-control-'))).toEqual([]);
    expect((await raw(port, { method: 'GET', path: hook(), body: '' })).status).toBe(405);
    expect(runs()).toBe(0);
  });

  it('a body over 64 KiB (declared or streamed) is refused (413); so is a body that is not JSON (400)', async () => {
    const big = JSON.stringify({ pad: 'x'.repeat(70 * 1024) });
    expect((await raw(port, { path: hook(), body: big })).status).toBe(413);
    const chunked = await new Promise<number>((resolve, reject) => {
      const req = http.request(
        {
          host: '127.0.0.1',
          port,
          method: 'POST',
          path: hook(),
          headers: { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      for (let i = 0; i < 80; i++) req.write('x'.repeat(1024));
      req.end();
    });
    expect(chunked).toBe(413);
    expect((await raw(port, { path: hook(), body: '{"not json' })).status).toBe(400);
    expect((await raw(port, { path: hook(), body: Buffer.from([0x7b, 0xff, 0x7d]) })).status).toBe(400);
    expect(runs()).toBe(0);
  });

  it('other spellings of a hook path are refused before any lookup', async () => {
    for (const p of [
      `/hooks/${task.id}/${SECRET}/`,
      `/hooks//${task.id}/${SECRET}`,
      `/hooks/./${task.id}/${SECRET}`,
      `/%68ooks/${task.id}/${SECRET}`,
      `/HOOKS/${task.id}/${SECRET}`,
      `http://127.0.0.1:${port}/hooks/${task.id}/${SECRET}`,
    ]) {
      const r = await raw(port, { path: p });
      expect([400, 404], p).toContain(r.status);
    }
    expect(runs()).toBe(0);
  });

  it('a disabled task answers 409 and runs nothing', async () => {
    expect((await raw(port, { path: hook('5f0c5b9e-1d2a-4c3b-9e8f-0a1b2c3d4e5f') })).status).toBe(409);
    expect(runs()).toBe(0);
  });

  it('per-task rate: past 3 calls a minute, 429 with Retry-After and no more runs', async () => {
    const fresh = new WebhookServer({
      target: {
        checkHook: (id, s) => (id === task.id && s === SECRET ? task : null),
        fireHook: () => ({ id: 'r', status: 'queued' }) as never,
      },
      log,
      perTaskPerMinute: 3,
    });
    await fresh.start('127.0.0.1', 0);
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) statuses.push((await raw(fresh.port, { path: hook() })).status);
      expect(statuses).toEqual([202, 202, 202, 429, 429]);
      const r = await raw(fresh.port, { path: hook() });
      expect(Number(r.headers['retry-after'])).toBeGreaterThan(0);
    } finally {
      await fresh.close();
    }
  });
});
