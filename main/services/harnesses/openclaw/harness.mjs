// The OpenClaw harness (PID 1's child in agentdesk/openclaw): runs the OpenClaw gateway and speaks the Agent Desk runtime protocol on :8100.
//
// Runs on the image's Node 24 (node:sqlite, zstd). Contract: resources/agent-runtime/PROTOCOL.md
// (GET /health, GET /verify, POST /turn as SSE, GET /threads/<id>, tool events posted to the gateway);
// how OpenClaw is configured and read: docs/harnesses/openclaw.md. OpenClaw is driven only through its
// OpenAI-compatible endpoint (POST /v1/chat/completions on 127.0.0.1:18789, enabled by openclaw.json);
// readiness is its /readyz; its tool calls, tool results and errors are read from its session store
// (SQLite table `transcript_events`), matched to the turn by `__openclaw.runId` = the completion id.
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import zlib from 'node:zlib';
import { compileCacheFor } from './compile-cache.mjs';

const env = process.env;
const HOME = env.HOME || '/home/agent';
const PORT = Number(env.AGENTDESK_PORT || 8100);
const OPENCLAW_PORT = Number(env.OPENCLAW_GATEWAY_PORT || 18789);
const OPENCLAW = `http://127.0.0.1:${OPENCLAW_PORT}`;
const NODE = env.OPENCLAW_NODE || process.execPath;
const OPENCLAW_MJS = env.OPENCLAW_MJS || '/opt/openclaw/node_modules/openclaw/openclaw.mjs';
const DB = path.join(HOME, '.openclaw', 'agents', 'main', 'agent', 'openclaw-agent.sqlite');
const THREADS = path.join(HOME, '.agentdesk', 'threads');
const THREAD_ID = /^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,127}$/;
const VERSION = 'openclaw-harness/1';
const CONFIG_DIR = env.AGENTDESK_CONFIG_DIR || '/opt/agentdesk/config';

/** Reads one secret file of the read-only config folder (written by the app), trimmed; exits when missing. */
function secretFile(file, what) {
  try {
    const value = fs.readFileSync(file, 'utf8').trim();
    if (/^[A-Za-z0-9_-]{20,200}$/.test(value)) return value;
    console.error(`openclaw-harness: ${file} (${what}) is malformed`);
  } catch (err) {
    console.error(`openclaw-harness: cannot read ${file} (${what}): ${err.code ?? err.message}`);
  }
  process.exit(1);
}
/** The runtime credential: only the core sends it (resources/agent-runtime/PROTOCOL.md "Authentication"). */
const CREDENTIAL = secretFile(
  env.AGENTDESK_RUNTIME_TOKEN_FILE || path.join(CONFIG_DIR, 'runtime-token'),
  'runtime credential',
);
/** The token of OpenClaw's own gateway (openclaw.json `gateway.auth`, token mode). */
const OPENCLAW_TOKEN = secretFile(
  path.join(CONFIG_DIR, 'openclaw-gateway-token'),
  "OpenClaw's gateway token",
);

for (const name of ['OPENAI_BASE_URL', 'OPENAI_API_KEY', 'AGENTDESK_MODEL']) {
  if (!env[name]) {
    console.error(`openclaw-harness: ${name} is not set; the app writes it to /home/agent/.agentdesk/env`);
    process.exit(1);
  }
}
const BASE = env.OPENAI_BASE_URL.replace(/\/+$/, '');
const KEY = env.OPENAI_API_KEY;
const MODEL = env.AGENTDESK_MODEL;
const startedAt = Date.now();

/** Masks the agent's own key in anything shown or traced. */
const redact = (s) => String(s).split(KEY).join('[redacted]').split(CREDENTIAL).join('[redacted]');
const log = (msg) => process.stderr.write(`openclaw-harness: ${redact(msg)}\n`);

/**
 * NODE_COMPILE_CACHE for the gateway: the image's cache (filled by root at build) made readable under this
 * user's id (compile-cache.mjs); without it every start compiles OpenClaw anew. Empty when there is none.
 */
function compileCacheEnv() {
  const image = env.NODE_COMPILE_CACHE;
  const uid = process.getuid?.();
  if (!image || uid === undefined) return {};
  try {
    const dir = compileCacheFor(image, path.join(os.tmpdir(), 'agentdesk-compile-cache'), uid);
    return dir ? { NODE_COMPILE_CACHE: dir } : {};
  } catch (err) {
    log(`the compile cache of the image is not used: ${err.message}`);
    return {};
  }
}

