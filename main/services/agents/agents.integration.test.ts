// Deploy with real phases in real Docker and real Incus: running → a turn with a shell tool call → stop → start → remove; failure paths.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { AgentPhase } from '../../../contract/agents';
import { ensureBaseImage } from '../../../test/base-image';
import {
  addScriptedProvider,
  ensureRuntimeBundle,
  purgeAll,
  runtimeReachable,
  turn,
  until,
} from '../../../test/agents';
import { withModelApis } from '../../../test/fixtures/scripted-llm';
import { ScriptedUpstream } from '../../../test/fixtures/scripted-upstream';
import { filesContaining, litellmInstalled, REAL_KEY } from '../../../test/llm-stack';
import { skipUnlessReal } from '../../../test/real';
import { startCore } from '../../app/bootstrap';
import type { Core } from '../../app/bootstrap';
import { call } from '../../transport/dispatch';
import { loadHarnesses } from '../harnesses';
import type { RuntimeKind } from '../runtimes/container-runtime';
import { DockerRuntime } from '../runtimes/docker/docker-runtime';
import { IncusRuntime } from '../runtimes/incus/incus-runtime';
import { resolveOptions } from '../../platform/paths';

/** The environment of the cores this file starts: this process's, plus what the tests set (never the global one). */
const coreEnv: NodeJS.ProcessEnv = { ...process.env };

const kinds: RuntimeKind[] = ['docker', 'incus'];

