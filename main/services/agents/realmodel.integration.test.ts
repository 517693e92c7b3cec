// The main job on a real model (llama.cpp's llama-server, Qwen2.5-Coder-0.5B, scripts/real-model.sh): discovery, a keyless provider, agents in Docker and Incus that create and show a file through real tool calls, the trace's real figures, no connection leaving the machine.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Agent, AgentPhase } from '../../../contract/agents';
import type { TraceEvent } from '../../../contract/traces';
import { ensureRuntimeBundle, purgeAll, runtimeReachable, until } from '../../../test/agents';
import { ensureBaseImage } from '../../../test/base-image';
import { inSubnet, outsideConnects, recordConnects, straceAvailable } from '../../../test/connect-trace';
import type { ConnectRecorder } from '../../../test/connect-trace';
import { litellmInstalled } from '../../../test/llm-stack';
import { REAL_MODEL_ID, realModelAvailable, realModelPort, realModelUrl } from '../../../test/real-model';
import { skipUnlessReal } from '../../../test/real';
import { startCore } from '../../app/bootstrap';
import type { Core } from '../../app/bootstrap';
import { call } from '../../transport/dispatch';
import type { RuntimeKind } from '../runtimes/container-runtime';
import { WAITING_FOR_LITELLM } from './litellm-wait';
import { resolveOptions } from '../../platform/paths';

/** The environment of the cores this file starts: this process's, plus what the tests set (never the global one). */
const coreEnv: NodeJS.ProcessEnv = { ...process.env };

const skip = skipUnlessReal(
  realModelAvailable() &&
    runtimeReachable('docker') &&
    runtimeReachable('incus') &&
    litellmInstalled() &&
    straceAvailable(),
  'the real model (scripts/real-model.sh start), Docker, Incus, LiteLLM and strace',
);

/** The IPv4 addresses Docker gave container `name` (its networks' `IPAddress`). */
function containerAddresses(name: string): string[] {
  const out = execFileSync('docker', ['inspect', '-f', '{{json .NetworkSettings.Networks}}', name], {
    encoding: 'utf8',
  });
  return Object.values(JSON.parse(out) as Record<string, { IPAddress: string }>)
    .map((n) => n.IPAddress)
    .filter(Boolean);
}

/** The IPv4 addresses an Incus container holds on its own NICs (a routed agent's /32), as Incus reports them. */
function incusAddresses(name: string): string[] {
  const state = JSON.parse(
    execFileSync('incus', ['query', `/1.0/instances/${name}/state`], { encoding: 'utf8' }),
  ) as { network?: Record<string, { addresses: { family: string; address: string }[] }> | null };
  return Object.entries(state.network ?? {})
    .filter(([nic]) => nic !== 'lo')
    .flatMap(([, n]) => n.addresses)
    .filter((a) => a.family === 'inet')
    .map((a) => a.address);
}

const TASK = "create notes.txt containing 'hello from the agent', then show me its contents";
const KINDS: RuntimeKind[] = ['docker', 'incus'];

