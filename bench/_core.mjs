// Shared helpers of benchmarks that drive a real `agentdesk serve`: the scripted upstream, the core, its API and its event stream.
import { spawn } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The scripted OpenAI-compatible upstream (bench/_upstream.mjs) → `{ child, url }`. */
export function startUpstream(key) {
  const child = spawn(process.execPath, [path.join(import.meta.dirname, '_upstream.mjs')], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, BENCH_UPSTREAM_KEY: key },
  });
  return new Promise((resolve) => {
    child.stdout.once('data', (c) => resolve({ child, url: String(c).trim() }));
  });
}

/** `agentdesk serve --home home` → `{ child, base, token, t0 }` once it prints its URL (`t0`: spawn time). */
export function startServe(home, env = {}) {
  const t0 = performance.now();
  const child = spawn(
    process.execPath,
    [path.join(root, 'bin', 'agentdesk.cjs'), 'serve', '--port', '0', '--home', home],
    { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...env } },
  );
  return new Promise((resolve, reject) => {
    let buf = '';
    child.stdout.on('data', (c) => {
      buf += c;
      const m = /(http:\/\/127\.0\.0\.1:\d+)\/#token=(\S+)/.exec(buf);
      if (m) resolve({ child, base: m[1], token: m[2], t0 });
    });
    child.once('exit', (code) => reject(new Error(`serve exited ${code}`)));
  });
}

/** Stops a core (SIGTERM) and waits for it to exit. */
export async function stopServe(serve) {
  if (serve.child.exitCode !== null) return;
  serve.child.kill('SIGTERM');
  await new Promise((r) => serve.child.once('exit', r));
}

/** Calls a contract method over HTTP; throws the error message on `ok: false`. */
export async function api(serve, channel, input = {}) {
  const [g, m] = channel.split('.');
  const post = () =>
    fetch(`${serve.base}/api/${g}/${m}`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${serve.token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify(input),
    });
  const idleMs = performance.now() - (serve.lastCallAt ?? performance.now());
  serve.lastCallAt = performance.now();
  let res;
  try {
    res = await post();
  } catch (err) {
    // The core (fastify) closes a kept-alive connection after 72 s idle; a call made just then can meet
    // the close before the core reads it (undici: "other side closed"). Only that case is sent again.
    if (err.cause?.code !== 'UND_ERR_SOCKET' || idleMs < 60_000) throw err;
    res = await post();
  }
  const body = await res.json();
  if (!body.ok) throw new Error(`${channel}: ${body.error.message}`);
  return body.value;
}

/** Polls agents.get every `pollMs` (default 50) until `phase`; throws when the agent fails. */
export async function waitPhase(serve, id, phase, pollMs = 50) {
  for (;;) {
    const a = await api(serve, 'agents.get', { id });
    if (a.phase === phase) return a;
    if (a.phase === 'failed') throw new Error(`agent failed: ${a.phase_reason}\n${a.failed_log.join('\n')}`);
    await sleep(pollMs);
  }
}

/** Adds the scripted upstream as a provider and waits until LiteLLM serves it → the model name. */
export async function addUpstreamProvider(serve, upstreamUrl) {
  await api(serve, 'providers.add', {
    type: 'openai-compatible',
    id: 'bench',
    name: 'Bench',
    base_url: `${upstreamUrl}/v1`,
  });
  for (;;) {
    const st = await api(serve, 'llm.status');
    if (st.litellm.state === 'ready') return st.litellm.models[0];
    if (st.litellm.state === 'failed') throw new Error(st.litellm.last_error);
    await sleep(200);
  }
}

/**
 * Follows the core's event stream (GET /api/events, SSE): `onEvent(name, data, receivedAt)` per event.
 * Resolves once connected, with `close()`.
 */
export function followEvents(serve, onEvent) {
  return new Promise((resolve, reject) => {
    const req = http.get(
      `${serve.base}/api/events`,
      { headers: { Authorization: `Bearer ${serve.token}` } },
      (res) => {
        if (res.statusCode !== 200) return reject(new Error(`events: HTTP ${res.statusCode}`));
        let buf = '';
        res.setEncoding('utf8');
        res.on('data', (c) => {
          const at = Date.now();
          buf += c;
          let end;
          while ((end = buf.indexOf('\n\n')) >= 0) {
            const block = buf.slice(0, end);
            buf = buf.slice(end + 2);
            const name = /^event: (.*)$/m.exec(block)?.[1];
            const data = /^data: (.*)$/m.exec(block)?.[1];
            if (name && data) onEvent(name, JSON.parse(data), at);
          }
        });
        resolve({ close: () => req.destroy() });
      },
    );
    req.on('error', reject);
  });
}
