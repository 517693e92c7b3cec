// Benchmark: cost as agents grow. 1, 10 and 30 built-in agents on Docker (10 on Incus) through `agentdesk serve`:
// deploy throughput 5 at a time against `docker run`/`incus launch` of the same image 5 at a time; core RSS and
// CPU while all are idle; memory of one idle agent container; all agents taking one turn at once (trace events
// reaching the live pane: rate and delay); a core restart with every agent left running, until all are
// reconciled. Writes bench/results/scale.json. BENCH_SCALE_RUNTIMES (default docker,incus),
// BENCH_SCALE_DOCKER (default 1,10,30), BENCH_SCALE_INCUS (default 10), BENCH_IDLE_S (default 10).
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cpuMs, percentile, r1, rssMb, watchLoad, writeResult } from './_machine.mjs';
import {
  addUpstreamProvider,
  api,
  followEvents,
  sleep,
  startServe,
  startUpstream,
  stopServe,
  waitPhase,
} from './_core.mjs';

const KEY = 'sk-bench-upstream-key-0000000000000000';
const IMAGE = 'agentdesk/agent-base:2';
const KINDS = (process.env.BENCH_SCALE_RUNTIMES ?? 'docker,incus').split(',');
const COUNTS = {
  docker: (process.env.BENCH_SCALE_DOCKER ?? '1,10,30').split(',').map(Number),
  incus: (process.env.BENCH_SCALE_INCUS ?? '10').split(',').map(Number),
};
const IDLE_S = Number(process.env.BENCH_IDLE_S ?? 10);
const AT_ONCE = 5;

/** Runs `jobs` (async functions) `AT_ONCE` at a time → total ms. */
async function fiveAtATime(jobs) {
  const t0 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: AT_ONCE }, async () => {
      while (next < jobs.length) await jobs[next++]();
    }),
  );
  return performance.now() - t0;
}

const perMinute = (n, ms) => r1((n / ms) * 60_000);

/** Core RSS (MB) and CPU (% of one core) over `IDLE_S` seconds, after 5 s of settling. */
async function idleCore(pid) {
  await sleep(5000);
  const c0 = cpuMs(pid);
  const t0 = performance.now();
  await sleep(IDLE_S * 1000);
  const cpu = ((cpuMs(pid) - c0) / (performance.now() - t0)) * 100;
  return { rss_mb: r1(rssMb(pid)), cpu_pct_of_core: r1(cpu) };
}

/** Memory (MB) of each agent container, as the engine counts it (docker stats / incus state). */
function containerMemMb(kind, names) {
  if (kind === 'docker') {
    const out = execFileSync('docker', ['stats', '--no-stream', '--format', '{{.MemUsage}}', ...names], {
      encoding: 'utf8',
    });
    const units = { B: 1 / 2 ** 20, KiB: 1 / 1024, MiB: 1, GiB: 1024, kB: 1 / 1024, MB: 1, GB: 1024 };
    return out
      .trim()
      .split('\n')
      .map((l) => {
        const m = /^([\d.]+)\s*([A-Za-z]+)/.exec(l);
        return m ? Number(m[1]) * (units[m[2]] ?? NaN) : NaN;
      });
  }
  const all = JSON.parse(
    execFileSync('incus', ['list', '--all-projects', '--format', 'json'], { encoding: 'utf8' }),
  );
  return all.filter((i) => names.includes(i.name)).map((i) => (i.state?.memory?.usage ?? NaN) / 2 ** 20);
}

/** The host's CPU counters (all cores, /proc/stat): idle and total ticks. */
function hostCpu() {
  const t = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  return { idle: t[3] + t[4], total: t.reduce((a, b) => a + b, 0) };
}

/** Every agent sends one message at once; trace events seen on the event stream → rate and delay. */
async function oneTurnEach(serve, agents) {
  const delays = [];
  const byKind = {};
  let first = null;
  let last = null;
  const ids = new Set(agents.map((a) => a.id));
  const t0 = Date.now();
  const events = await followEvents(serve, (name, data, at) => {
    if (name !== 'traces.event' || !ids.has(data.agent_id) || data.created_at < t0) return;
    // An event exists once what it records has ended: a model call's created_at is its start (a
    // message_out's is its end; its duration_ms is the turn's).
    const delay = at - data.created_at - (data.kind === 'llm_call' ? (data.duration_ms ?? 0) : 0);
    delays.push(delay);
    (byKind[data.kind] ??= []).push(delay);
    first ??= at;
    last = at;
  });
  const s = performance.now();
  const host0 = hostCpu();
  const core0 = cpuMs(serve.child.pid);
  const results = await Promise.all(
    agents.map((a) => api(serve, 'agents.chat', { id: a.id, text: 'hello' })),
  );
  const turnsMs = performance.now() - s;
  const host1 = hostCpu();
  const coreCpu = ((cpuMs(serve.child.pid) - core0) / turnsMs) * 100;
  await sleep(1000); // the last events of the turns
  events.close();
  const errors = results.filter((r) => r.error).length;
  return {
    turns: agents.length,
    turn_errors: errors,
    all_turns_ms: r1(turnsMs),
    host_cpu_busy_pct: r1(100 * (1 - (host1.idle - host0.idle) / (host1.total - host0.total))),
    core_cpu_pct_of_core: r1(coreCpu),
    trace_events: delays.length,
    ingest_eps: last > first ? r1((delays.length / (last - first)) * 1000) : null,
    live_delay_ms: { p50: r1(percentile(delays, 50)), p99: r1(percentile(delays, 99)) },
    live_delay_p99_ms_by_kind: Object.fromEntries(
      Object.entries(byKind).map(([k, v]) => [k, { n: v.length, p99: r1(percentile(v, 99)) }]),
    ),
    cpu_what:
      'during the turns (the first message sent → the last turn answered): host_cpu_busy_pct = share of all cores not idle (/proc/stat); core_cpu_pct_of_core = the core process alone',
    what: 'live delay = arrival on the core event stream (traces.event, what the live pane shows) − the end of what the event records (created_at, + duration_ms for llm_call, whose created_at is the call’s start; a message_in is recorded once the runtime has accepted the turn, so its delay includes that)',
  };
}