describe.each(kinds)('agents on %s', (kind) => {
  const skip = skipUnlessReal(runtimeReachable(kind) && litellmInstalled(), `${kind} and LiteLLM`);
  let home: string;
  let core: Core;
  let upstream: ScriptedUpstream;
  const phases = new Map<string, AgentPhase[]>();

  const agent = (id: string) => call(core.dispatcher, 'agents', 'get', { id });
  const waitPhase = (id: string, phase: AgentPhase, ms = 120_000) =>
    until(
      () => agent(id),
      (a) => a.phase === phase || (phase !== 'failed' && a.phase === 'failed'),
      ms,
      `${phase}`,
    ).then((a) => {
      expect(a.phase, a.phase_reason ?? '').toBe(phase);
      return a;
    });

  beforeAll(async () => {
    if (skip) return;
    await ensureBaseImage([kind]);
    ensureRuntimeBundle();
    home = fs.mkdtempSync(path.join(os.tmpdir(), `agentdesk-agents-${kind}-`));
    upstream = await withModelApis(
      new ScriptedUpstream({ key: REAL_KEY, models: ['gpt-test-mini'] }),
    ).start();
    coreEnv.AGENTDESK_KEY_SCRIPTED = REAL_KEY;
    // The real harnesses plus one whose image no runtime has (the "image missing" path).
    const builtin = loadHarnesses().get('builtin')!;
    const noimage = {
      manifest: {
        ...builtin.manifest,
        id: 'noimage',
        label: 'No image',
        image: 'agentdesk/agent-base:missing-test',
      },
      dir: builtin.dir,
    };
    core = await startCore({
      home,
      app: resolveOptions(coreEnv),
      mode: 'headless',
      healthIntervalMs: 0,
      extraHarnesses: [noimage],
    });
    core.bus.on('agents.changed', ({ agents }) => {
      for (const a of agents) {
        const seen = phases.get(a.id) ?? [];
        if (seen.at(-1) !== a.phase) seen.push(a.phase);
        phases.set(a.id, seen);
      }
    });
    await call(core.dispatcher, 'settings', 'update', { container_runtime: kind });
    await addScriptedProvider(core.dispatcher, upstream.v1);
  }, 600_000);

  afterAll(async () => {
    if (skip) return;
    await purgeAll(core.dispatcher);
    await core?.shutdown();
    await upstream?.stop();
    delete coreEnv.AGENTDESK_KEY_SCRIPTED;
    fs.rmSync(home, { recursive: true, force: true });
  });

  it.skipIf(skip)(
    'deploys through every phase, runs a turn with a shell tool call, stops, starts and is removed',
    async () => {
      const name = `Deploy ${kind} ${Date.now() % 100000}`;
      const created = await call(core.dispatcher, 'agents', 'create', {
        name,
        model: 'scripted/gpt-test-mini',
        memory_mib: 512,
        cpus: 1,
      });
      expect(created).toMatchObject({ phase: 'creating', runtime: kind, emoji: '🤖', harness: 'builtin' });
      const running = await waitPhase(created.id, 'running');
      expect(phases.get(created.id)).toEqual([
        'creating',
        'provisioning',
        'starting',
        'verifying',
        'running',
      ]);
      // No host port: Docker on Linux is reached at the container's address, Incus at its routed address
      // (egress on) or through a unix socket (egress off).
      expect(running.runtime_port).toBeNull();
      expect(running.runtime_endpoint).toMatch(
        kind === 'docker'
          ? /^http:\/\/\d+\.\d+\.\d+\.\d+:8100$/
          : /^(unix:\/|http:\/\/\d+\.\d+\.\d+\.\d+:8100$)/,
      );
      expect(running.key_prefix).toMatch(/^[A-Za-z0-9]{8}$/);

      // The env file holds the virtual key, in the config folder (0640, mounted read-only); the
      // container's own environment holds none.
      const envFile = path.join(home, 'agents', created.id, 'config', 'env');
      expect(fs.statSync(envFile).mode & 0o777).toBe(0o640);
      expect(fs.readFileSync(envFile, 'utf8')).toMatch(/^OPENAI_API_KEY='sk-agentdesk-/m);
      const inspect = inspectLimits(kind, running.container);
      expect(inspect.memoryMiB).toBe(512);
      expect(inspect.cpus).toBe(1);
      expect(inspect.env).not.toMatch(/sk-agentdesk-|sk-upstream/);

      // One turn: the scripted model asks for `shell` with `echo hi`, gets the result and answers.
      const events = await turn({ home, agent: running }, 'Run it #tool=shell');
      const call1 = events.find((e) => e.event === 'tool_call');
      expect(call1?.data).toMatchObject({ name: 'shell' });
      const result = events.find((e) => e.event === 'tool_result');
      expect(String((result?.data as { output?: string }).output)).toContain('hi');
      expect(events.at(-1)?.event).toBe('done');

      await call(core.dispatcher, 'agents', 'stop', { id: created.id });
      expect((await agent(created.id)).phase).toBe('stopped');
      expect(containerState(kind, running.container)).toBe('stopped');
      await call(core.dispatcher, 'agents', 'start', { id: created.id });
      const again = await agent(created.id);
      expect(again.phase).toBe('running');
      expect((await turn({ home, agent: again }, 'hello again')).at(-1)?.event).toBe('done');

      const removed = await call(core.dispatcher, 'agents', 'purge', { id: created.id });
      expect(removed).toMatchObject({ container_removed: true, files_removed: true, key_revoked: true });
      expect(containerState(kind, running.container)).toBe('missing');
      expect(fs.existsSync(path.join(home, 'agents', created.id))).toBe(false);
      await expect(agent(created.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    },
  );

  it.skipIf(skip)('a container killed outside the app is shown, from runtime events', async () => {
    const a = await call(core.dispatcher, 'agents', 'create', {
      name: `Killed ${kind}`,
      model: 'scripted/gpt-test-mini',
    });
    const running = await waitPhase(a.id, 'running');
    if (kind === 'docker') execFileSync('docker', ['kill', running.container]);
    else execFileSync('incus', ['stop', '--force', running.container]);
    const after = await until(
      () => agent(a.id),
      (x) => x.phase !== 'running',
      30_000,
      'the kill to show',
    );
    expect(['failed', 'stopped']).toContain(after.phase);
    expect(after.phase_reason).toMatch(/outside Agent Desk/);
  });

  it.skipIf(skip)('a model that is not served fails in verifying and is rolled back', async () => {
    const a = await call(core.dispatcher, 'agents', 'create', {
      name: `Unserved ${kind}`,
      model: 'scripted/not-served',
    });
    const failed = await waitPhase(a.id, 'failed');
    expect(phases.get(a.id)).toEqual(['creating', 'provisioning', 'starting', 'verifying', 'failed']);
    expect(failed.phase_reason).toMatch(/not-served/);
    expect(failed.key_prefix).toBeNull();
    expect(containerState(kind, failed.container)).toBe('missing');
    const live = core.keys.list(a.id).filter((k) => k.revokedAt === null);
    expect(live).toEqual([]);
  });

  it.skipIf(skip)('an image that is missing with building turned off fails with a hint', async () => {
    await call(core.dispatcher, 'settings', 'update', { build_images_on_demand: false });
    try {
      const a = await call(core.dispatcher, 'agents', 'create', {
        name: `No image ${kind}`,
        harness: 'noimage',
        model: 'scripted/gpt-test-mini',
      });
      const failed = await waitPhase(a.id, 'failed');
      expect(failed.phase_reason).toMatch(/agent-base:missing-test.*agentdesk images build/);
      expect(containerState(kind, failed.container)).toBe('missing');
    } finally {
      await call(core.dispatcher, 'settings', 'update', { build_images_on_demand: true });
    }
  });

  it.skipIf(skip)('bad input names the field and the valid values; a taken name is a conflict', async () => {
    await expect(call(core.dispatcher, 'agents', 'create', { name: 'x', model: 'nope/m' })).rejects.toThrow(
      /providers: scripted/,
    );
    await expect(
      call(core.dispatcher, 'agents', 'create', {
        name: 'x',
        model: 'scripted/gpt-test-mini',
        harness: 'zz',
      }),
    ).rejects.toThrow(/valid: builtin/);
    await expect(
      call(core.dispatcher, 'agents', 'create', { name: 'x', model: 'scripted/gpt-test-mini', emoji: 'ab' }),
    ).rejects.toThrow(/emoji/);
    const a = await call(core.dispatcher, 'agents', 'create', {
      name: `Twin ${kind}`,
      model: 'scripted/not-served',
    });
    await expect(
      call(core.dispatcher, 'agents', 'create', { name: `twin ${kind}!`, model: 'scripted/gpt-test-mini' }),
    ).rejects.toMatchObject({ code: 'CONFLICT' });
    await waitPhase(a.id, 'failed');
  });

  it.skipIf(skip)(
    'archives (renamed, moved, key revoked) and restores into a taken name with a new key',
    async () => {
      const name = `Keeper ${kind}`;
      const a = await call(core.dispatcher, 'agents', 'create', { name, model: 'scripted/gpt-test-mini' });
      const running = await waitPhase(a.id, 'running');
      fs.writeFileSync(path.join(home, 'agents', a.id, 'home', 'workspace', 'note.txt'), 'kept');
      const keyOf = (id: string) =>
        /^OPENAI_API_KEY='([^']+)'/m.exec(
          fs.readFileSync(path.join(home, 'agents', id, 'config', 'env'), 'utf8'),
        )![1]!;
      const oldKey = keyOf(a.id);
      const models = (key: string) =>
        fetch(`http://127.0.0.1:${core.llm.gateway.port}/v1/models`, {
          headers: { Authorization: `Bearer ${key}` },
        }).then((r) => r.status);
      expect(await models(oldKey)).toBe(200);

      const archived = await call(core.dispatcher, 'agents', 'archive', { id: a.id });
      expect(archived.phase).toBe('archived');
      expect(archived.archived_at).toBeGreaterThan(0);
      expect(archived.container).toMatch(new RegExp(`^agentdesk-archived-${running.slug}-\\d{8}-\\d{6}$`));
      expect(containerState(kind, archived.container)).toBe('stopped');
      expect(containerState(kind, running.container)).toBe('missing');
      expect(fs.existsSync(path.join(home, 'agents', a.id))).toBe(false);
      const archiveDirs = fs
        .readdirSync(path.join(home, 'archive'))
        .filter((d) => d.startsWith(`${running.slug}-`));
      expect(archiveDirs).toHaveLength(1);
      expect(await models(oldKey)).toBe(401);

      // The name is taken by a new agent meanwhile: the restored one becomes <slug>-2.
      const twin = await call(core.dispatcher, 'agents', 'create', { name, model: 'scripted/gpt-test-mini' });
      expect(twin.slug).toBe(running.slug);
      await waitPhase(twin.id, 'running');
      await call(core.dispatcher, 'agents', 'restore', { id: a.id });
      const restored = await waitPhase(a.id, 'running');
      expect(restored.slug).toBe(`${running.slug}-2`);
      expect(restored.container).toBe(`agentdesk-${running.slug}-2`);
      expect(fs.readFileSync(path.join(home, 'agents', a.id, 'home', 'workspace', 'note.txt'), 'utf8')).toBe(
        'kept',
      );
      const newKey = keyOf(a.id);
      expect(newKey).not.toBe(oldKey);
      expect(await models(oldKey)).toBe(401);
      expect(await models(newKey)).toBe(200);
      expect((await turn({ home, agent: restored }, 'back again')).at(-1)?.event).toBe('done');
      for (const id of [a.id, twin.id]) await call(core.dispatcher, 'agents', 'purge', { id });
      expect(fs.existsSync(path.join(home, 'archive', archiveDirs[0]!))).toBe(false);
    },
  );

  it.skipIf(skip)(
    'a failed rename leaves the agent live and consistent (running again, same key)',
    async () => {
      const a = await call(core.dispatcher, 'agents', 'create', {
        name: `Stays ${kind}`,
        model: 'scripted/gpt-test-mini',
      });
      const running = await waitPhase(a.id, 'running');
      const proto = kind === 'docker' ? DockerRuntime.prototype : IncusRuntime.prototype;
      const rename = vi.spyOn(proto, 'rename').mockRejectedValueOnce(new Error('injected rename failure'));
      try {
        await expect(call(core.dispatcher, 'agents', 'archive', { id: a.id })).rejects.toThrow(
          /injected rename failure/,
        );
      } finally {
        rename.mockRestore();
      }
      const after = await agent(a.id);
      expect(after.phase).toBe('running');
      expect(after.phase_reason).toMatch(/Archiving failed: injected rename failure/);
      expect(after.container).toBe(running.container);
      expect(after.key_prefix).toBe(running.key_prefix);
      expect(containerState(kind, running.container)).toBe('running');
      expect(fs.existsSync(path.join(home, 'agents', a.id, 'home'))).toBe(true);
      expect((await turn({ home, agent: after }, 'still here')).at(-1)?.event).toBe('done');
      await call(core.dispatcher, 'agents', 'purge', { id: a.id });
    },
  );

  it.skipIf(skip)('the real provider key is in no file under the data dir and in no container', () => {
    expect(filesContaining(home, REAL_KEY)).toEqual([]);
  });
});