describe.skipIf(skip)('the main job on a real model (llama-server, Qwen2.5-Coder-0.5B)', () => {
  let home: string;
  let traceDir: string;
  let core: Core;
  let recorder: ConnectRecorder | null = null;
  const agents = new Map<RuntimeKind, Agent>();
  /** `<provider id>/<model id>` once the provider is added. */
  let model = '';
  const reasons = new Map<string, Set<string>>();
  const phases = new Map<string, AgentPhase[]>();

  beforeAll(async () => {
    await ensureBaseImage(KINDS);
    ensureRuntimeBundle();
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-test-realmodel-'));
    traceDir = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-test-realmodel-strace-'));
    // Discovery looks for llama.cpp on the port the real server runs on (8080 is checked on its own below).
    coreEnv.AGENTDESK_DISCOVERY_PORTS = `llamacpp=${realModelPort()}`;
    // Everything the core and its children (LiteLLM) connect to from here on is recorded.
    recorder = await recordConnects([process.pid], path.join(traceDir, 'core.txt'));
    core = await startCore({ home, app: resolveOptions(coreEnv), mode: 'headless', healthIntervalMs: 0 });
    core.bus.on('agents.changed', ({ agents: list }) => {
      for (const a of list) {
        if (a.phase_reason) reasons.set(a.id, (reasons.get(a.id) ?? new Set()).add(a.phase_reason));
        const seen = phases.get(a.id) ?? [];
        if (seen.at(-1) !== a.phase) seen.push(a.phase);
        phases.set(a.id, seen);
      }
    });
  }, 40 * 60_000);

  afterAll(async () => {
    await recorder?.stop().catch(() => []);
    if (core) {
      await purgeAll(core.dispatcher);
      await core.shutdown();
    }
    delete coreEnv.AGENTDESK_DISCOVERY_PORTS;
    for (const d of [home, traceDir]) if (d) fs.rmSync(d, { recursive: true, force: true });
  }, 120_000);

  it('discovers llama.cpp on the given port, lists the real /v1/models answer, adds it without a key', async () => {
    const found = await call(core.dispatcher, 'providers', 'discover', {});
    const server = found.servers.find((s) => s.type === 'llamacpp');
    expect(server).toMatchObject({ base_url: realModelUrl(), model_count: 1, added_as: null });
    expect(server!.models).toEqual([REAL_MODEL_ID]);
    const p = await call(core.dispatcher, 'providers', 'add', { type: 'llamacpp', base_url: realModelUrl() });
    expect(p).toMatchObject({ type: 'llamacpp', status: 'ok', model_count: 1, key: { state: 'not_needed' } });
    const models = await call(core.dispatcher, 'providers', 'models', { id: p.id });
    expect(models.models.map((m) => m.id)).toEqual([REAL_MODEL_ID]);
    model = `${p.id}/${REAL_MODEL_ID}`;
  });

  it('agents created right after adding the provider wait for LiteLLM, verify with a real completion and run, in Docker and in Incus', async () => {
    const startedWhile = (await call(core.dispatcher, 'llm', 'status', {})).litellm.state;
    for (const kind of KINDS) {
      const a = await call(core.dispatcher, 'agents', 'create', {
        name: `agentdesk-test-real-${kind}-${Math.random().toString(36).slice(2, 7)}`,
        model,
        runtime: kind,
        memory_mib: 512,
        temperature: 0,
      });
      agents.set(kind, a);
    }
    for (const [kind, a] of agents) {
      const running = await until(
        () => call(core.dispatcher, 'agents', 'get', { id: a.id }),
        (x) => x.phase === 'running' || x.phase === 'failed',
        300_000,
        `the ${kind} agent to run`,
      );
      expect(running.phase, `${kind}: ${running.phase_reason ?? ''}\n${running.failed_log.join('\n')}`).toBe(
        'running',
      );
      expect(running.temperature).toBe(0);
      expect(phases.get(a.id)).toEqual(['creating', 'provisioning', 'starting', 'verifying', 'running']);
      agents.set(kind, running);
    }
    // LiteLLM (6–13 s to start) was still starting when the first deploy reached `verifying`: it waited.
    if (startedWhile === 'starting')
      expect([...agents.values()].some((a) => reasons.get(a.id)?.has(WAITING_FOR_LITELLM))).toBe(true);
    // "Running" means the agent can think: verify sent a real completion through its key, marked as such.
    for (const a of agents.values()) {
      const verify = (await traceOf(a.id)).filter(
        (e) => e.kind === 'llm_call' && callOf(e).purpose === 'verify',
      );
      const completion = verify.find((e) => callOf(e).path === '/v1/chat/completions');
      expect(completion && callOf(completion).status).toBe(200);
      expect(completion!.tokens_out).toBeGreaterThan(0);
    }
  }, 600_000);

  for (const kind of KINDS)
    it(`in ${kind}: "${TASK}" through real tool calls`, async () => {
      const a = agents.get(kind);
      expect(a, 'the agent of the previous test').toBeDefined();
      const result = await call(core.dispatcher, 'agents', 'chat', { id: a!.id, text: TASK });
      expect(result.error).toBeNull();
      const file = path.join(home, 'agents', a!.id, 'home', 'workspace', 'notes.txt');
      expect(fs.readFileSync(file, 'utf8').trim()).toBe('hello from the agent');
      expect(result.reply).toContain('hello from the agent');
      const events = await until(
        () => traceOf(a!.id, result.turn_id),
        (list) => list.some((e) => e.kind === 'message_out'),
        30_000,
        'the turn in the trace',
      );
      const calls = events.filter((e) => e.kind === 'tool_call');
      const results = events.filter((e) => e.kind === 'tool_result');
      expect(calls.length).toBeGreaterThan(0);
      expect(results.length).toBe(calls.length);
      for (const r of results) expect(calls.map((c) => c.id)).toContain(r.parent_id);
      // The file was written by a tool the model called (write_file, or shell with a redirect).
      expect(
        calls.some(
          (c) =>
            /notes\.txt/.test(JSON.stringify(c.payload)) && /write_file|shell/.test(String(c.payload.name)),
        ),
      ).toBe(true);
      // Real figures: llama-server's token counts, latency, cost 0 for a local model.
      const llm = events.filter((e) => e.kind === 'llm_call');
      expect(llm.length).toBeGreaterThanOrEqual(2);
      for (const e of llm) {
        expect(e.model).toBe(model);
        expect(e.tokens_in).toBeGreaterThan(0);
        expect(e.tokens_out).toBeGreaterThan(0);
        expect(e.duration_ms).toBeGreaterThan(0);
        expect(e.cost_usd).toBe(0);
      }
    }, 600_000);

  it("leaves the verify calls out of the day's model calls", async () => {
    expect(agents.size).toBe(KINDS.length);
    for (const a of agents.values()) {
      const llm = (await traceOf(a.id)).filter((e) => e.kind === 'llm_call');
      const counted = llm.filter((e) => callOf(e).purpose !== 'verify' && callOf(e).path !== '/v1/models');
      expect(llm.length).toBeGreaterThan(counted.length);
      // Totals count committed events only (the trace list also shows queued ones): wait for the commit.
      await until(
        () => call(core.dispatcher, 'traces', 'totals', { agent_ids: [a.id] }),
        (t) => t.totals[0]?.calls === counted.length,
        30_000,
        `the day's totals of ${a.name} to count its ${counted.length} model calls`,
      );
    }
  });

  it('recorded no connect() of the core or LiteLLM outside loopback while the real model answered', async () => {
    const attempts = await recorder!.stop();
    recorder = null;
    // The recorder saw LiteLLM calling llama-server.
    expect(attempts.some((a) => a.port === realModelPort() && a.address === '127.0.0.1')).toBe(true);
    // The core reaches each agent's runtime at its container's own address (no published port): the
    // Docker container's on the local bridge, the Incus container's routed address (an Incus agent without
    // egress has none: it is reached through a unix socket). Those addresses, as the engines report them,
    // are the only non-loopback targets allowed.
    const docker = containerAddresses(agents.get('docker')!.container).map((ip) => `${ip}/32`);
    const local = [...docker, ...incusAddresses(agents.get('incus')!.container).map((ip) => `${ip}/32`)];
    expect(docker.length).toBeGreaterThan(0);
    expect(attempts.some((a) => docker.some((s) => inSubnet(a.address, s)))).toBe(true);
    expect(outsideConnects(attempts, local).map((a) => `${a.address}:${a.port ?? ''} ← ${a.line}`)).toEqual(
      [],
    );
  });

  /** The payload of an `llm_call` event. */
  function callOf(e: TraceEvent): { path?: string; status?: number; purpose?: string } {
    return e.payload as { path?: string; status?: number; purpose?: string };
  }

  /** The agent's trace events (of one turn when `traceId` is given), oldest first. */
  async function traceOf(agentId: string, traceId?: string): Promise<TraceEvent[]> {
    const page = await call(core.dispatcher, 'traces', 'list', {
      agent_id: agentId,
      ...(traceId ? { trace_id: traceId } : {}),
      limit: 500,
      order: 'asc',
    });
    return page.events;
  }
});
