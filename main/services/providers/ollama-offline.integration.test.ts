// Offline with a local Ollama: discovery → keyless provider → agent in Docker → chat with a tool call, and no connect() leaves the machine.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Agent } from '../../../contract/agents';
import { ensureRuntimeBundle, purgeAll, runtimeReachable, until } from '../../../test/agents';
import { ensureBaseImage } from '../../../test/base-image';
import { inSubnet, outsideConnects, recordConnects, straceAvailable } from '../../../test/connect-trace';
import type { ConnectAttempt, ConnectRecorder } from '../../../test/connect-trace';
import { OLLAMA_PORT, startScriptedOllama } from '../../../test/fixtures/scripted-ollama';
import type { ScriptedUpstream } from '../../../test/fixtures/scripted-upstream';
import { litellmInstalled } from '../../../test/llm-stack';
import { skipUnlessReal } from '../../../test/real';
import { startCore } from '../../app/bootstrap';
import type { Core } from '../../app/bootstrap';
import { call } from '../../transport/dispatch';
import { resolveOptions } from '../../platform/paths';

/** The environment of the cores this file starts: this process's, plus what the tests set (never the global one). */
const coreEnv: NodeJS.ProcessEnv = { ...process.env };

const skip = skipUnlessReal(
  runtimeReachable('docker') && litellmInstalled() && straceAvailable(),
  'Docker, LiteLLM and strace',
);

/** A TEST-NET-1 address (RFC 5737): never routed; the control attempt the recorder must catch. */
const CONTROL_TARGET = '192.0.2.222';
const MODELS = ['llama3.2:3b', 'nomic-embed-text:latest'];

/** Tries one TCP connection to a non-local address (it fails); the trace must show it. */
async function controlAttempt(): Promise<void> {
  await new Promise<void>((resolve) => {
    const s = net.connect({ host: CONTROL_TARGET, port: 9 });
    const done = () => {
      s.destroy();
      resolve();
    };
    s.once('error', done);
    s.once('connect', done);
    setTimeout(done, 300);
  });
}

/** The IPv4 subnets of the container's networks (`<ip>/<prefix>`): the bridge the runtime may reach. */
function containerSubnets(name: string): string[] {
  const out = execFileSync('docker', ['inspect', '-f', '{{json .NetworkSettings.Networks}}', name], {
    encoding: 'utf8',
  });
  const nets = JSON.parse(out) as Record<string, { IPAddress: string; IPPrefixLen: number }>;
  return Object.values(nets)
    .filter((n) => n.IPAddress)
    .map((n) => `${n.IPAddress}/${n.IPPrefixLen}`);
}

/** Host pids of every process in a container (`docker top`). */
function containerPids(name: string): number[] {
  const out = execFileSync('docker', ['top', name, '-eo', 'pid'], { encoding: 'utf8' });
  return out
    .split('\n')
    .slice(1)
    .map((l) => Number(l.trim()))
    .filter((n) => n > 0);
}

/**
 * Established TCP connections the container opened (its local port is not the runtime's 8100), read
 * in its network namespace: the runtime's keep-alive connections to the gateway.
 */
function outboundConnections(pid: number): string[] {
  const out = execFileSync('nsenter', ['-t', String(pid), '-n', 'ss', '-Htn', 'state', 'established'], {
    encoding: 'utf8',
  });
  return out.split('\n').filter((l) => l.trim() && !/:8100$/.test(l.trim().split(/\s+/)[2] ?? ''));
}

const describeLine = (a: ConnectAttempt) => `${a.family} ${a.address}:${a.port ?? ''}  ← ${a.line}`;