const CHROMIUM = process.env.AGENTDESK_CHROMIUM ?? '/usr/bin/chromium';

/** Chromium through playwright-core, or null when it or the built renderer is missing. */
async function launchChromium() {
  if (
    !fs.existsSync(CHROMIUM) ||
    !fs.existsSync(path.join(import.meta.dirname, '..', 'out', 'renderer', 'index.html'))
  )
    return null;
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
  });
}

/** Opens the app on `serve` → ms from its spawn until the sidebar shows the core version and `n` agent rows. */
async function uiWithAgents(browser, serve, n) {
  const page = await browser.newPage();
  try {
    await page.goto(`${serve.base}/#token=${serve.token}`);
    await page.getByTestId('sidebar-core').waitFor({ state: 'visible', timeout: 60_000 });
    await page
      .locator('[data-testid^="agent-row-"]')
      .nth(n - 1)
      .waitFor({ state: 'visible', timeout: 60_000 });
    return performance.now() - serve.t0;
  } finally {
    await page.close();
  }
}

/** Floor: `docker run -d` / `incus launch` of the same image, 5 at a time → ms, then removes them. */
async function floor(kind, n) {
  const names = Array.from({ length: n }, (_, i) => `agentdesk-bench-scale-${process.pid}-${i}`);
  const run = (args) =>
    new Promise((resolve, reject) => {
      const c = spawn(args[0], args.slice(1), { stdio: 'ignore' });
      c.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${args.join(' ')}: ${code}`))));
    });
  const ms = await fiveAtATime(
    names.map(
      (name) => () =>
        kind === 'docker'
          ? run(['docker', 'run', '-d', '--network', 'none', '--name', name, IMAGE, 'sleep', '600'])
          : run(['incus', 'launch', IMAGE, name]),
    ),
  );
  for (const name of names)
    execFileSync(kind, kind === 'docker' ? ['rm', '-f', name] : ['delete', '--force', name], {
      stdio: 'ignore',
    });
  return ms;
}

async function scaleOn(kind, upstream) {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-bench-scale-'));
  const env = { AGENTDESK_KEY_BENCH: KEY };
  let serve = await startServe(home, env);
  const out = { counts: COUNTS[kind], steps: [] };
  const agents = [];
  try {
    const model = await addUpstreamProvider(serve, upstream.url);
    // Onboarding done, so the restart's window opens on the agents, not on the first-run screen.
    await api(serve, 'settings.update', {
      container_runtime: kind,
      stop_agents_on_quit: false,
      onboarding_done: true,
    });
    out.idle_0_agents = await idleCore(serve.child.pid);
    for (const n of COUNTS[kind]) {
      const more = n - agents.length;
      const base = agents.length;
      console.log(`${kind}: deploying ${more} more (${n} in all)…`);
      const deployMs = await fiveAtATime(
        Array.from({ length: more }, (_, i) => async () => {
          const a = await api(serve, 'agents.create', { name: `scale ${kind} ${base + i}`, model });
          agents.push(await waitPhase(serve, a.id, 'running'));
        }),
      );
      const floorMs = await floor(kind, more);
      const idle = await idleCore(serve.child.pid);
      const mem = containerMemMb(
        kind,
        agents.map((a) => a.container),
      ).filter(Number.isFinite);
      console.log(`${kind}: ${n} agents idle: ${JSON.stringify(idle)}; one turn each…`);
      const turn = await oneTurnEach(serve, agents);
      const prev = out.steps.at(-1) ?? { agents: 0, idle_core: out.idle_0_agents };
      out.steps.push({
        agents: n,
        deployed: more,
        deploy_agents_per_min: perMinute(more, deployMs),
        floor_agents_per_min: perMinute(more, floorMs),
        idle_core: idle,
        rss_growth_mb_per_agent: r1((idle.rss_mb - prev.idle_core.rss_mb) / (n - prev.agents)),
        rss_growth_mb_per_agent_from_0: r1((idle.rss_mb - out.idle_0_agents.rss_mb) / n),
        container_mem_mb: { median: r1(percentile(mem, 50)), max: r1(Math.max(...mem)), n: mem.length },
        one_turn_each: turn,
      });
    }
    // Restart with every agent left running (stop_agents_on_quit off): spawn → first answer, → all reconciled.
    await stopServe(serve);
    console.log(`${kind}: core restart with ${agents.length} agents…`);
    let reconciledAt = null;
    const changes = [];
    const browser = await launchChromium();
    serve = await startServe(home, env);
    // The window opens as the desktop app opens it, at once; it competes with the reconcile for the core.
    const ui = browser ? uiWithAgents(browser, serve, agents.length) : Promise.resolve(null);
    const sub = await followEvents(serve, (name) => {
      if (name !== 'agents.changed') return;
      reconciledAt = performance.now();
      changes.push(r1(reconciledAt - serve.t0));
    });
    let readyMs = null;
    for (;;) {
      try {
        await api(serve, 'system.info');
        readyMs = performance.now() - serve.t0;
        break;
      } catch {
        await sleep(5);
      }
    }
    // The last agents.changed of the start (none for 3 s after it, within 60 s).
    const deadline = performance.now() + 60_000;
    while (performance.now() < deadline && (reconciledAt === null || performance.now() - reconciledAt < 3000))
      await sleep(10);
    sub.close();
    const uiMs = await ui.catch((err) => ({ error: err.message }));
    await browser?.close();
    const list = await api(serve, 'agents.list');
    out.restart = {
      ui_interactive_ms: typeof uiMs === 'number' ? r1(uiMs) : null,
      ...(uiMs && typeof uiMs === 'object' ? { ui_error: uiMs.error } : {}),
      agents: agents.length,
      core_ready_ms: r1(readyMs),
      all_reconciled_ms: reconciledAt === null ? null : r1(reconciledAt - serve.t0),
      running_after: list.agents.filter((a) => a.phase === 'running').length,
      agents_changed_at_ms: changes,
      what: 'spawn → first answer of system.info; spawn → the last agents.changed event of the start (the agent service emits one once every runtime has been reconciled; none followed for 3 s; the event stream is joined right after the URL is printed); ui_interactive_ms: spawn → the app shell in Chromium (launched beforehand) shows the sidebar with the core version and a row for every agent, the page opened as soon as the URL is printed',
    };
  } finally {
    for (const a of agents) await api(serve, 'agents.purge', { id: a.id }).catch(() => undefined);
    await stopServe(serve);
    fs.rmSync(home, { recursive: true, force: true });
  }
  return out;
}

const load = watchLoad();
const upstream = await startUpstream(KEY);
const result = { image: IMAGE, at_once: AT_ONCE, idle_seconds: IDLE_S };
try {
  for (const kind of KINDS) result[kind] = await scaleOn(kind, upstream);
} finally {
  upstream.child.kill();
}
const goals = {
  rss_growth_mb_per_agent: 2,
  idle_core_cpu_pct_at_30: 1,
  container_mem_mb: 40,
  all_reconciled_ms: 2000,
  ui_interactive_ms: 2000,
  live_delay_p99_ms: 100,
};
const missed = {};
const d = result.docker;
if (d) {
  const last = d.steps.at(-1);
  const check = (key, value, goal) => {
    if (value !== null && value > goal) missed[key] = r1(value - goal);
  };
  if (last) {
    check('rss_growth_mb_per_agent', last.rss_growth_mb_per_agent, goals.rss_growth_mb_per_agent);
    check('idle_core_cpu_pct_at_30', last.idle_core.cpu_pct_of_core, goals.idle_core_cpu_pct_at_30);
    check('container_mem_mb', last.container_mem_mb.median, goals.container_mem_mb);
    check('live_delay_p99_ms', last.one_turn_each.live_delay_ms.p99, goals.live_delay_p99_ms);
  }
  if (d.restart) {
    check('all_reconciled_ms', d.restart.all_reconciled_ms, goals.all_reconciled_ms);
    check('ui_interactive_ms', d.restart.ui_interactive_ms, goals.ui_interactive_ms);
  }
}
result.goals = goals;
result.goals_what =
  'checked at the last Docker step: rss_growth_mb_per_agent = RSS added per agent since the step before (the first agent also loads the engine client once: rss_growth_mb_per_agent_from_0 shows it); idle CPU at 30 agents; median container memory; live delay p99 of all trace events of the turns; all agents reconciled after a core restart, and the window showing them all (ui_interactive_ms)';
result.missed_by = missed;
result.baseline =
  'floor_agents_per_min: `docker run -d --network none IMAGE sleep 600` / `incus launch IMAGE` of the same cached image, 5 at a time, same run; idle_0_agents: the same core with no agent';
result.load_average_1m = load.stop();
writeResult('scale', result);
