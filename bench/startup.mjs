// Benchmark: `agentdesk serve` start → first API answer, → UI interactive in Chromium, idle RSS, LiteLLM time to ready; baseline = a bare Node HTTP server in the same run.
// Writes bench/results/startup.json (`npm run bench -- startup`). BENCH_RUNS (default 7) sets the runs of each figure.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { percentile, r1, writeResult } from './_machine.mjs';

const root = path.resolve(import.meta.dirname, '..');
const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const LITELLM_RUNS = Number(process.env.BENCH_LITELLM_RUNS ?? 3);
const CHROMIUM = process.env.AGENTDESK_CHROMIUM ?? '/usr/bin/chromium';
const AGENTDESK = path.join(root, 'bin', 'agentdesk.cjs');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function rssMb(pid) {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)[1]) / 1024;
}

/** Spawns a server and resolves its URL line (`http://127.0.0.1:<port>[/#token=…]`) as `{base, token, open}`. */
function spawnServer(cmd, args, env = {}) {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...env } });
  const url = new Promise((resolve, reject) => {
    let buf = '';
    child.stdout.on('data', (c) => {
      buf += c;
      const m = /(http:\/\/127\.0\.0\.1:\d+)(\/#token=(\S+))?/.exec(buf);
      if (m) resolve({ base: m[1], token: m[3], open: m[0] });
    });
    child.once('exit', (code) => reject(new Error(`exited ${code} before printing its URL`)));
  });
  return { child, url };
}

async function stopServer(child) {
  if (child.exitCode !== null) return;
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
}

/** Polls `ready()` every 5 ms until it is true (errors count as not yet). */
async function poll(ready) {
  for (;;) {
    try {
      if (await ready()) return;
    } catch {
      /* not yet */
    }
    await sleep(5);
  }
}

/** One contract call over HTTP. */
async function api(url, channel, input = {}) {
  const [group, method] = channel.split('.');
  const res = await fetch(`${url.base}/api/${group}/${method}`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${url.token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(input),
  });
  const body = await res.json();
  if (!body.ok) throw new Error(`${channel}: ${body.error.code} ${body.error.message}`);
  return body.value;
}

/** Starts a server, waits until `ready(url)`, measures idle RSS 2 s later, stops it. */
async function startOnce(cmd, args, ready) {
  const t0 = performance.now();
  const { child, url } = spawnServer(cmd, args);
  const u = await url;
  await poll(() => ready(u));
  const readyMs = performance.now() - t0;
  await sleep(2000);
  const rss = rssMb(child.pid);
  await stopServer(child);
  return { readyMs, rss };
}

const loadBefore = os.loadavg()[0];
const serveArgs = (home) => [AGENTDESK, 'serve', '--port', '0', '--home', home];
const tmpHome = () => fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-bench-'));

