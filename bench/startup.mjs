// Benchmark: `agentdesk serve` start → first API answer, and idle RSS; baseline = a bare Node HTTP server in the same run.
// Writes bench/results/startup.json. Fields for the UI and LiteLLM come with their issues.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { percentile, r1, writeResult } from './_machine.mjs';

const root = path.resolve(import.meta.dirname, '..');
const RUNS = Number(process.env.BENCH_RUNS ?? 7);

function rssMb(pid) {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)[1]) / 1024;
}

/** Spawns a server, waits for its URL line, then polls `ready(url)` until it answers. */
async function startOnce(cmd, args, ready) {
  const t0 = performance.now();
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise((resolve, reject) => {
    let buf = '';
    child.stdout.on('data', (c) => {
      buf += c;
      const m = /(http:\/\/127\.0\.0\.1:\d+)(\/#token=(\S+))?/.exec(buf);
      if (m) resolve({ base: m[1], token: m[3] });
    });
    child.once('exit', (code) => reject(new Error(`exited ${code} before printing its URL`)));
  });
  for (;;) {
    try {
      if (await ready(url)) break;
    } catch {
      /* not yet */
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  const readyMs = performance.now() - t0;
  await new Promise((r) => setTimeout(r, 2000));
  const rss = rssMb(child.pid);
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  return { readyMs, rss };
}

const core = [];
const floor = [];
for (let i = 0; i < RUNS; i++) {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-bench-'));
  core.push(
    await startOnce(
      process.execPath,
      [path.join(root, 'bin', 'agentdesk.cjs'), 'serve', '--port', '0', '--home', home],
      async ({ base, token }) => {
        const res = await fetch(`${base}/api/system/info`, {
          method: 'POST',
          headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
          body: '{}',
        });
        return res.ok;
      },
    ),
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
const med = (xs) => r1(percentile(xs, 50));
writeResult('startup', {
  runs: RUNS,
  core_ready_ms: med(core.map((c) => c.readyMs)),
  core_ready_ms_max: r1(Math.max(...core.map((c) => c.readyMs))),
  core_idle_rss_mb: med(core.map((c) => c.rss)),
  baseline: {
    what: 'bare Node http server, spawn to first answer, same run',
    ready_ms: med(floor.map((c) => c.readyMs)),
    idle_rss_mb: med(floor.map((c) => c.rss)),
  },
  goals: { core_ready_ms: 1000, core_idle_rss_mb: 200 },
  not_yet_measured: ['ui_interactive_ms (issue 9)', 'litellm_ready_ms (issue 4)'],
});
