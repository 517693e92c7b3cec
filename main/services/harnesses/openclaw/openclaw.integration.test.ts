// An OpenClaw agent in real Docker through the core (real LiteLLM, scripted upstream): image built on demand, chat, tool and error events in the trace, no provider key in the container.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Agent } from '../../../../contract/agents';
import type { EventPayload } from '../../../../contract/events';
import { attackHeaders, rawTurn, runtimeReachable, until } from '../../../../test/agents';
import { ensureBaseImage, imageCacheDir } from '../../../../test/base-image';
import { cmdDirective } from '../../../../test/fixtures/scripted-llm';
import { litellmInstalled, REAL_KEY } from '../../../../test/llm-stack';
import { skipUnlessReal } from '../../../../test/real';
import { startScriptedCore } from '../../../../test/scripted-core';
import type { ScriptedCore } from '../../../../test/scripted-core';
import type { Core } from '../../../app/bootstrap';
import { call } from '../../../transport/dispatch';
import { agentFolder, readRuntimeCredential } from '../../agents/agent-folder';

const OPENCLAW_IMAGE_REF = 'agentdesk/openclaw:2026.9.6-base2';

const skip = skipUnlessReal(runtimeReachable('docker') && litellmInstalled(), 'Docker and LiteLLM');
const suffix = Math.random().toString(36).slice(2, 8);

