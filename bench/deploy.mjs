// Benchmark: agent create→running and restart (stop→start) on Docker and Incus through `agentdesk serve`,
// against a plain `docker run` / `incus launch` of the same cached image as the floor; then, for every harness
// with an image of its own, create→running on Docker against the harness alone getting ready in a plain
// container of its image. Writes bench/results/deploy.json.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { api, followEvents, waitPhase as waitPhaseEvery } from './_core.mjs';
import { percentile, r1, writeResult } from './_machine.mjs';

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

function floorRuns(kind) {
  const times = [];
  for (let i = 0; i < RUNS; i++) {
    const name = `agentdesk-bench-floor-${process.pid}-${i}`;
    if (kind === 'docker') {
      times.push(timeCli('docker', ['run', '-d', '--network', 'none', '--name', name, IMAGE, 'sleep', '60']));
      execFileSync('docker', ['rm', '-f', name], { stdio: 'ignore' });
    } else {
      times.push(timeCli('incus', ['launch', IMAGE, name]));
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
    result[kind] = {
      create_to_running_ms: stats(create),
      create_steps_median_ms: stepMedians(steps),
      restart_ms: stats(restart),
      floor_ms: stats(floorRuns(kind)),
    };
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
  'floor_ms: a plain `docker run -d --network none IMAGE sleep 60` / `incus launch IMAGE` of the same cached image, same run; ' +
  "harnesses.<id>.floor_ms: `docker run --rm --network none --cpus C --memory M` (the agent's own limits: default 1 CPU) of the harness image running only the harness getting ready; floor_without_limits_ms: the same with no limit (all host cores) " +
  '(OpenClaw: its gateway until /readyz and its stop; Claude Code, Codex: one start of the CLI), same run';
result.goal = {
  docker_create_to_running_ms: 2000,
  incus_create_to_running_ms: 3000,
  restart_ms: 1000,
  incus_restart_ms: 1500,
  harness_create_to_floor_ratio: 1.3,
};
// What each goal misses by, in the same run: absolute goals in ms, harnesses against 1.3 × their floor.
const over = (value, goal) => (value > goal ? r1(value - goal) : 0);
result.missed_by_ms = {};
if (result.docker) {
  result.missed_by_ms.docker_create_to_running = over(result.docker.create_to_running_ms.median, 2000);
  result.missed_by_ms.docker_restart = over(result.docker.restart_ms.median, 1000);
}
if (result.incus) {
  result.missed_by_ms.incus_create_to_running = over(result.incus.create_to_running_ms.median, 3000);
  result.missed_by_ms.incus_restart = over(result.incus.restart_ms.median, 1500);
}
for (const [id, h] of Object.entries(result.harnesses ?? {})) {
  h.ratio_to_floor = Math.round((h.create_to_running_ms.median / h.floor_ms.median) * 100) / 100;
  result.missed_by_ms[`${id}_create_to_running`] = over(
    h.create_to_running_ms.median,
    1.3 * h.floor_ms.median,
  );
}
writeResult('deploy', result);