// ---- the OpenClaw gateway, as a child: it stops when we stop, and we stop when it dies ----
const child = spawn(NODE, [OPENCLAW_MJS, 'gateway', 'run'], {
  env: { ...env, OPENCLAW_HIDE_BANNER: '1', ...compileCacheEnv() },
  stdio: ['ignore', 'inherit', 'inherit'],
});
let stopping = false;
child.on('exit', (code, signal) => {
  log(`the OpenClaw gateway exited (${signal ?? `code ${code}`})`);
  process.exit(stopping ? 0 : code || 1);
});
for (const sig of ['SIGTERM', 'SIGINT']) {
  process.on(sig, () => {
    stopping = true;
    child.kill('SIGTERM');
    setTimeout(() => process.exit(0), 8000).unref();
  });
}

// ---- trace events to the gateway (POST $OPENAI_BASE_URL/agentdesk/trace) ----
let queue = [];
let posting = false;
function trace(e) {
  queue.push({ id: crypto.randomUUID(), parent_id: null, created_at: Date.now(), ...e });
  if (!posting) void flush();
}
async function flush() {
  posting = true;
  while (queue.length) {
    const events = queue.splice(0, 256);
    for (const delay of [0, 250, 1000, 3000]) {
      if (delay) await new Promise((r) => setTimeout(r, delay));
      try {
        const res = await fetch(`${BASE}/agentdesk/trace`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${KEY}` },
          body: JSON.stringify({ events }),
          signal: AbortSignal.timeout(10_000),
        });
        if (res.ok || (res.status < 500 && res.status !== 408 && res.status !== 429)) {
          if (!res.ok) log(`trace.failed status=${res.status} reason=${(await res.text()).slice(0, 200)}`);
          break;
        }
      } catch (err) {
        if (delay === 3000) log(`trace.failed reason=${err.message}`);
      }
    }
  }
  posting = false;
}

// ---- OpenClaw's session store (read-only) ----
function openDb() {
  if (!fs.existsSync(DB)) return null;
  try {
    return new DatabaseSync(DB, { readOnly: true });
  } catch (err) {
    log(`cannot open ${DB}: ${err.message}`);
    return null;
  }
}
function decode(row) {
  try {
    const text = row.event_json ?? zlib.zstdDecompressSync(row.event_zstd).toString('utf8');
    return JSON.parse(text);
  } catch {
    return null;
  }
}
/** Transcript entries (`{type:"message", message:{role,…}}`) of the sessions of an OpenClaw session key, oldest first. */
function transcript(sessionKey, sinceMs = 0) {
  const db = openDb();
  if (!db) return [];
  try {
    return db
      .prepare(
        `SELECT e.event_json, e.event_zstd FROM transcript_events e
         JOIN session_windows w ON w.session_id = e.session_id
         WHERE w.session_key = ? AND e.created_at >= ? ORDER BY w.created_at, e.seq`,
      )
      .all(sessionKey, sinceMs)
      .map(decode)
      .filter((e) => e && e.type === 'message' && e.message);
  } catch (err) {
    log(`reading the session store failed: ${err.message}`);
    return [];
  } finally {
    db.close();
  }
}
const sessionKeyOf = (threadId) => `agent:main:agentdesk-${threadId}`;
const textOf = (content) =>
  typeof content === 'string'
    ? content
    : Array.isArray(content)
      ? content
          .filter((p) => p.type === 'text')
          .map((p) => p.text)
          .join('')
      : '';

/** The thread in OpenAI message format (user text, assistant text and tool calls, tool results). */
function threadMessages(threadId) {
  const out = [];
  for (const { message: m } of transcript(sessionKeyOf(threadId))) {
    if (m.role === 'user') out.push({ role: 'user', content: textOf(m.content) });
    else if (m.role === 'assistant') {
      const calls = (Array.isArray(m.content) ? m.content : []).filter((p) => p.type === 'toolCall');
      const msg = { role: 'assistant', content: textOf(m.content) || null };
      if (calls.length)
        msg.tool_calls = calls.map((c) => ({
          id: c.id,
          type: 'function',
          function: { name: c.name, arguments: JSON.stringify(c.arguments ?? {}) },
        }));
      if (msg.content !== null || msg.tool_calls) out.push(msg);
    } else if (m.role === 'toolResult')
      out.push({ role: 'tool', tool_call_id: m.toolCallId, content: redact(textOf(m.content)) });
  }
  return out;
}
function saveThread(threadId) {
  try {
    fs.mkdirSync(THREADS, { recursive: true });
    const file = path.join(THREADS, `${threadId}.json`);
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(
      tmp,
      JSON.stringify({ thread_id: threadId, updated_at: Date.now(), messages: threadMessages(threadId) }),
    );
    fs.renameSync(tmp, file);
  } catch (err) {
    log(`thread ${threadId} not saved: ${err.message}`);
  }
}

// ---- one turn ----
const running = new Set();

/** Emits the tool calls, tool results and errors of run `runId` not emitted yet; returns the errors seen. */
function emitRunEvents(ctx, send) {
  if (!ctx.runId) return;
  for (const entry of transcript(ctx.sessionKey, ctx.since)) {
    const m = entry.message;
    if (m.__openclaw?.runId !== ctx.runId || ctx.seen.has(entry.id)) continue;
    ctx.seen.add(entry.id);
    if (m.role === 'assistant') {
      ctx.steps++;
      for (const c of (Array.isArray(m.content) ? m.content : []).filter((p) => p.type === 'toolCall')) {
        const args = JSON.stringify(c.arguments ?? {});
        const id = crypto.randomUUID();
        ctx.calls.set(c.id, id);
        send('tool_call', { id: c.id, name: c.name, arguments: args });
        trace({
          id,
          trace_id: ctx.turnId,
          kind: 'tool_call',
          thread_id: ctx.threadId,
          payload: { name: c.name, arguments: redact(args), call_id: c.id },
        });
      }
      if (m.stopReason === 'error' || m.errorMessage) {
        const message = `The model call failed: ${m.errorMessage || 'unknown error'}${m.errorCode ? ` (HTTP ${m.errorCode})` : ''}`;
        ctx.errors.push(message);
      }
    } else if (m.role === 'toolResult') {
      const output = redact(textOf(m.content));
      const exit = m.isError ? 1 : 0;
      const size = Buffer.byteLength(output);
      send('tool_result', {
        id: m.toolCallId,
        name: m.toolName,
        output: output.slice(0, 65536),
        exit_code: exit,
        truncated: size > 65536,
        size,
      });
      trace({
        trace_id: ctx.turnId,
        parent_id: ctx.calls.get(m.toolCallId) ?? null,
        kind: 'tool_result',
        thread_id: ctx.threadId,
        payload: {
          name: m.toolName,
          output: output.slice(0, 65536),
          exit_code: exit,
          size,
          truncated: size > 65536,
          call_id: m.toolCallId,
        },
      });
    }
  }
}

async function runTurn(req, res, body) {
  const threadId = body.thread_id ?? crypto.randomUUID();
  if (running.has(threadId))
    return json(res, 409, { error: { message: `a turn is already running in thread ${threadId}` } });
  running.add(threadId);
  const ctx = {
    threadId,
    turnId: crypto.randomUUID(),
    sessionKey: sessionKeyOf(threadId),
    since: Date.now() - 1000,
    runId: null,
    seen: new Set(),
    calls: new Map(),
    errors: [],
    steps: 0,
  };
  res.writeHead(200, {
    'Content-Type': 'text/event-stream',
    'Cache-Control': 'no-store',
    Connection: 'keep-alive',
  });
  const send = (event, data) => res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  send('turn', { thread_id: threadId, turn_id: ctx.turnId });
  const abort = new AbortController();
  res.on('close', () => abort.abort());
  const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
  const poll = setInterval(() => emitRunEvents(ctx, send), 300);
  let reply = '';
  let streamError = null;
  try {
    const up = await fetch(`${OPENCLAW}/v1/chat/completions`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        Authorization: `Bearer ${OPENCLAW_TOKEN}`,
        'x-openclaw-session-key': `agentdesk-${threadId}`,
      },
      body: JSON.stringify({
        model: 'openclaw/default',
        stream: true,
        messages: [{ role: 'user', content: body.text }],
      }),
      signal: abort.signal,
    });
    if (!up.ok || !up.body)
      throw new Error(`OpenClaw answered HTTP ${up.status}: ${(await up.text()).slice(0, 300)}`);
    let buf = '';
    for await (const chunk of up.body.pipeThrough(new TextDecoderStream())) {
      buf += chunk;
      let i;
      while ((i = buf.indexOf('\n\n')) >= 0) {
        const block = buf.slice(0, i);
        buf = buf.slice(i + 2);
        const data = block
          .split('\n')
          .filter((l) => l.startsWith('data:'))
          .map((l) => l.slice(5).trim())
          .join('\n');
        if (!data || data === '[DONE]') continue;
        let j;
        try {
          j = JSON.parse(data);
        } catch {
          continue;
        }
        if (j.id && !ctx.runId) ctx.runId = j.id;
        if (j.error) streamError = j.error.message || JSON.stringify(j.error);
        const delta = j.choices?.[0]?.delta?.content;
        if (typeof delta === 'string' && delta) {
          reply += delta;
          send('text', { delta: redact(delta) });
        }
      }
    }
  } catch (err) {
    if (!abort.signal.aborted)
      streamError = `OpenClaw did not complete the turn: ${err.cause?.code ?? err.message}`;
  } finally {
    clearInterval(poll);
    clearInterval(keepAlive);
  }
  emitRunEvents(ctx, send);
  running.delete(threadId);
  saveThread(threadId);
  if (abort.signal.aborted) return;
  const error = ctx.errors.at(-1) ?? (streamError ? `OpenClaw: ${redact(streamError)}` : null);
  if (error) {
    send('error', { message: error });
    trace({ trace_id: ctx.turnId, kind: 'error', thread_id: threadId, payload: { message: error } });
  } else send('done', { thread_id: threadId, turn_id: ctx.turnId, reply: redact(reply), steps: ctx.steps });
  res.end();
}

// ---- HTTP ----
function json(res, status, body) {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body));
}
async function health(res) {
  try {
    const r = await fetch(`${OPENCLAW}/readyz`, {
      headers: { Authorization: `Bearer ${OPENCLAW_TOKEN}` },
      signal: AbortSignal.timeout(2000),
    });
    if (r.ok)
      return json(res, 200, { ok: true, model: MODEL, version: VERSION, uptime_ms: Date.now() - startedAt });
    return json(res, 503, { ok: false, error: `OpenClaw is not ready (HTTP ${r.status})` });
  } catch (err) {
    return json(res, 503, {
      ok: false,
      error: `OpenClaw does not answer yet (${err.cause?.code ?? err.message})`,
    });
  }
}
/**
 * The model endpoint, key and model OpenClaw itself is configured with (openclaw.json: the `agentdesk`
 * provider's `baseUrl`, its file secret, the default agent's primary model), so verify checks the path
 * OpenClaw's provider calls take, not only this harness's environment.
 */
function openClawModelPath() {
  const file = env.OPENCLAW_CONFIG_PATH || path.join(CONFIG_DIR, 'openclaw.json');
  const cfg = JSON.parse(fs.readFileSync(file, 'utf8'));
  const provider = cfg.models?.providers?.agentdesk;
  const keyFile = cfg.secrets?.providers?.agentdesk?.path;
  const primary = cfg.agents?.defaults?.model?.primary ?? '';
  if (!provider?.baseUrl || !keyFile || !primary.startsWith('agentdesk/'))
    throw new Error(`${file} has no agentdesk provider, key file or agentdesk/ primary model`);
  return {
    base: String(provider.baseUrl).replace(/\/+$/, ''),
    key: fs.readFileSync(keyFile, 'utf8').trim(),
    model: primary.slice('agentdesk/'.length),
  };
}

/**
 * `GET /verify`: with OpenClaw's own provider settings (openClawModelPath), the gateway lists the model
 * for this key and answers a one-token completion (not streamed, temperature 0), so "running" means the
 * agent can think. OpenClaw's own one-shot probe (`openclaw infer model run`) is not used: it starts a
 * second OpenClaw process next to the gateway (measured: ~20 s and ~510 MB RSS; docs/harnesses/openclaw.md).
 */
async function verify(res) {
  let p;
  try {
    p = openClawModelPath();
  } catch (err) {
    return json(res, 503, { ok: false, error: `OpenClaw's configuration cannot be read: ${err.message}` });
  }
  const auth = { Authorization: `Bearer ${p.key}` };
  const failed = (error) => json(res, 503, { ok: false, error: redact(error) });
  try {
    const r = await fetch(`${p.base}/models`, { headers: auth, signal: AbortSignal.timeout(10_000) });
    const body = await r.json().catch(() => ({}));
    if (!r.ok)
      return failed(`GET ${p.base}/models answered HTTP ${r.status}: ${body.error?.message ?? 'no message'}`);
    const ids = (body.data ?? []).map((m) => m.id);
    if (!ids.includes(p.model))
      return failed(
        `the gateway does not serve ${p.model} to this agent (it serves: ${ids.join(', ') || 'nothing'})`,
      );
  } catch (err) {
    return failed(`the gateway at ${p.base} does not answer: ${err.cause?.code ?? err.message}`);
  }
  try {
    const r = await fetch(`${p.base}/chat/completions`, {
      method: 'POST',
      headers: { ...auth, 'Content-Type': 'application/json' },
      body: JSON.stringify({
        model: p.model,
        messages: [{ role: 'user', content: 'Reply with OK.' }],
        max_tokens: 1,
        temperature: 0,
        stream: false,
      }),
      signal: AbortSignal.timeout(60_000),
    });
    const body = await r.json().catch(() => ({}));
    if (!r.ok)
      return failed(
        `the model did not answer a one-token completion: POST ${p.base}/chat/completions answered HTTP ${r.status}: ${body.error?.message ?? 'no message'}`,
      );
    return json(res, 200, { ok: true, model: p.model });
  } catch (err) {
    return failed(
      `the model did not answer a one-token completion within 60 s: ${err.cause?.code ?? err.message}`,
    );
  }
}
async function readBody(req) {
  let size = 0;
  const parts = [];
  for await (const c of req) {
    size += c.length;
    if (size > 1024 * 1024) throw Object.assign(new Error('body over 1 MiB'), { status: 413 });
    parts.push(c);
  }
  return Buffer.concat(parts).toString('utf8');
}

const digest = (v) => crypto.createHash('sha256').update(v, 'utf8').digest();
const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);
/**
 * The same checks as the built-in runtime (resources/agent-runtime/src/guard.ts): no Origin, a loopback
 * Host or the address the request arrived on, JSON bodies, and the runtime credential on every route but
 * a bare GET /health (constant-time comparison). Returns [status, message] or null.
 */
function refuse(req, pathname) {
  if (req.headers.origin !== undefined)
    return [403, 'requests from web pages (with an Origin header) are refused'];
  const host = (req.headers.host ?? '').trim().toLowerCase();
  const name = host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.replace(/:\d+$/, '');
  const local = (req.socket.localAddress ?? '').replace(/^::ffff:/, '');
  if (!(LOOPBACK.has(name) || (local && (name === local || name === `[${local}]`))))
    return [403, `Host "${host}" is refused: use localhost, 127.0.0.1 or the address the request arrived on`];
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    if (type !== 'application/json') return [415, `Content-Type "${type}" is refused: send application/json`];
  }
  if (pathname === '/health' && req.method === 'GET') return null;
  const m = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
  if (!m || !crypto.timingSafeEqual(digest(m[1].trim()), digest(CREDENTIAL)))
    return [401, 'missing or wrong runtime credential (Authorization: Bearer …)'];
  return null;
}

http
  .createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const refused = refuse(req, url.pathname);
    if (refused) return json(res, refused[0], { error: { message: refused[1] } });
    const route = async () => {
      if (url.pathname === '/health' && req.method === 'GET') return health(res);
      if (url.pathname === '/verify' && req.method === 'GET') return verify(res);
      if (url.pathname === '/turn') {
        if (req.method !== 'POST') return json(res, 405, { error: { message: 'use POST /turn' } });
        let body;
        try {
          body = JSON.parse(await readBody(req));
        } catch (err) {
          return json(res, err.status ?? 400, {
            error: { message: err.status ? err.message : 'the body is not JSON' },
          });
        }
        if (!body || typeof body !== 'object' || Array.isArray(body))
          return json(res, 400, { error: { message: 'the body must be a JSON object {text, thread_id?}' } });
        const extra = Object.keys(body).filter((k) => k !== 'text' && k !== 'thread_id');
        if (extra.length)
          return json(res, 400, { error: { message: `unknown field ${extra[0]}; valid: text, thread_id` } });
        if (typeof body.text !== 'string' || !body.text.trim())
          return json(res, 400, { error: { message: 'text must be a non-empty string' } });
        if (
          body.thread_id !== undefined &&
          (typeof body.thread_id !== 'string' || !THREAD_ID.test(body.thread_id))
        )
          return json(res, 400, {
            error: { message: 'thread_id must match [A-Za-z0-9_-][A-Za-z0-9_.-]{0,127}' },
          });
        return runTurn(req, res, body);
      }
      const t = /^\/threads\/([^/]+)$/.exec(url.pathname);
      if (t && req.method === 'GET') {
        if (!THREAD_ID.test(t[1])) return json(res, 400, { error: { message: 'invalid thread id' } });
        const messages = threadMessages(t[1]);
        if (!messages.length) return json(res, 404, { error: { message: `no thread ${t[1]}` } });
        return json(res, 200, { thread_id: t[1], messages });
      }
      return json(res, 404, { error: { message: `no route ${req.method} ${url.pathname}` } });
    };
    route().catch((err) => {
      log(`request failed: ${err.stack ?? err}`);
      if (!res.headersSent) json(res, 500, { error: { message: redact(err.message) } });
      else res.end();
    });
  })
  .listen(PORT, env.AGENTDESK_HOST || '0.0.0.0', () =>
    log(`listening port=${PORT} model=${MODEL} openclaw=${OPENCLAW}`),
  );
