// Benchmark: agent create→running and restart (stop→start) on Docker and Incus through `agentdesk serve`,
// against a plain `docker run` / `incus launch` of the same cached image as the floor; then, for every harness
// with an image of its own, create→running on Docker against the harness alone getting ready in a plain
// container of its image. Writes bench/results/deploy.json.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { api, followEvents, waitPhase as waitPhaseEvery } from './_core.mjs';
import { percentile, r1, watchLoad, writeResult } from './_machine.mjs';

const root = path.resolve(import.meta.dirname, '..');
const RUNS = Number(process.env.BENCH_RUNS ?? 10);
const IMAGE = 'agentdesk/agent-base:2';
const KEY = 'sk-bench-upstream-key-0000000000000000';
const KINDS = (process.env.BENCH_RUNTIMES ?? 'docker,incus').split(',');
const HARNESS_RUNS = Number(process.env.BENCH_HARNESS_RUNS ?? process.env.BENCH_OPENCLAW_RUNS ?? 3);

/**
 * The floor of each harness: its image's own program getting ready in a plain container with no network
 * (OpenClaw: its gateway until /readyz and its stop, the image's warm-up script; the CLIs: one start).
 */
const HARNESS_FLOORS = {
  openclaw: ['/opt/agentdesk/openclaw/warm-compile-cache.sh'],
  'claude-code': ['sh', '-c', 'HOME=/tmp DISABLE_AUTOUPDATER=1 claude --version'],
  codex: ['sh', '-c', 'HOME=/tmp codex --version'],
};

const stats = (xs) => ({ median: r1(percentile(xs, 50)), max: r1(Math.max(...xs)) });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function startUpstream() {
  const child = spawn(process.execPath, [path.join(import.meta.dirname, '_upstream.mjs')], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, BENCH_UPSTREAM_KEY: KEY },
  });
  return new Promise((resolve) => {
    child.stdout.once('data', (c) => resolve({ child, url: String(c).trim() }));
  });
}

function startServe(home) {
  const child = spawn(
    process.execPath,
    [path.join(root, 'bin', 'agentdesk.cjs'), 'serve', '--port', '0', '--home', home],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, AGENTDESK_KEY_BENCH: KEY },
    },
  );
  return new Promise((resolve, reject) => {
    let buf = '';
    child.stdout.on('data', (c) => {
      buf += c;
      const m = /(http:\/\/127\.0\.0\.1:\d+)\/#token=(\S+)/.exec(buf);
      if (m) resolve({ child, base: m[1], token: m[2] });
    });
    child.once('exit', (code) => reject(new Error(`serve exited ${code}`)));
  });
}

/** Polls every 10 ms: the create→running time is measured to the poll. */
const waitPhase = (serve, id, phase) => waitPhaseEvery(serve, id, phase, 10);

/** A progress message without the names in it ("Creating the container agentdesk-x" → "Creating the container"). */
const stepLabel = (message) =>
  message
    .split(' ')
    .filter((w) => !/[/:]|^agentdesk-/.test(w))
    .join(' ');

/**
 * Creates an agent and waits until it runs → `{ id, ms, steps, limits }`: create→running in ms, the
 * agent's CPU and memory limits, and, from the
 * core's agents.progress events, how long each deploy step took until the next one began (ms, by label).
 */
async function createTimed(input) {
  const seen = [];
  const events = await followEvents(serve, (name, data, at) => {
    if (name === 'agents.progress') seen.push({ id: data.id, message: data.message, at });
  });
  const t0 = Date.now();
  const p0 = performance.now();
  try {
    const a = await api(serve, 'agents.create', input);
    await waitPhase(serve, a.id, 'running');
    const ms = performance.now() - p0;
    const end = Date.now();
    const mine = seen.filter((e) => e.id === a.id);
    const steps = {};
    mine.forEach((e, i) => {
      const next = i + 1 < mine.length ? mine[i + 1].at : end;
      const label = stepLabel(e.message);
      steps[label] = (steps[label] ?? 0) + (next - e.at);
    });
    steps['(before the first step)'] = (mine[0]?.at ?? end) - t0;
    return { id: a.id, ms, steps, limits: { cpus: a.cpus, memory_mib: a.memory_mib } };
  } finally {
    events.close();
  }
}

/** Per step label, the median over runs of `createTimed(...).steps` (ms). */
function stepMedians(runs) {
  const labels = [...new Set(runs.flatMap((r) => Object.keys(r)))];
  return Object.fromEntries(
    labels.map((l) => [
      l,
      r1(
        percentile(
          runs.map((r) => r[l] ?? 0),
          50,
        ),
      ),
    ]),
  );
}