describe.skipIf(skip)('offline: a local Ollama end to end, no connection leaves the machine', () => {
  let home: string;
  let traceDir: string;
  let core: Core;
  let ollama: ScriptedUpstream;
  let agent: Agent;
  let coreTrace: ConnectRecorder | null = null;
  let runtimeTrace: ConnectRecorder | null = null;

  beforeAll(async () => {
    await ensureBaseImage(['docker']);
    ensureRuntimeBundle();
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-test-offline-'));
    traceDir = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-test-strace-'));
    ollama = await startScriptedOllama(MODELS);
    // Everything the core and its children (LiteLLM) do from here on is recorded.
    coreTrace = await recordConnects([process.pid], path.join(traceDir, 'core.txt'));
    await controlAttempt();
    core = await startCore({ home, app: resolveOptions(coreEnv), mode: 'headless', healthIntervalMs: 0 });
    await call(core.dispatcher, 'settings', 'update', { container_runtime: 'docker' });
  }, 300_000);

  afterAll(async () => {
    await runtimeTrace?.stop().catch(() => []);
    await coreTrace?.stop().catch(() => []);
    if (core) {
      await purgeAll(core.dispatcher);
      await core.shutdown();
    }
    await ollama?.stop();
    for (const d of [home, traceDir]) if (d) fs.rmSync(d, { recursive: true, force: true });
  }, 120_000);

  it('discovers the Ollama on its usual port with its models', async () => {
    const found = await call(core.dispatcher, 'providers', 'discover', {});
    const server = found.servers.find((s) => s.type === 'ollama');
    expect(server).toMatchObject({
      base_url: `http://127.0.0.1:${OLLAMA_PORT}`,
      model_count: MODELS.length,
      added_as: null,
    });
    expect(server!.models).toEqual(MODELS);
    // Listed through Ollama's own /api/tags, which the scripted server saw.
    expect(ollama.requestsTo('/api/tags').length).toBeGreaterThan(0);
  });

  it('adds it without a key (a key is refused), and LiteLLM serves its models', async () => {
    await expect(
      call(core.dispatcher, 'providers', 'add', { type: 'ollama', key: 'sk-not-needed-1234' }),
    ).rejects.toThrow(/does not use a key/);
    const p = await call(core.dispatcher, 'providers', 'add', { type: 'ollama' });
    expect(p).toMatchObject({ id: 'ollama', status: 'ok', model_count: 2, key: { state: 'not_needed' } });
    const models = await call(core.dispatcher, 'providers', 'models', { id: 'ollama' });
    expect(models.models.map((m) => m.litellm_model)).toEqual([
      'ollama_chat/llama3.2:3b',
      'ollama/nomic-embed-text:latest',
    ]);
    await until(
      () => call(core.dispatcher, 'llm', 'status', {}),
      (s) => s.litellm.state === 'ready',
      // A deadline, not a speed claim: under strace and a loaded machine LiteLLM's start can take
      // minutes (its supervisor restarts it when one start passes its own deadline).
      300_000,
      'LiteLLM',
    );
    const { litellm } = await call(core.dispatcher, 'llm', 'status', {});
    const configText = fs.readFileSync(litellm.config_file!, 'utf8');
    expect(configText).toContain('model: ollama_chat/llama3.2:3b');
    expect(configText).toContain(`api_base: http://127.0.0.1:${OLLAMA_PORT}`);
    expect(configText).not.toContain('api_key');
  }, 360_000);

  it('deploys an agent on the Ollama model and chats with a shell tool call through the gateway', async () => {
    const created = await call(core.dispatcher, 'agents', 'create', {
      name: `agentdesk-test-offline-${Math.random().toString(36).slice(2, 8)}`,
      model: 'ollama/llama3.2:3b',
      memory_mib: 512,
    });
    agent = await until(
      () => call(core.dispatcher, 'agents', 'get', { id: created.id }),
      (a) => a.phase === 'running' || a.phase === 'failed',
      180_000,
      'the agent to run',
    );
    expect(agent.phase, agent.phase_reason ?? '').toBe('running');
    const pids = containerPids(agent.container);
    runtimeTrace = await recordConnects(pids, path.join(traceDir, 'runtime.txt'));
    // Connections the runtime opened while verifying are reused (keep-alive) and were never seen by the
    // recorder: wait until they close, so every connection of the turn is a new, recorded connect().
    await until(
      () => outboundConnections(pids[0]!),
      (c) => c.length === 0,
      60_000,
      'the runtime to close its idle connections',
    );
    const chatsBefore = ollama.requestsTo('/api/chat').length;
    const result = await call(core.dispatcher, 'agents', 'chat', {
      id: agent.id,
      text: 'Run it #tool=shell',
    });
    expect(result.error).toBeNull();
    expect(result.reply).toMatch(/chunk0/);
    // The runtime posts its tool events in the background and the second llm_call is committed when
    // its response closes, possibly after the chat answered: wait for everything asserted below.
    const events = await until(
      () => call(core.dispatcher, 'traces', 'list', { agent_id: agent.id, trace_id: result.turn_id }),
      (p) =>
        p.events.some((e) => e.kind === 'tool_result') &&
        p.events.filter((e) => e.kind === 'llm_call').length >= 2,
      60_000,
      'the tool events and both llm_calls',
    ).then((p) => p.events);
    const toolResult = events.find((e) => e.kind === 'tool_result')!;
    expect(JSON.stringify(toolResult.payload)).toContain('hi');
    expect(events.filter((e) => e.kind === 'llm_call').map((e) => e.model)).toEqual([
      'ollama/llama3.2:3b',
      'ollama/llama3.2:3b',
    ]);
    // LiteLLM spoke Ollama's native chat API: the tool call, then the answer after the tool result.
    const chats = ollama.requestsTo('/api/chat').slice(chatsBefore);
    expect(chats).toHaveLength(2);
    expect(JSON.stringify(JSON.parse(chats[1]!.body))).toContain('"role":"tool"');
  }, 300_000);

  it('recorded no connect() of the core, LiteLLM or the runtime outside loopback and the container bridge', async () => {
    const bridge = containerSubnets(agent.container);
    expect(bridge.length).toBeGreaterThan(0);
    const fromRuntime = await runtimeTrace!.stop();
    runtimeTrace = null;
    const fromCore = await coreTrace!.stop();
    coreTrace = null;
    // The recorder works: it saw the control attempt, LiteLLM calling Ollama and the runtime calling the gateway.
    expect(outsideConnects(fromCore, []).map((a) => a.address)).toContain(CONTROL_TARGET);
    expect(fromCore.some((a) => a.port === OLLAMA_PORT && a.address === '127.0.0.1')).toBe(true);
    expect(fromRuntime.some((a) => bridge.some((s) => inSubnet(a.address, s)))).toBe(true);
    // The runtime reaches models only through the gateway: no INET connect() to anything else (not
    // even the host's Ollama port on the bridge address).
    const { gateway } = await call(core.dispatcher, 'llm', 'status', {});
    const runtimeOther = fromRuntime.filter(
      (a) =>
        (a.family === 'AF_INET' || a.family === 'AF_INET6') &&
        !(gateway.addresses.includes(a.address) && a.port === gateway.port) &&
        !a.address.startsWith('127.'),
    );
    expect(runtimeOther.map(describeLine)).toEqual([]);
    const outside = [
      ...outsideConnects(fromCore, bridge).filter((a) => a.address !== CONTROL_TARGET),
      ...outsideConnects(fromRuntime, bridge),
    ];
    expect(outside.map(describeLine)).toEqual([]);
  }, 60_000);
});
