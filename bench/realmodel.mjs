// Benchmark: one short turn and one tool turn on the real model (llama-server, scripts/real-model.sh) through Agent Desk
// (runtime → gateway → LiteLLM → llama-server) against the same requests sent straight to llama-server, in one run; the
// short turn is also measured hop by hop (llama-server, + LiteLLM, + gateway, + runtime) so the overhead has an owner.
// Writes bench/results/realmodel.json.
import { execFileSync, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { percentile, r1, writeResult } from './_machine.mjs';

const root = path.resolve(import.meta.dirname, '..');
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
/** Rounds of the short turn's hop-by-hop comparison (each round runs every hop once, in a rotating order). */
const HOP_ROUNDS = Number(process.env.BENCH_HOP_ROUNDS ?? 48);
const SHORT = 'Say hello in five words.';
const TOOL = "create notes.txt containing 'hello from the agent', then show me its contents";
const median = (xs) => r1(percentile(xs, 50));

// The real model: the one `scripts/real-model.sh start` runs (started here when it does not answer).
let llamaUrl = (process.env.AGENTDESK_REAL_MODEL_URL ?? 'http://127.0.0.1:18080/v1').replace(/\/+$/, '');
try {
  execFileSync('curl', ['-fsS', '--max-time', '3', `${new URL(llamaUrl).origin}/health`], {
    stdio: 'ignore',
  });
} catch {
  const out = execFileSync('bash', [path.join(root, 'scripts', 'real-model.sh'), 'start'], {
    encoding: 'utf8',
  });
  llamaUrl = out.trim().split('\n').at(-1).split('=')[1];
}
const llama = new URL(llamaUrl);
const modelId = (await (await fetch(`${llamaUrl}/models`)).json()).data[0].id;

/**
 * A pass-through HTTP server that records the chat-completion bodies it forwards (while `recording`), so
 * they can be replayed one hop further down. It sits in front of llama-server for LiteLLM (its cost is
 * measured as a hop of its own) and in front of the gateway for a recording-only runtime.
 */
function tap(target) {
  const state = { recorded: [], recording: false };
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      if (state.recording && req.url.endsWith('/chat/completions'))
        state.recorded.push(body.toString('utf8'));
      const up = http.request(
        {
          host: target.hostname,
          port: target.port,
          method: req.method,
          path: req.url,
          headers: { ...req.headers, host: target.host },
        },
        (ures) => {
          res.writeHead(ures.statusCode, ures.headers);
          ures.pipe(res);
        },
      );
      up.on('error', () => res.destroy());
      up.end(body);
    });
  });
  return new Promise((r) =>
    server.listen(0, '127.0.0.1', () =>
      r({ state, server, url: `http://127.0.0.1:${server.address().port}/v1` }),
    ),
  );
}
const llamaTap = await tap(llama);

// The LLM service (LiteLLM + gateway) of the built app, with the tap as a keyless local provider.
const kit = createRequire(import.meta.url)(path.join(root, 'out', 'main', 'llm-kit.js'));
const home = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-bench-realmodel-'));
const db = kit.openDatabase(path.join(home, 'agentdesk.db'));
const keys = new kit.VirtualKeys(db);
const redactor = new kit.SecretRedactor();
const log = kit.createLogger({ dir: path.join(home, 'logs'), redactor, level: 'warn' });
const command = kit.resolveLitellmCommand({
  setting: null,
  appRoot: kit.appRoot(),
  dataDir: home,
  env: process.env,
});
if (!command) throw new Error('LiteLLM is not installed (scripts/bootstrap-linux.sh)');
const llm = new kit.LlmService({
  home,
  resolveCommand: () => command,
  source: {
    snapshot: async () => ({
      providers: [
        {
          providerId: 'real',
          type: 'llamacpp',
          prefix: 'openai/',
          apiBase: llamaTap.url,
          keyless: true,
          models: [modelId],
          local: true,
        },
      ],
      keys: {},
      notes: [],
    }),
  },
  keys,
  sink: new kit.MemoryLlmCallSink(),
  redactor,
  log,
  env: process.env,
  gateway: { port: 0 },
});
await llm.init();
await llm.reload();
await llm.active.proc.whenReady();
const { key } = keys.mint({ owner: 'bench', models: ['*'] });
const gatewayV1 = `http://127.0.0.1:${llm.gateway.port}/v1`;
const litellmTarget = llm.active.proc.target();
const litellmV1 = `http://${litellmTarget.host}:${litellmTarget.port}/v1`;
const gatewayTap = await tap(new URL(gatewayV1));

