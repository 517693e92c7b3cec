// Test helpers for agents: an agent record and database row, the runtime bundle, whether an engine answers, and one turn against an agent's runtime.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { Agent } from '../contract/agents';
import { agentFolder, readRuntimeCredential } from '../main/services/agents/agent-folder';
import type { AgentRow } from '../main/services/agents/agent-repository';
import { Deployer } from '../main/services/agents/deployer';
import { loadHarnesses } from '../main/services/harnesses';
import { parseEndpoint, runtimeFetch } from '../main/services/agents/runtime-client';
import type { ContainerRuntime, RuntimeKind } from '../main/services/runtimes/container-runtime';
import { call } from '../main/transport/dispatch';
import type { Dispatcher } from '../main/transport/dispatch';

const root = path.resolve(__dirname, '..');

/**
 * An agent record as the core answers it (validated by the contract's schema), for tests that need one
 * without a core: the built-in harness on Docker serving `scripted/gpt-test-mini`, running since
 * `created_at`, no egress control, with `over` applied. `runtimePort` gives it a runtime on
 * `http://127.0.0.1:<port>`.
 */
export function agentRecord(over: Partial<Agent> & { runtimePort?: number } = {}): Agent {
  const { runtimePort, ...rest } = over;
  const slug = rest.slug ?? 'ada';
  const at = rest.created_at ?? 1_800_000_000_000;
  return Agent.parse({
    id: `agent-${slug}`,
    slug,
    name: slug,
    emoji: '🤖',
    harness: 'builtin',
    runtime: 'docker',
    model: 'scripted/gpt-test-mini',
    fallbacks: [],
    memory_mib: 512,
    cpus: 1,
    phase: 'running',
    phase_reason: null,
    phase_at: at,
    failed_log: [],
    container: `agentdesk-${slug}`,
    runtime_port: runtimePort ?? null,
    runtime_endpoint: runtimePort === undefined ? null : `http://127.0.0.1:${runtimePort}`,
    pids_limit: 512,
    folders: [],
    key_prefix: null,
    created_at: at,
    running_since: at,
    archived_at: null,
    egress: { mode: 'none', allow: [], enforced: false, enforcement: 'off', address: null },
    engine: 'local',
    engine_name: 'This machine',
    member: null,
    engine_state: 'reachable',
    system_prompt: null,
    temperature: null,
    tools: true,
    ...rest,
  });
}

/**
 * An agents-table row (`AgentRow`) for tests that write the database directly: a stopped built-in agent
 * `<id>` on Docker serving `p/m`, created now, with `over` applied.
 */
export function agentRow(id: string, over: Partial<AgentRow> = {}): AgentRow {
  const now = Date.now();
  return {
    id,
    slug: id,
    name: `Agent ${id}`,
    emoji: '🤖',
    harness: 'builtin',
    runtime: 'docker',
    model: 'p/m',
    fallbacks: '[]',
    memory_mib: 512,
    cpus: 1,
    phase: 'stopped',
    phase_reason: null,
    phase_at: now,
    failed_log: '[]',
    container: `agentdesk-${over.slug ?? id}`,
    runtime_port: null,
    key_id: null,
    created_at: now,
    running_since: null,
    archive_dir: null,
    runtime_endpoint: null,
    pids_limit: 256,
    folders: '[]',
    engine: 'local',
    ...over,
  };
}

/**
 * Builds `out/agent-runtime/agent-runtime.cjs` and the harness adapters `harness-<id>.cjs` when one is
 * missing or older than the sources (the runtime's, and the harness folders' TypeScript).
 */
