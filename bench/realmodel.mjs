// Benchmark: one short turn and one tool turn on the real model (llama-server, scripts/real-model.sh) through Agent Desk
// (runtime → gateway → LiteLLM → llama-server) against the same requests sent straight to llama-server, interleaved in
// one run. Writes bench/results/realmodel.json: time to first token and total time both ways, their ratios and overhead.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { percentile, r1, writeResult } from './_machine.mjs';

const root = path.resolve(import.meta.dirname, '..');
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
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

// A pass-through in front of llama-server that records the bodies LiteLLM sends, to replay them directly.
const recorded = [];
let recording = false;
const tap = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    if (recording && req.url.endsWith('/chat/completions')) recorded.push(body.toString('utf8'));
    const up = http.request(
      { host: llama.hostname, port: llama.port, method: req.method, path: req.url, headers: req.headers },
      (ures) => {
        res.writeHead(ures.statusCode, ures.headers);
        ures.pipe(res);
      },
    );
    up.on('error', () => res.destroy());
    up.end(body);
  });
});
await new Promise((r) => tap.listen(0, '127.0.0.1', r));
const tapUrl = `http://127.0.0.1:${tap.address().port}/v1`;

// The LLM service (LiteLLM + gateway) of the built app, with the tap as a keyless local provider.
const kit = createRequire(import.meta.url)(path.join(root, 'out', 'main', 'llm-kit.js'));
const home = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-bench-realmodel-'));
const db = kit.openDatabase(path.join(home, 'agentdesk.db'));
const keys = new kit.VirtualKeys(db);
const redactor = new kit.SecretRedactor();
const log = kit.createLogger({ dir: path.join(home, 'logs'), redactor, level: 'warn' });
const command = kit.resolveLitellmCommand({ setting: null, appRoot: kit.appRoot(), dataDir: home });
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
          apiBase: tapUrl,
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
  gateway: { port: 0 },
});
await llm.init();
await llm.reload();
await llm.active.proc.whenReady();
const { key } = keys.mint({ owner: 'bench', models: ['*'] });

// The built-in runtime on this machine (no container: the container adds nothing per request), twice: with
// tools off for the short turn (its text streams as the model writes it) and on for the tool turn.
const rtHomes = [];
const runtimes = [];
async function startRuntime(tools) {
  const rtHome = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-bench-rt-'));
  rtHomes.push(rtHome);
  const rt = spawn(process.execPath, [path.join(root, 'out', 'agent-runtime', 'agent-runtime.cjs')], {
    env: {
      ...process.env,
      OPENAI_BASE_URL: `http://127.0.0.1:${llm.gateway.port}/v1`,
      OPENAI_API_KEY: key,
      AGENTDESK_MODEL: `real/${modelId}`,
      AGENTDESK_HOME_DIR: rtHome,
      AGENTDESK_HOST: '127.0.0.1',
      AGENTDESK_PORT: '0',
      AGENTDESK_TEMPERATURE: '0',
      AGENTDESK_TOOLS: tools ? '1' : '0',
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
const ports = { short_turn: await startRuntime(false), tool_turn: await startRuntime(true) };

/** One turn through Agent Desk: ms to the first `text` (or `tool_call`) event and to `done`; the reply. */
async function viaAgentDesk(rtPort, text) {
  const t0 = performance.now();
  const res = await fetch(`http://127.0.0.1:${rtPort}/turn`, {
    method: 'POST',
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

/** The recorded requests straight to llama-server, one after the other: ms to the first content byte and in all. */
async function direct(bodies) {
  const t0 = performance.now();
  let first = null;
  for (const b of bodies) {
    const res = await fetch(`${llamaUrl}/chat/completions`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: b,
    });
    const decoder = new TextDecoder();
    let seen = '';
    for await (const c of res.body) {
      seen += decoder.decode(c, { stream: true });
      if (first === null && /"content":"[^"]/.test(seen)) first = performance.now() - t0;
    }
  }
  return { first, total: performance.now() - t0 };
}

const results = {};
/** The bodies of each turn's last Agent Desk run, replayed directly. */
const recordedLast = {};
try {
  for (const [name, text] of [
    ['short_turn', SHORT],
    ['tool_turn', TOOL],
  ]) {
    const ad = { first: [], total: [] };
    const dr = { first: [], total: [] };
    let calls = 0;
    let reply = '';
    for (let i = 0; i < ROUNDS; i++) {
      // Alternate the order, so both sides find llama-server's prompt cache warm as often.
      const runAd = async () => {
        recorded.length = 0;
        recording = true;
        const r = await viaAgentDesk(ports[name], text);
        recording = false;
        ad.first.push(r.first);
        ad.total.push(r.total);
        reply = r.reply;
        return [...recorded];
      };
      const bodies = i % 2 === 0 ? await runAd() : null;
      const d = await direct(bodies ?? recordedLast[name]);
      dr.first.push(d.first);
      dr.total.push(d.total);
      if (!bodies) recordedLast[name] = await runAd();
      else recordedLast[name] = bodies;
      calls = recordedLast[name].length;
      console.log(`${name} round ${i + 1}: agent desk ${r1(ad.total.at(-1))} ms, direct ${r1(d.total)} ms`);
    }
    const adFirst = median(ad.first);
    const drFirst = median(dr.first);
    results[name] = {
      model_calls: calls,
      agentdesk: { first_token_ms: adFirst, total_ms: median(ad.total) },
      direct: { first_token_ms: drFirst, total_ms: median(dr.total) },
      ratio_total: r1((median(ad.total) / median(dr.total)) * 100) / 100,
      overhead_total_pct: r1(((median(ad.total) - median(dr.total)) / median(dr.total)) * 100),
      overhead_first_token_ms: r1(adFirst - drFirst),
      last_reply: reply.slice(0, 300),
    };
  }
} finally {
  for (const rt of runtimes) rt.kill('SIGTERM');
  tap.close();
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
    what: 'the same requests (the bodies LiteLLM sent, recorded by a pass-through in front of llama-server) sent straight to llama-server, one after the other, interleaved with the Agent Desk turns in the same run (order alternating per round)',
    rounds: ROUNDS,
    first_token:
      "Agent Desk: first `text` event of the runtime's stream (short turn: an agent with tools off, whose text streams as written) or first `tool_call` event (tool turn: sent only once the whole call is written, so not comparable); direct: first content byte of the first request",
  },
  notes:
    'The tool turn through Agent Desk also runs the tools and holds back text that may be a tool call; on a loaded 2-core machine llama-server timings vary by tens of percent between rounds.',
  goals: { overhead_total_pct: 5, overhead_first_token_ms: 30 },
});
process.exit(0);