/** Limits and environment of a container as its engine's CLI reports them. */
function inspectLimits(kind: RuntimeKind, name: string): { memoryMiB: number; cpus: number; env: string } {
  if (kind === 'docker') {
    const j = JSON.parse(execFileSync('docker', ['inspect', name], { encoding: 'utf8' })) as {
      HostConfig: { Memory: number; NanoCpus: number };
      Config: { Env: string[] };
    }[];
    return {
      memoryMiB: j[0]!.HostConfig.Memory / 1024 / 1024,
      cpus: j[0]!.HostConfig.NanoCpus / 1e9,
      env: j[0]!.Config.Env.join('\n'),
    };
  }
  const cfg = execFileSync('incus', ['config', 'show', name, '--expanded'], { encoding: 'utf8' });
  const mem = /limits\.memory: (\d+)MiB/.exec(cfg)?.[1];
  const cpu = /limits\.cpu: "?(\d+)"?/.exec(cfg)?.[1];
  return {
    memoryMiB: Number(mem),
    cpus: Number(cpu),
    env: cfg
      .split('\n')
      .filter((l) => l.includes('environment.'))
      .join('\n'),
  };
}

/** `running`, `stopped` or `missing`, from the engine's CLI (not from the app). */
function containerState(kind: RuntimeKind, name: string): 'running' | 'stopped' | 'missing' {
  try {
    if (kind === 'docker') {
      const s = execFileSync('docker', ['inspect', '-f', '{{.State.Running}}', name], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      }).trim();
      return s === 'true' ? 'running' : 'stopped';
    }
    const j = JSON.parse(
      execFileSync('incus', ['list', `^${name}$`, '--format', 'json'], { encoding: 'utf8' }),
    ) as { status: string }[];
    if (j.length === 0) return 'missing';
    return j[0]!.status === 'Running' ? 'running' : 'stopped';
  } catch {
    return 'missing';
  }
}