function timeCli(cmd, args) {
  const t0 = performance.now();
  execFileSync(cmd, args, { stdio: 'ignore' });
  return performance.now() - t0;
}

/** The Incus pool agents' containers use (the app's copy-on-write pool when it made one), else null (the profile's). */
function incusAgentPool() {
  try {
    execFileSync('incus', ['storage', 'show', 'agentdesk'], { stdio: 'ignore' });
    return 'agentdesk';
  } catch {
    return null;
  }
}

/**
 * Plain starts of the image; Incus: `incus launch` on `pool` (null: the default profile's). With
 * `restarts`, each Incus floor container is also restarted once (`incus restart`: a clean stop, a start),
 * timed into that array.
 */
function floorRuns(kind, pool = null, restarts = null) {
  const times = [];
  for (let i = 0; i < RUNS; i++) {
    const name = `agentdesk-bench-floor-${process.pid}-${i}`;
    if (kind === 'docker') {
      times.push(timeCli('docker', ['run', '-d', '--network', 'none', '--name', name, IMAGE, 'sleep', '60']));
      execFileSync('docker', ['rm', '-f', name], { stdio: 'ignore' });
    } else {
      times.push(timeCli('incus', ['launch', IMAGE, name, ...(pool ? ['-s', pool] : [])]));
      if (restarts) {
        // Once its init has set its signal traps (a SIGPWR before that is ignored by PID 1).
        execFileSync('incus', ['exec', name, '--', 'true'], { stdio: 'ignore' });
        execFileSync('sleep', ['1']);
        try {
          restarts.push(timeCli('incus', ['restart', '--timeout', '30', name]));
        } catch {
          restarts.push(NaN); // counted as missing, not as a time
        }
      }
      execFileSync('incus', ['delete', '--force', name], { stdio: 'ignore' });
    }
  }
  return times;
}

/**
 * A harness alone: a plain `docker run --rm --network none` of its image running only its floor command,
 * with `limits` (the agent's CPU and memory limits, so both get the same resources) or none (`null`).
 */
function harnessFloorRuns(image, command, limits) {
  const args = limits ? ['--cpus', String(limits.cpus), '--memory', `${limits.memory_mib}m`] : [];
  const times = [];
  for (let i = 0; i < HARNESS_RUNS; i++)
    times.push(timeCli('docker', ['run', '--rm', '--network', 'none', ...args, image, ...command]));
  return times;
}