export function ensureRuntimeBundle(): string {
  const outDir = path.join(root, 'out', 'agent-runtime');
  const out = path.join(outDir, 'agent-runtime.cjs');
  const harnesses = path.join(root, 'main', 'services', 'harnesses');
  const sources = [
    ...fs
      .readdirSync(path.join(root, 'resources', 'agent-runtime', 'src'))
      .map((f) => path.join(root, 'resources', 'agent-runtime', 'src', f)),
    ...fs
      .readdirSync(harnesses, { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.ts'))
      .map((f) => path.join(harnesses, f)),
  ];
  const adapters = fs
    .readdirSync(harnesses)
    .filter((d) => fs.existsSync(path.join(harnesses, d, 'adapter.ts')))
    .map((d) => path.join(outDir, `harness-${d}.cjs`));
  const newest = Math.max(...sources.map((f) => fs.statSync(f).mtimeMs));
  if ([out, ...adapters].some((f) => !fs.existsSync(f) || fs.statSync(f).mtimeMs < newest))
    execFileSync(process.execPath, [path.join(root, 'scripts', 'build-runtime.mjs')], { stdio: 'inherit' });
  return out;
}

/** True when the engine's CLI reaches its daemon (docker version / incus info), within 5 s. */
export function runtimeReachable(kind: RuntimeKind): boolean {
  try {
    execFileSync(kind === 'docker' ? 'docker' : 'incus', kind === 'docker' ? ['version'] : ['info'], {
      stdio: 'ignore',
      timeout: 5000,
    });
    return true;
  } catch {
    return false;
  }
}

/** One SSE event of a turn. */
export interface TurnEvent {
  event: string;
  data: unknown;
}

/** An agent as `agents.get` answers (the fields a turn needs), and the data dir of its core. */
export interface RuntimeTarget {
  home: string;
  agent: { id: string; runtime_endpoint: string | null };
}

/**
 * A request to an agent's runtime as the core makes it: at its `runtime_endpoint` (container address,
 * unix socket or published port) with its runtime credential from the config folder.
 * @throws Error when the agent has no endpoint (not running).
 */
export function runtimeRequest(
  t: RuntimeTarget,
  pathName: string,
  init: Parameters<typeof runtimeFetch>[3] = {},
): Promise<Response> {
  if (!t.agent.runtime_endpoint) throw new Error(`agent ${t.agent.id} has no runtime endpoint (not running)`);
  const credential = readRuntimeCredential(agentFolder(t.home, t.agent.id));
  return runtimeFetch(parseEndpoint(t.agent.runtime_endpoint), credential, pathName, init);
}

/**
 * `POST /turn` to a runtime endpoint with the caller's own headers (an attacker's: fetch would fix Host
 * and Origin); answers the HTTP status.
 */
export function rawTurn(endpoint: string, headers: Record<string, string>, body: string): Promise<number> {
  const e = parseEndpoint(endpoint);
  const where = e.kind === 'unix' ? { socketPath: e.socketPath } : { host: e.host, port: e.port };
  return new Promise((resolve, reject) => {
    const req = http.request({ ...where, method: 'POST', path: '/turn', headers }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** The requests an attacker tries against a runtime, each with the status it must get. */
export function attackHeaders(credential: string): [string, Record<string, string>, number][] {
  const good = {
    Host: 'localhost',
    Authorization: `Bearer ${credential}`,
    'Content-Type': 'application/json',
  };
  return [
    ['no credential', { Host: 'localhost', 'Content-Type': 'application/json' }, 401],
    ['a wrong credential', { ...good, Authorization: `Bearer ${'A'.repeat(43)}` }, 401],
    ['Host: evil.example', { ...good, Host: 'evil.example' }, 403],
    ['Origin: http://evil.example', { ...good, Origin: 'http://evil.example' }, 403],
    ['text/plain', { ...good, 'Content-Type': 'text/plain' }, 415],
  ];
}

/** Posts `text` to `POST /turn` of an agent's runtime (see {@link runtimeRequest}) and collects its SSE events until the stream ends. */
export async function turn(t: RuntimeTarget, text: string, threadId?: string): Promise<TurnEvent[]> {
  const res = await runtimeRequest(t, '/turn', {
    method: 'POST',
    accept: 'text/event-stream',
    body: JSON.stringify(threadId ? { text, thread_id: threadId } : { text }),
  });
  if (!res.ok) throw new Error(`POST /turn answered ${res.status}: ${await res.text()}`);
  const body = await res.text();
  return body
    .split('\n\n')
    .filter((block) => block.trim())
    .map((block) => {
      const event = /^event: (.*)$/m.exec(block)?.[1] ?? 'message';
      const data = block
        .split('\n')
        .filter((l) => l.startsWith('data: '))
        .map((l) => l.slice(6))
        .join('\n');
      return { event, data: data ? (JSON.parse(data) as unknown) : null };
    });
}

/**
 * Polls `get` every 50 ms until `ok` holds; returns the value.
 * @throws Error naming `what` and the last value after `ms`.
 */
export async function until<T>(
  get: () => T | Promise<T>,
  ok: (v: T) => boolean,
  ms: number,
  what: string,
): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = await get();
    if (ok(v)) return v;
    if (Date.now() - t0 > ms)
      throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(v).slice(0, 800)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Adds the scripted upstream as provider `scripted` (its key from AGENTDESK_KEY_SCRIPTED) and waits for LiteLLM. */
export async function addScriptedProvider(dispatcher: Dispatcher, v1: string): Promise<void> {
  await call(dispatcher, 'providers', 'add', { type: 'openai-compatible', name: 'Scripted', base_url: v1 });
  await until(
    () => call(dispatcher, 'llm', 'status', {}),
    (s) => s.litellm.state === 'ready',
    120_000,
    'LiteLLM',
  );
}

/** Purges every agent of a core (test clean-up; errors ignored). */
export async function purgeAll(dispatcher: Dispatcher): Promise<void> {
  for (const a of (await call(dispatcher, 'agents', 'list', {})).agents)
    await call(dispatcher, 'agents', 'purge', { id: a.id }).catch(() => {});
}

/**
 * A Deployer over `rt` whose other dependencies are inert stubs: keys mint `key` (id `k1`), images are
 * present, the gateway listens on 4100, phases and progress are dropped. For unit tests of one step.
 */
export function stubDeployer(
  dir: string,
  rt: ContainerRuntime,
  opts: { key?: string; healthDeadlineMs?: number } = {},
): Deployer {
  return new Deployer({
    dataDir: dir,
    runtime: () => rt,
    keys: { mint: () => ({ key: opts.key ?? 'k', record: { id: 'k1' } }), revokeOwner: () => 0 },
    images: { present: () => Promise.resolve(true), build: () => null },
    gateway: { port: () => 4100, addBind: () => Promise.resolve({ ok: true as const }) },
    harnesses: loadHarnesses(),
    runtimeBundleDir: () => null,
    phases: { set: () => ({}) as AgentRow },
    progress: () => {},
    log: { info() {}, warn() {}, error() {}, debug() {} } as never,
    instanceId: 'test',
    ...(opts.healthDeadlineMs !== undefined ? { healthDeadlineMs: opts.healthDeadlineMs } : {}),
  });
}