// 1. Core: spawn → first API answer, on a fresh data dir each run; and the bare-Node floor.
const core = [];
const floor = [];
for (let i = 0; i < RUNS; i++) {
  const home = tmpHome();
  core.push(
    await startOnce(process.execPath, serveArgs(home), async (u) => {
      const res = await fetch(`${u.base}/api/system/info`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${u.token}`, 'Content-Type': 'application/json' },
        body: '{}',
      });
      return res.ok;
    }),
  );
  fs.rmSync(home, { recursive: true, force: true });
  floor.push(
    await startOnce(
      process.execPath,
      [
        '-e',
        "const s=require('http').createServer((q,r)=>r.end('{}')).listen(0,'127.0.0.1',()=>console.log('http://127.0.0.1:'+s.address().port))",
      ],
      async ({ base }) => (await fetch(base)).ok,
    ),
  );
}

// 2. UI: spawn → the app shell usable in Chromium (sidebar shown and the core's version in it, i.e. the
// page has called the core). Chromium is launched once beforehand: its own start is not the app's.
// The data dir is a copy of one whose onboarding is done, so the shell (not the first-run screen) shows.
const ui = [];
let uiError = null;
if (fs.existsSync(CHROMIUM) && fs.existsSync(path.join(root, 'out', 'renderer', 'index.html'))) {
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
    ],
  });
  const template = tmpHome();
  {
    const { child, url } = spawnServer(process.execPath, serveArgs(template));
    await api(await url, 'settings.update', { onboarding_done: true });
    await stopServer(child);
  }
  try {
    for (let i = 0; i < RUNS; i++) {
      const home = tmpHome();
      fs.cpSync(template, home, { recursive: true });
      fs.rmSync(path.join(home, 'control.json'), { force: true });
      const page = await browser.newPage();
      const t0 = performance.now();
      const { child, url } = spawnServer(process.execPath, serveArgs(home));
      const u = await url;
      await page.goto(u.open);
      await page.getByTestId('sidebar-core').waitFor({ state: 'visible', timeout: 30_000 });
      await page.getByTestId('nav-agents').waitFor({ state: 'visible' });
      ui.push(performance.now() - t0);
      await page.close();
      await stopServer(child);
      fs.rmSync(home, { recursive: true, force: true });
    }
  } catch (err) {
    uiError = err.message;
  }
  await browser.close();
  fs.rmSync(template, { recursive: true, force: true });
} else uiError = `needs ${CHROMIUM} and a built renderer (npm run build)`;

// 3. LiteLLM, on its own: from the call that adds the first provider (which starts LiteLLM) until
// `llm.status` says ready. The core answers all along (it never waits for LiteLLM).
const litellm = [];
let litellmError = null;
const up = spawnServer(process.execPath, [path.join(root, 'bench', '_upstream.mjs')]);
try {
  const upstream = await up.url;
  for (let i = 0; i < LITELLM_RUNS; i++) {
    const home = tmpHome();
    const { child, url } = spawnServer(process.execPath, serveArgs(home));
    const u = await url;
    try {
      const t0 = performance.now();
      await api(u, 'providers.add', {
        type: 'openai-compatible',
        name: 'Bench',
        base_url: `${upstream.base}/v1`,
      });
      for (;;) {
        const s = await api(u, 'llm.status');
        if (s.litellm.state === 'ready') break;
        if (s.litellm.state === 'failed' || s.litellm.state === 'missing')
          throw new Error(`LiteLLM ${s.litellm.state}: ${s.litellm.detail}`);
        if (performance.now() - t0 > 180_000) throw new Error('LiteLLM not ready in 180 s');
        await sleep(50);
      }
      litellm.push(performance.now() - t0);
    } catch (err) {
      litellmError = err.message;
    }
    await stopServer(child);
    fs.rmSync(home, { recursive: true, force: true });
    if (litellmError) break;
  }
} finally {
  await stopServer(up.child);
}

const med = (xs) => (xs.length ? r1(percentile(xs, 50)) : null);
const max = (xs) => (xs.length ? r1(Math.max(...xs)) : null);
const result = {
  runs: RUNS,
  core_ready_ms: med(core.map((c) => c.readyMs)),
  core_ready_ms_max: max(core.map((c) => c.readyMs)),
  ui_interactive_ms: med(ui),
  ui_interactive_ms_max: max(ui),
  core_idle_rss_mb: med(core.map((c) => c.rss)),
  litellm_ready_ms: med(litellm),
  litellm_ready_ms_max: max(litellm),
  litellm_runs: litellm.length,
  what: {
    core_ready_ms: 'spawn of `agentdesk serve` (fresh data dir) → first answer of POST /api/system/info',
    ui_interactive_ms:
      'spawn of `agentdesk serve` → the app shell in Chromium (already launched) shows the sidebar with the core version',
    core_idle_rss_mb: 'RSS of the core 2 s after its first answer, no provider (LiteLLM not started)',
    litellm_ready_ms:
      'providers.add of the first provider (starts LiteLLM) → llm.status says ready; the core and UI do not wait for it',
  },
  baseline: {
    what: 'bare Node http server, spawn to first answer, same run',
    ready_ms: med(floor.map((c) => c.readyMs)),
    idle_rss_mb: med(floor.map((c) => c.rss)),
  },
  goals: { core_ready_ms: 300, ui_interactive_ms: 800, core_idle_rss_mb: 200 },
  // 1-minute load average of the machine before and after (other work on a 2-core machine skews every figure).
  load_average_1m: { before: r1(loadBefore), after: r1(os.loadavg()[0]) },
};
result.met = Object.fromEntries(
  Object.entries(result.goals).map(([k, goal]) => [k, result[k] !== null && result[k] <= goal]),
);
result.missed_by = Object.fromEntries(
  Object.entries(result.goals)
    .filter(([k, goal]) => result[k] !== null && result[k] > goal)
    .map(([k, goal]) => [k, r1(result[k] - goal)]),
);
if (uiError) result.ui_error = uiError;
if (litellmError) result.litellm_error = litellmError;
writeResult('startup', result);
const missed = Object.entries(result.goals).filter(([k, goal]) => result[k] === null || result[k] > goal);
if (missed.length)
  console.log(`Goals missed: ${missed.map(([k, g]) => `${k} ${result[k]} > ${g}`).join(', ')}`);