const upstream = await startUpstream();
const home = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-bench-deploy-'));
const serve = await startServe(home);
const result = { runs: RUNS, image: IMAGE };
const load = watchLoad();
try {
  await api(serve, 'providers.add', {
    type: 'openai-compatible',
    id: 'bench',
    name: 'Bench',
    base_url: `${upstream.url}/v1`,
  });
  for (;;) {
    const st = await api(serve, 'llm.status');
    if (st.litellm.state === 'ready') break;
    if (st.litellm.state === 'failed') throw new Error(st.litellm.last_error);
    await sleep(200);
  }
  const model = (await api(serve, 'llm.status')).litellm.models[0];
  for (const kind of KINDS) {
    await api(serve, 'settings.update', { container_runtime: kind });
    const create = [];
    const steps = [];
    const restart = [];
    for (let i = 0; i < RUNS; i++) {
      const a = await createTimed({ name: `bench ${kind} ${i}`, model });
      create.push(a.ms);
      steps.push(a.steps);
      const t1 = performance.now();
      const again = await api(serve, 'agents.restart', { id: a.id });
      if (again.phase !== 'running')
        throw new Error(`restart left the agent ${again.phase}: ${again.phase_reason}`);
      restart.push(performance.now() - t1);
      await api(serve, 'agents.purge', { id: a.id });
    }
    const floorRestarts = kind === 'incus' ? [] : null;
    result[kind] = {
      create_to_running_ms: stats(create),
      create_steps_median_ms: stepMedians(steps),
      restart_ms: stats(restart),
      floor_ms: stats(floorRuns(kind, kind === 'incus' ? incusAgentPool() : null, floorRestarts)),
    };
    if (kind === 'incus') {
      const timed = floorRestarts.filter((x) => !Number.isNaN(x));
      result.incus.floor_restart_ms = timed.length ? stats(timed) : null;
      result.incus.floor_restart_failed = floorRestarts.length - timed.length;
      // The pool the agents used (the floor above ran on it too), and the floor on the profile's pool.
      result.incus.pool = incusAgentPool() ?? 'default profile';
      if (incusAgentPool()) result.incus.floor_profile_pool_ms = stats(floorRuns('incus'));
    }
  }
  if (HARNESS_RUNS > 0 && KINDS.includes('docker')) {
    await api(serve, 'settings.update', { container_runtime: 'docker' });
    result.harnesses = {};
    const { harnesses } = await api(serve, 'harnesses.list');
    for (const h of harnesses.filter((x) => HARNESS_FLOORS[x.id] && x.engines.includes('docker'))) {
      let imageBuildMs = null;
      try {
        execFileSync('docker', ['image', 'inspect', h.image], { stdio: 'ignore' });
      } catch {
        // First use builds the image (npm + docker build): measured once, apart from create→running.
        const t0 = performance.now();
        const a = await api(serve, 'agents.create', { name: `bench ${h.id} build`, harness: h.id, model });
        await waitPhase(serve, a.id, 'running');
        imageBuildMs = performance.now() - t0;
        await api(serve, 'agents.purge', { id: a.id });
      }
      const create = [];
      const steps = [];
      let limits = null;
      for (let i = 0; i < HARNESS_RUNS; i++) {
        const a = await createTimed({ name: `bench ${h.id} ${i}`, harness: h.id, model });
        create.push(a.ms);
        steps.push(a.steps);
        limits = a.limits;
        await api(serve, 'agents.purge', { id: a.id });
      }
      result.harnesses[h.id] = {
        runs: HARNESS_RUNS,
        engine: 'docker',
        image: h.image,
        memory_mib: limits.memory_mib,
        cpus: limits.cpus,
        create_to_running_ms: stats(create),
        create_steps_median_ms: stepMedians(steps),
        floor_ms: stats(harnessFloorRuns(h.image, HARNESS_FLOORS[h.id], limits)),
        floor_without_limits_ms: stats(harnessFloorRuns(h.image, HARNESS_FLOORS[h.id], null)),
        first_use_with_image_build_ms: imageBuildMs === null ? null : r1(imageBuildMs),
      };
    }
  }
} finally {
  serve.child.kill('SIGTERM');
  await new Promise((r) => serve.child.once('exit', r));
  upstream.child.kill();
  fs.rmSync(home, { recursive: true, force: true });
}
result.baseline =
  'floor_ms: a plain `docker run -d --network none IMAGE sleep 60` / `incus launch IMAGE` of the same cached image on the pool the agents use (incus.pool), same run; ' +
  "incus.floor_profile_pool_ms: `incus launch` on the default profile's pool (dir here), same run; " +
  'incus.floor_restart_ms: `incus restart` of each floor container (a clean stop of its init, a start), same run; ' +
  "harnesses.<id>.floor_ms: `docker run --rm --network none --cpus C --memory M` (the agent's own limits: default 1 CPU) of the harness image running only the harness getting ready; floor_without_limits_ms: the same with no limit (all host cores) " +
  '(OpenClaw: its gateway until /readyz and its stop; Claude Code, Codex: one start of the CLI), same run';
result.goal = {
  docker_create_to_running_ms: 2000,
  incus_create_to_running_ms: 3000,
  restart_ms: 1000,
  incus_restart_ms: 1500,
  harness_create_to_floor_ratio: 1.3,
};
result.load_average_1m = load.stop();
// A run of some runtimes only (BENCH_RUNTIMES) keeps the other figures of the last full run, marked so.
const file = path.join(import.meta.dirname, 'results', 'deploy.json');
if (fs.existsSync(file)) {
  const last = JSON.parse(fs.readFileSync(file, 'utf8'));
  for (const key of ['docker', 'incus', 'harnesses'])
    if (result[key] === undefined && last[key] !== undefined)
      result[key] = { ...last[key], carried_over_from: last[key].carried_over_from ?? last.measured_at };
}
const figures = {
  docker_create_to_running_ms: result.docker?.create_to_running_ms.median,
  incus_create_to_running_ms: result.incus?.create_to_running_ms.median,
  restart_ms: result.docker?.restart_ms.median,
  incus_restart_ms: result.incus?.restart_ms.median,
};
result.missed_by = Object.fromEntries(
  Object.entries(result.goal)
    .filter(([k, goal]) => figures[k] !== undefined && figures[k] > goal)
    .map(([k, goal]) => [k, r1(figures[k] - goal)]),
);
// Each harness against 1.3 × its floor of the same run (ms over it).
for (const [id, h] of Object.entries(result.harnesses ?? {})) {
  if (h.carried_over_from) continue;
  h.ratio_to_floor = Math.round((h.create_to_running_ms.median / h.floor_ms.median) * 100) / 100;
  const bound = result.goal.harness_create_to_floor_ratio * h.floor_ms.median;
  if (h.create_to_running_ms.median > bound)
    result.missed_by[`${id}_create_to_running_ms`] = r1(h.create_to_running_ms.median - bound);
}
writeResult('deploy', result);
