// Benchmark: requests straight to LiteLLM vs through the gateway (same upstream, same LiteLLM, one run).
// Writes bench/results/gateway.json: added latency p50/p99 at concurrency 1 and 8, added TTFB for streams,
// throughput both ways, gateway RSS. Also measures the gateway alone in front of the upstream (no LiteLLM),
// where its own cost is not hidden by LiteLLM's noise.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { percentile, r1, writeResult } from './_machine.mjs';

const here = import.meta.dirname;
const N1 = Number(process.env.BENCH_C1 ?? 600); // pairs at concurrency 1
const N8 = Number(process.env.BENCH_C8 ?? 800); // requests per side at concurrency 8, over 4 rounds
const NS = Number(process.env.BENCH_STREAMS ?? 200); // stream pairs
const UPSTREAM_KEY = 'sk-bench-upstream-0123456789abcdef';
const r2 = (x) => Math.round(x * 100) / 100;

function startChild(args, env = {}) {
  const child = spawn(process.execPath, args, {
    stdio: ['pipe', 'pipe', 'inherit'],
    env: { ...process.env, ...env },
  });
  const line = new Promise((resolve, reject) => {
    let buf = '';
    child.stdout.on('data', (c) => {
      buf += c;
      const nl = buf.indexOf('\n');
      if (nl >= 0) resolve(buf.slice(0, nl));
    });
    child.once('exit', (code) => reject(new Error(`${args[0]} exited with ${code} before it was ready`)));
  });
  return { child, line };
}

const agents = new Map();
function agentFor(base, c) {
  const k = `${base}/${c}`;
  if (!agents.has(k)) agents.set(k, new http.Agent({ keepAlive: true, maxSockets: c }));
  return agents.get(k);
}

/**
 * One POST; resolves with total ms and ms to the first body byte. Retried once when a kept-alive socket
 * was closed by the server while idle (ECONNRESET on a reused socket: the request was never read).
 */
function once(base, auth, body, c) {
  return attempt(base, auth, body, c).catch((err) => {
    if (err.reused && err.code === 'ECONNRESET') return attempt(base, auth, body, c);
    throw err;
  });
}

function attempt(base, auth, body, c) {
  const data = JSON.stringify(body);
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.request(
      `${base}/v1/chat/completions`,
      {
        method: 'POST',
        agent: agentFor(base, c),
        headers: {
          authorization: `Bearer ${auth}`,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(data),
        },
      },
      (res) => {
        let ttfb = null;
        res.on('data', () => (ttfb ??= performance.now() - t0));
        res.on('end', () =>
          res.statusCode === 200
            ? resolve({ ms: performance.now() - t0, ttfb })
            : reject(new Error(`HTTP ${res.statusCode}`)),
        );
      },
    );
    req.on('error', (err) => reject(Object.assign(err, { reused: req.reusedSocket })));
    req.end(data);
  });
}

const chat = { model: 'bench/bench-model', messages: [{ role: 'user', content: 'hi' }] };
const upstreamChat = { ...chat, model: 'bench-model' };

/** Concurrency 1, alternating sides request by request (both see the same LiteLLM state). */
async function paired(a, b, n, body, pick = (r) => r.ms) {
  const xs = { a: [], b: [] };
  for (let i = 0; i < 30; i++)
    await Promise.all([once(a.base, a.auth, body, 1), once(b.base, b.auth, body, 1)]); // warm-up
  for (let i = 0; i < n; i++) {
    const order = i % 2 ? [a, b] : [b, a];
    for (const side of order)
      xs[side === a ? 'a' : 'b'].push(pick(await once(side.base, side.auth, body, 1)));
  }
  return xs;
}

/** Concurrency c: alternating phases of `perRound` requests per side; latencies and requests per second. */
async function loaded(a, b, total, body, c = 8, rounds = 4) {
  const out = { a: { ms: [], time: 0, n: 0 }, b: { ms: [], time: 0, n: 0 } };
  const perRound = Math.ceil(total / rounds);
  const phase = async (side, into) => {
    let left = perRound;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: c }, async () => {
        while (left-- > 0) into.ms.push((await once(side.base, side.auth, body, c)).ms);
      }),
    );
    into.time += performance.now() - t0;
    into.n += perRound;
  };
  await phase(a, { ms: [], time: 0, n: 0 }); // warm-up
  await phase(b, { ms: [], time: 0, n: 0 });
  for (let r = 0; r < rounds; r++) {
    if (r % 2) {
      await phase(b, out.b);
      await phase(a, out.a);
    } else {
      await phase(a, out.a);
      await phase(b, out.b);
    }
  }
  return out;
}