describe.skipIf(skip)('an OpenClaw agent in Docker', () => {
  let stack: ScriptedCore;
  let core: Core;
  let agent: Agent;
  const turnEvents: EventPayload<'agents.turn'>[] = [];
  const imageProgress: EventPayload<'images.progress'>[] = [];

  const settled = (id: string, ms: number) =>
    until(
      () => call(core.dispatcher, 'agents', 'get', { id }),
      (a) => a.phase === 'running' || a.phase === 'failed',
      ms,
      'running or failed',
    );
  const traceOf = (traceId: string) =>
    call(core.dispatcher, 'traces', 'list', { agent_id: agent.id, trace_id: traceId }).then((p) => p.events);

  beforeAll(async () => {
    await ensureBaseImage(['docker']);
    // The core builds the OpenClaw image on demand into the shared cache (its own cross-process lock).
    stack = await startScriptedCore('agentdesk-test-openclaw-', 'docker', {
      AGENTDESK_IMAGE_CACHE: imageCacheDir(),
    });
    core = stack.core;
    core.bus.on('agents.turn', (e) => turnEvents.push(e));
    core.bus.on('images.progress', (e) => imageProgress.push(e));
    const created = await call(core.dispatcher, 'agents', 'create', {
      name: `agentdesk-test-openclaw-${suffix}`,
      harness: 'openclaw',
      model: 'scripted/gpt-test-mini',
    });
    expect(created.emoji).toBe('🦞');
    expect(created.memory_mib).toBe(2048); // its manifest's default
    agent = await settled(created.id, 900_000);
    expect(agent.phase, `${agent.phase_reason ?? ''}\n${agent.failed_log?.join('\n') ?? ''}`).toBe('running');
  }, 960_000);

  afterAll(async () => {
    await stack?.close();
  });

  it('is offered with its own emoji, and its image exists in Docker', async () => {
    const { harnesses } = await call(core.dispatcher, 'harnesses', 'list', {});
    expect(harnesses.find((f) => f.id === 'openclaw')).toMatchObject({
      label: 'OpenClaw',
      emoji: '🦞',
      image: OPENCLAW_IMAGE_REF,
    });
    expect(spawnSync('docker', ['image', 'inspect', OPENCLAW_IMAGE_REF]).status).toBe(0);
  });

  it("was verified with a real completion through OpenClaw's provider settings, marked as a verify call", async () => {
    const events = await until(
      () =>
        call(core.dispatcher, 'traces', 'list', { agent_id: agent.id, kinds: ['llm_call'], limit: 100 }).then(
          (p) => p.events,
        ),
      (ev) => ev.some((e) => (e.payload as { path?: string }).path === '/v1/chat/completions'),
      20_000,
      'the verify completion in the trace',
    );
    const completion = events.find((e) => (e.payload as { path?: string }).path === '/v1/chat/completions')!;
    expect(completion.payload).toMatchObject({ purpose: 'verify', status: 200, stream: false });
    expect(completion.model).toBe('scripted/gpt-test-mini');
  });

  it('chats through OpenClaw to the scripted model, with its tool call and result in the turn and the trace', async () => {
    const result = await call(core.dispatcher, 'agents', 'chat', { id: agent.id, text: 'Run it #tool=exec' });
    expect(result.error).toBeNull();
    expect(result.reply).toMatch(/chunk0/);
    const mine = turnEvents.filter((e) => e.turn_id === result.turn_id);
    expect(mine.find((e) => e.event === 'tool_call')?.data).toMatchObject({ name: 'exec' });
    expect(String(mine.find((e) => e.event === 'tool_result')?.data.output)).toContain('hi');
    const events = await until(
      () => traceOf(result.turn_id),
      (ev) => ev.some((e) => e.kind === 'tool_result') && ev.some((e) => e.kind === 'message_out'),
      20_000,
      'the tool events in the trace',
    );
    const kinds = events.map((e) => e.kind);
    expect(kinds[0]).toBe('message_in');
    expect(kinds).toEqual(expect.arrayContaining(['llm_call', 'tool_call', 'tool_result', 'message_out']));
    const call1 = events.find((e) => e.kind === 'tool_call')!;
    const res1 = events.find((e) => e.kind === 'tool_result')!;
    expect(call1.payload).toMatchObject({ name: 'exec' });
    expect(res1.parent_id).toBe(call1.id);
    expect(res1.thread_id).toBe(result.thread_id);
  });

  it('shows a model error OpenClaw keeps in its session as an error the user sees, and traces it', async () => {
    const result = await call(core.dispatcher, 'agents', 'chat', { id: agent.id, text: 'Fail #status=400' });
    expect(result.reply).toBeNull();
    expect(result.error).toMatch(/model call failed.*400/i);
    expect(turnEvents.some((e) => e.turn_id === result.turn_id && e.event === 'error')).toBe(true);
    const events = await until(
      () => traceOf(result.turn_id),
      (ev) => ev.some((e) => e.kind === 'error'),
      20_000,
      'the error event',
    );
    expect(events.find((e) => e.kind === 'error')?.error ?? '').toMatch(/400/);
  });

  it('keeps the threads readable from the host', async () => {
    const { threads } = await call(core.dispatcher, 'agents', 'threads', { id: agent.id });
    expect(threads.map((t) => t.title)).toContain('Run it #tool=exec');
  });

  it('holds only the virtual key (in the read-only config folder) and never the provider key: inspect, env, files', () => {
    const agentHome = path.join(stack.home, 'agents', agent.id, 'home');
    const config = path.join(stack.home, 'agents', agent.id, 'config');
    const keyFile = path.join(config, 'openclaw-virtual-key');
    const configFile = path.join(config, 'openclaw.json');
    expect(fs.statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(fs.statSync(configFile).mode & 0o777).toBe(0o640);
    // Nothing host-written is left in the agent's home.
    expect(fs.existsSync(path.join(agentHome, '.openclaw', 'agentdesk-virtual-key'))).toBe(false);
    expect(fs.existsSync(path.join(agentHome, '.openclaw', 'openclaw.json'))).toBe(false);
    expect(fs.readFileSync(keyFile, 'utf8')).toMatch(/^sk-agentdesk-[0-9A-Za-z]{43}$/);
    expect(fs.readFileSync(configFile, 'utf8')).not.toMatch(/sk-agentdesk-/);
    const name = agent.container;
    const inspect = execFileSync('docker', ['inspect', name], { encoding: 'utf8' });
    const env = execFileSync(
      'docker',
      ['exec', name, 'sh', '-c', 'cat /proc/*/environ 2>/dev/null | tr "\\0" "\\n"'],
      {
        encoding: 'utf8',
        maxBuffer: 64 * 1024 * 1024,
      },
    );
    expect(env).toMatch(/OPENAI_API_KEY=sk-agentdesk-/);
    const grep = spawnSync(
      'sh',
      ['-c', `docker export ${name} | tar -xOf - 2>/dev/null | grep -c -a -F "$K"`],
      {
        env: { ...process.env, K: REAL_KEY },
        encoding: 'utf8',
        maxBuffer: 64 * 1024 * 1024,
      },
    );
    const homeHits = spawnSync('grep', ['-r', '-l', '-a', '-F', REAL_KEY, agentHome], { encoding: 'utf8' });
    expect({
      inspect: inspect.includes(REAL_KEY),
      env: env.includes(REAL_KEY),
      filesystem: grep.stdout.trim(),
      home: homeHits.stdout.trim(),
    }).toEqual({ inspect: false, env: false, filesystem: '0', home: '' });
  }, 300_000);

  it("starts OpenClaw from the image's compile cache as the agent's own user (not compiled anew)", () => {
    const name = agent.container;
    const inContainer = (script: string) =>
      execFileSync('docker', ['exec', name, 'sh', '-c', script], { encoding: 'utf8' });
    expect(inContainer('id -u').trim()).not.toBe('0');
    // The gateway runs with the mirrored cache (OpenClaw re-runs itself in its own sub-folder of it).
    expect(
      inContainer('cat /proc/*/environ 2>/dev/null | tr "\\0" "\\n" | grep ^NODE_COMPILE_CACHE='),
    ).toMatch(/^NODE_COMPILE_CACHE=\/tmp\/agentdesk-compile-cache(\/openclaw\/\S+)?$/m);
    // Read through it, Node finds the modules root compiled at build and has nothing to compile or deny.
    const debug = inContainer(
      'NODE_DEBUG_NATIVE=COMPILE_CACHE NODE_COMPILE_CACHE=/tmp/agentdesk-compile-cache openclaw --version 2>&1',
    );
    expect(debug).not.toMatch(/permission denied|was not initialized/);
    expect(debug).toMatch(/skip persisting ESM \S+openclaw\.mjs because cache was the same/);
  });

  it('its harness refuses every caller but the core, and no tool runs', async () => {
    const running = await call(core.dispatcher, 'agents', 'get', { id: agent.id });
    expect(running.runtime_port).toBeNull();
    const credential = readRuntimeCredential(agentFolder(stack.home, agent.id))!;
    const workspace = agentFolder(stack.home, agent.id).workspace;
    for (const [what, headers, status] of attackHeaders(credential)) {
      const marker = `attack-${status}-${Math.random().toString(36).slice(2)}`;
      const body = JSON.stringify({ text: cmdDirective(`touch /home/agent/workspace/${marker}`, 'exec') });
      expect(await rawTurn(running.runtime_endpoint!, headers, body), what).toBe(status);
      await new Promise((r) => setTimeout(r, 500));
      expect(fs.existsSync(path.join(workspace, marker)), what).toBe(false);
    }
  });

  it('refuses Incus at create with an error that names the valid runtime, and records nothing', async () => {
    const before = (await call(core.dispatcher, 'agents', 'list', {})).agents.length;
    await expect(
      call(core.dispatcher, 'agents', 'create', {
        name: `agentdesk-test-openclaw-incus-${suffix}`,
        harness: 'openclaw',
        runtime: 'incus',
        model: 'scripted/gpt-test-mini',
      }),
    ).rejects.toThrow(/runtime: OpenClaw does not run on incus; valid runtime for openclaw: docker/);
    expect((await call(core.dispatcher, 'agents', 'list', {})).agents).toHaveLength(before);
  });

  it('picks Docker for OpenClaw when no runtime is given and the default runtime is Incus', async () => {
    await call(core.dispatcher, 'settings', 'update', { container_runtime: 'incus' });
    try {
      const created = await call(core.dispatcher, 'agents', 'create', {
        name: `agentdesk-test-openclaw-default-${suffix}`,
        harness: 'openclaw',
        model: 'scripted/gpt-test-mini',
      });
      expect(created.runtime).toBe('docker');
      // Purge waits for the deploy queued before it (an OpenClaw start takes 20–40 s here).
      await call(core.dispatcher, 'agents', 'purge', { id: created.id });
    } finally {
      await call(core.dispatcher, 'settings', 'update', { container_runtime: 'docker' });
    }
  }, 240_000);
});