// The built-in runtime on this machine (no container: the container adds nothing per request): tools off for the
// short turn (its text streams as the model writes it), tools on for the tool turn, and a recording-only one (tools
// off, behind a tap in front of the gateway) that gives the runtime's own request for the hop comparison.
const credential = crypto.randomBytes(32).toString('base64url');
const rtHomes = [];
const runtimes = [];
async function startRuntime(tools, baseUrl = gatewayV1) {
  const rtHome = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-bench-rt-'));
  rtHomes.push(rtHome);
  const rt = spawn(process.execPath, [path.join(root, 'out', 'agent-runtime', 'agent-runtime.cjs')], {
    env: {
      ...process.env,
      OPENAI_BASE_URL: baseUrl,
      OPENAI_API_KEY: key,
      AGENTDESK_MODEL: `real/${modelId}`,
      AGENTDESK_HOME_DIR: rtHome,
      AGENTDESK_HOST: '127.0.0.1',
      AGENTDESK_PORT: '0',
      AGENTDESK_TEMPERATURE: '0',
      AGENTDESK_TOOLS: tools ? '1' : '0',
      AGENTDESK_RUNTIME_TOKEN: credential,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  runtimes.push(rt);
  return new Promise((resolve) => {
    let buf = '';
    rt.stdout.on('data', (c) => {
      buf += c;
      const m = /listening .*port=(\d+)/.exec(buf);
      if (m) resolve(Number(m[1]));
    });
  });
}
const ports = {
  short_turn: await startRuntime(false),
  tool_turn: await startRuntime(true),
  recorder: await startRuntime(false, gatewayTap.url),
};

/** One turn through a runtime: ms to the first `text` (or `tool_call`) event and to `done`; the reply. */
async function viaRuntime(rtPort, text) {
  const t0 = performance.now();
  const res = await fetch(`http://127.0.0.1:${rtPort}/turn`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${credential}` },
    body: JSON.stringify({ text }),
  });
  let first = null;
  let body = '';
  const decoder = new TextDecoder();
  for await (const c of res.body) {
    body += decoder.decode(c, { stream: true });
    if (first === null && /event: (text|tool_call)/.test(body)) first = performance.now() - t0;
  }
  const total = performance.now() - t0;
  const done = /event: done\ndata: (.*)/.exec(body);
  if (!done) throw new Error(`the turn failed: ${body.slice(-500)}`);
  return { first, total, reply: JSON.parse(done[1]).reply };
}

/** Chat-completion bodies POSTed one after the other to `v1` with `apiKey`: ms to the first content byte and in all. */
async function post(v1, bodies, apiKey = null) {
  const t0 = performance.now();
  let first = null;
  for (const b of bodies) {
    const res = await fetch(`${v1}/chat/completions`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        ...(apiKey ? { Authorization: `Bearer ${apiKey}` } : {}),
      },
      body: b,
    });
    if (!res.ok) throw new Error(`${v1} answered HTTP ${res.status}: ${(await res.text()).slice(0, 300)}`);
    const decoder = new TextDecoder();
    let seen = '';
    for await (const c of res.body) {
      seen += decoder.decode(c, { stream: true });
      if (first === null && /"content":"[^"]/.test(seen)) first = performance.now() - t0;
    }
  }
  return { first, total: performance.now() - t0 };
}

/** Runs `fn` while `t` records; returns what it recorded. */
async function recordingOn(t, fn) {
  t.state.recorded.length = 0;
  t.state.recording = true;
  try {
    await fn();
  } finally {
    t.state.recording = false;
  }
  return [...t.state.recorded];
}

const results = {};
try {
  // ---- the short turn, hop by hop ----
  // The runtime's request (as the gateway receives it) and LiteLLM's (as llama-server receives it), recorded once.
  const runtimeBody = (await recordingOn(gatewayTap, () => viaRuntime(ports.recorder, SHORT)))[0];
  const litellmBody = (await recordingOn(llamaTap, () => post(gatewayV1, [runtimeBody], key)))[0];
  const hops = {
    llama_server: () => post(llamaUrl, [litellmBody]),
    tap: () => post(llamaTap.url, [litellmBody]),
    litellm: () => post(litellmV1, [runtimeBody], litellmTarget.masterKey),
    gateway: () => post(gatewayV1, [runtimeBody], key),
    runtime: () => viaRuntime(ports.short_turn, SHORT),
  };
  const names = Object.keys(hops);
  const seen = Object.fromEntries(names.map((n) => [n, { first: [], total: [] }]));
  for (const n of names) await hops[n](); // warm every path once (connections, caches)
  for (let i = 0; i < HOP_ROUNDS; i++)
    for (let j = 0; j < names.length; j++) {
      const n = names[(i + j) % names.length]; // rotate, so no hop always runs right after another
      const r = await hops[n]();
      seen[n].first.push(r.first);
      seen[n].total.push(r.total);
    }
  const m = Object.fromEntries(
    names.map((n) => [n, { first_token_ms: median(seen[n].first), total_ms: median(seen[n].total) }]),
  );
  // What a hop adds: the median over rounds of the difference with the hop below it in the same round
  // (paired, so a slow spell of the shared machine shifts both sides of a difference alike).
  const paired = (to, from, k) => median(seen[to][k].map((v, i) => v - seen[from][k][i]));
  const step = (to, from) => ({
    first_token_ms: paired(to, from, 'first'),
    total_ms: paired(to, from, 'total'),
  });
  const pairs = {
    bench_tap: ['tap', 'llama_server'],
    litellm: ['litellm', 'tap'],
    gateway: ['gateway', 'litellm'],
    runtime: ['runtime', 'gateway'],
  };
  const added = Object.fromEntries(Object.entries(pairs).map(([k, [to, from]]) => [k, step(to, from)]));
  // The spread of those paired differences (25th and 75th percentiles): how much of a figure is noise.
  const iqr = (to, from, k) => {
    const d = seen[to][k].map((v, i) => v - seen[from][k][i]);
    return [r1(percentile(d, 25)), r1(percentile(d, 75))];
  };
  const spread = Object.fromEntries(
    Object.entries(pairs).map(([k, [to, from]]) => [
      k,
      { first_token_ms: iqr(to, from, 'first'), total_ms: iqr(to, from, 'total') },
    ]),
  );
  // Agent Desk's overhead over llama-server, without the bench's own tap (which only the measured paths
  // cross): runtime − tap, paired within each round.
  const overTotal = paired('runtime', 'tap', 'total');
  const overFirst = paired('runtime', 'tap', 'first');
  const ours = r1(added.gateway.total_ms + added.runtime.total_ms);
  results.short_turn = {
    model_calls: 1,
    agentdesk: {
      first_token_ms: r1(m.llama_server.first_token_ms + overFirst),
      total_ms: r1(m.llama_server.total_ms + overTotal),
    },
    direct: m.llama_server,
    ratio_total: Math.round(((m.llama_server.total_ms + overTotal) / m.llama_server.total_ms) * 1000) / 1000,
    overhead_total_pct: r1((overTotal / m.llama_server.total_ms) * 100),
    overhead_first_token_ms: overFirst,
    hops: {
      rounds: HOP_ROUNDS,
      cumulative_medians: m,
      added_by: added,
      added_by_p25_p75: spread,
      ours_total_ms: ours,
      ours_total_pct: r1((ours / m.llama_server.total_ms) * 100),
      litellm_total_pct: r1((added.litellm.total_ms / m.llama_server.total_ms) * 100),
    },
  };
  console.log('short turn, hop by hop:', JSON.stringify(results.short_turn.hops, null, 1));

  // ---- the tool turn: Agent Desk against its recorded llama-server requests replayed directly ----
  // One untimed turn first: its long prompt (system prompt and tool definitions) is then in llama-server's cache for both sides.
  if (ROUNDS > 0) await viaRuntime(ports.tool_turn, TOOL);
  const ad = { first: [], total: [] };
  const dr = { first: [], total: [] };
  let last = [];
  let reply = '';
  for (let i = 0; i < ROUNDS; i++) {
    // Alternate the order, so both sides find llama-server's prompt cache warm as often.
    const runAd = async () => {
      let r;
      const bodies = await recordingOn(llamaTap, async () => (r = await viaRuntime(ports.tool_turn, TOOL)));
      ad.first.push(r.first);
      ad.total.push(r.total);
      reply = r.reply;
      return bodies;
    };
    const bodies = i % 2 === 0 ? await runAd() : null;
    const d = await post(llamaUrl, bodies ?? last);
    dr.first.push(d.first);
    dr.total.push(d.total);
    last = bodies ?? (await runAd());
    console.log(`tool_turn round ${i + 1}: agent desk ${r1(ad.total.at(-1))} ms, direct ${r1(d.total)} ms`);
  }
  if (ROUNDS > 0)
    results.tool_turn = {
      model_calls: last.length,
      agentdesk: { first_token_ms: median(ad.first), total_ms: median(ad.total) },
      direct: { first_token_ms: median(dr.first), total_ms: median(dr.total) },
      ratio_total: r1((median(ad.total) / median(dr.total)) * 100) / 100,
      overhead_total_pct: r1(((median(ad.total) - median(dr.total)) / median(dr.total)) * 100),
      overhead_first_token_ms: r1(median(ad.first) - median(dr.first)),
      last_reply: reply.slice(0, 300),
    };
} finally {
  for (const rt of runtimes) rt.kill('SIGTERM');
  llamaTap.server.close();
  gatewayTap.server.close();
  await llm.shutdown();
  db.close();
  for (const d of [home, ...rtHomes]) fs.rmSync(d, { recursive: true, force: true });
}

writeResult('realmodel', {
  model: modelId,
  server: 'llama.cpp llama-server (scripts/real-model.sh: --jinja, 1 thread, 2 slots)',
  litellm_version: command.version,
  ...results,
  baseline: {
    what: "the same requests sent straight to llama-server in the same run. Short turn: the request LiteLLM sent (recorded once by a pass-through in front of llama-server) against, interleaved in a rotating order, the same turn through LiteLLM alone (the runtime's request with the master key), through the gateway (with the virtual key) and through the runtime (POST /turn); the pass-through's own cost is measured as a hop and taken out of the Agent Desk figures. Tool turn: each Agent Desk turn's recorded requests replayed straight to llama-server, one after the other (order alternating per round)",
    rounds: { short_turn: HOP_ROUNDS, tool_turn: ROUNDS },
    first_token:
      "Agent Desk: first `text` event of the runtime's stream (short turn: an agent with tools off, whose text streams as written) or first `tool_call` event (tool turn: sent only once the whole call is written, so not comparable); the other hops: first content byte of the first request",
  },
  notes:
    'hops.added_by = the median over rounds of the time each hop adds to the short turn, paired within a round (a small negative value is noise); ours = gateway + runtime, LiteLLM is the third-party proxy. The tool turn through Agent Desk also runs the tools and holds back text that may be a tool call; on a loaded 2-core machine llama-server timings vary by tens of percent between rounds.',
  goals: { overhead_total_pct: 5, overhead_first_token_ms: 30 },
});
process.exit(0);