const added = (xs, p) => r2(percentile(xs.b, p) - percentile(xs.a, p));

const up = startChild([path.join(here, '_upstream.mjs')], { BENCH_UPSTREAM_KEY: UPSTREAM_KEY });
const upstream = await up.line;
const t0 = performance.now();
const host = startChild([path.join(here, '_gateway-host.mjs'), upstream, UPSTREAM_KEY]);
const info = JSON.parse(await host.line);
const litellmReadyMs = performance.now() - t0;
try {
  const direct = { base: info.litellm, auth: info.masterKey };
  const gateway = { base: info.gateway, auth: info.key };
  console.log(`LiteLLM ${info.litellmVersion} ready in ${Math.round(litellmReadyMs)} ms; measuring…`);
  const c1 = await paired(direct, gateway, N1, chat);
  console.log('concurrency 1 done');
  const c8 = await loaded(direct, gateway, N8, chat);
  console.log('concurrency 8 done');
  const streams = await paired(direct, gateway, NS, { ...chat, stream: true }, (r) => r.ttfb);
  console.log('streams done');
  // The gateway alone: straight to the Node upstream vs through a second gateway to the same upstream.
  const bare = { base: upstream, auth: UPSTREAM_KEY };
  const iso = { base: info.isolated, auth: info.key };
  const i1 = await paired(bare, iso, 2000, upstreamChat);
  const i8 = await loaded(bare, iso, 8000, upstreamChat);
  const is = await paired(bare, iso, 1000, { ...upstreamChat, stream: true }, (r) => r.ttfb);
  const status = fs.readFileSync(`/proc/${host.child.pid}/status`, 'utf8');
  const rss = Number(/VmRSS:\s+(\d+)/.exec(status)[1]) / 1024;
  writeResult('gateway', {
    litellm_version: info.litellmVersion,
    added_p50_ms_c1: added(c1, 50),
    added_p99_ms_c1: added(c1, 99),
    added_p50_ms_c8: r2(percentile(c8.b.ms, 50) - percentile(c8.a.ms, 50)),
    added_p99_ms_c8: r2(percentile(c8.b.ms, 99) - percentile(c8.a.ms, 99)),
    added_ttfb_ms: added(streams, 50),
    rps_direct: r1((c8.a.n / c8.a.time) * 1000),
    rps_gateway: r1((c8.b.n / c8.b.time) * 1000),
    gateway_rss_mb: r1(rss),
    baseline: {
      what: 'the same requests straight to LiteLLM with its master key, interleaved with the gateway ones in the same run',
      direct_p50_ms_c1: r2(percentile(c1.a, 50)),
      direct_p99_ms_c1: r2(percentile(c1.a, 99)),
      direct_p50_ms_c8: r2(percentile(c8.a.ms, 50)),
      direct_ttfb_ms: r2(percentile(streams.a, 50)),
    },
    gateway_alone: {
      what: 'gateway → Node upstream vs straight to the upstream: the gateway cost without LiteLLM noise',
      added_p50_ms_c1: added(i1, 50),
      added_p99_ms_c1: added(i1, 99),
      added_p50_ms_c8: r2(percentile(i8.b.ms, 50) - percentile(i8.a.ms, 50)),
      added_p99_ms_c8: r2(percentile(i8.b.ms, 99) - percentile(i8.a.ms, 99)),
      added_ttfb_ms: added(is, 50),
      rps_upstream: r1((i8.a.n / i8.a.time) * 1000),
      rps_gateway: r1((i8.b.n / i8.b.time) * 1000),
    },
    litellm_ready_ms: Math.round(litellmReadyMs),
    gateway_rss_note:
      'RSS of the process holding the LLM service (gateway, supervisor, SQLite), LiteLLM excluded',
    samples: { c1_pairs: N1, c8_per_side: N8, stream_pairs: NS },
    goals: { added_p50_ms: 1, added_p99_ms: 3, added_ttfb_ms: 2 },
  });
} finally {
  host.child.stdin.end();
  up.child.kill('SIGTERM');
  await new Promise((r) => host.child.once('exit', r));
}
