// Fault: kill -9 of the core (a real `agentdesk serve` child) right after each step of deploy, archive, restore and purge; the next core repairs it.
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Agent, AgentPhase } from '../../../contract/agents';
import { addScriptedProvider, ensureRuntimeBundle, runtimeReachable, until } from '../../../test/agents';
import { ensureBaseImage } from '../../../test/base-image';
import { buildChildCore, processesMentioning, startChildCore } from '../../../test/faults/child-core';
import { withModelApis } from '../../../test/fixtures/scripted-llm';
import { ScriptedUpstream } from '../../../test/fixtures/scripted-upstream';
import { litellmInstalled, post, REAL_KEY } from '../../../test/llm-stack';
import { skipUnlessReal } from '../../../test/real';
import { startCore } from '../../app/bootstrap';
import type { Core } from '../../app/bootstrap';
import { call } from '../../transport/dispatch';
import { agentFolder } from './agent-folder';
import { resolveOptions } from '../../platform/paths';

/** The environment of the cores this file starts: this process's, plus what the tests set (never the global one). */
const coreEnv: NodeJS.ProcessEnv = { ...process.env };

const skip = skipUnlessReal(runtimeReachable('docker') && litellmInstalled(), 'Docker and LiteLLM');

const docker = (...args: string[]) =>
  execFileSync('docker', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
/** `name state` of every container labelled with `label=value`. */
const containers = (label: string, value: string) =>
  docker('ps', '-a', '--filter', `label=${label}=${value}`, '--format', '{{.Names}} {{.State}}')
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const [name, state] = l.split(' ');
      return { name: name!, state: state! };
    });

/** Where the agent ends after the next start, for a kill right after each step. */
type End = Extract<AgentPhase, 'failed' | 'archived' | 'stopped' | 'running'> | 'gone';
const STEPS: [step: string, end: End][] = [
  // A first deploy that never ran is rolled back (container removed, key revoked).
  ['deploy:creating', 'failed'],
  ['deploy:provisioning', 'failed'],
  ['deploy:starting', 'failed'],
  ['deploy:verifying', 'failed'],
  // An archive is finished.
  ['archive:archiving', 'archived'],
  ['archive:stopped', 'archived'],
  ['archive:renamed', 'archived'],
  ['archive:moved', 'archived'],
  ['archive:revoked', 'archived'],
  // A restore is undone while `restoring`; once started, the agent is what its container is.
  ['restore:restoring', 'archived'],
  ['restore:renamed', 'archived'],
  ['restore:moved', 'archived'],
  ['restore:starting', 'stopped'],
  ['restore:verifying', 'running'],
  // A purge is finished.
  ['purge:purging', 'gone'],
  ['purge:removed', 'gone'],
  ['purge:revoked', 'gone'],
  ['purge:files', 'gone'],
];
const STABLE: readonly string[] = ['failed', 'archived', 'stopped', 'running'];

describe.skipIf(skip)('fault: the core killed at every step of deploy, archive, restore and purge', () => {
  let home: string;
  let instance: string;
  let upstream: ScriptedUpstream;
  let core: Core | null = null;
  let bundle: { entry: string; remove: () => void };
  /** The agent prepared for each archive/restore/purge step. */
  const prepared = new Map<string, Agent>();
  const suffix = crypto.randomBytes(3).toString('hex');

  const start = async () =>
    (core = await startCore({ home, app: resolveOptions(coreEnv), mode: 'headless', healthIntervalMs: 0 }));
  const stop = async () => {
    await core?.shutdown();
    core = null;
  };
  const list = async () => (await call(core!.dispatcher, 'agents', 'list', {})).agents;

  beforeAll(async () => {
    await ensureBaseImage(['docker']);
    ensureRuntimeBundle();
    bundle = await buildChildCore();
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-test-kill-'));
    instance = crypto.createHash('sha256').update(path.resolve(home)).digest('hex').slice(0, 16);
    upstream = await withModelApis(
      new ScriptedUpstream({ key: REAL_KEY, models: ['gpt-test-mini'] }),
    ).start();
    coreEnv.AGENTDESK_KEY_SCRIPTED = REAL_KEY;
    const c = await start();
    await call(c.dispatcher, 'settings', 'update', {
      container_runtime: 'docker',
      stop_agents_on_quit: false,
    });
    await addScriptedProvider(c.dispatcher, upstream.v1);
    // One running agent per archive and purge step, one archived agent per restore step, deployed together.
    const wanted = STEPS.filter(([s]) => !s.startsWith('deploy:')).map(([s]) => s);
    const created = await Promise.all(
      wanted.map((s) =>
        call(c.dispatcher, 'agents', 'create', {
          name: `kill ${s.replace(':', ' ')} ${suffix}`,
          model: 'scripted/gpt-test-mini',
        }),
      ),
    );
    for (const [i, a] of created.entries()) {
      const running = await until(
        () => call(c.dispatcher, 'agents', 'get', { id: a.id }),
        (x) => x.phase === 'running' || x.phase === 'failed',
        180_000,
        `${a.name} running`,
      );
      expect(running.phase_reason).toBeNull();
      prepared.set(wanted[i]!, running);
    }
    for (const [s, a] of prepared)
      if (s.startsWith('restore:'))
        prepared.set(s, await call(c.dispatcher, 'agents', 'archive', { id: a.id }));
    await stop(); // stop_agents_on_quit is off: the containers keep running
  }, 600_000);

  afterAll(async () => {
    try {
      if (!core && home) await start();
      if (core)
        for (const a of await list())
          await call(core.dispatcher, 'agents', 'purge', { id: a.id }).catch(() => {});
    } finally {
      await stop();
      await upstream?.stop();
      delete coreEnv.AGENTDESK_KEY_SCRIPTED;
      if (instance)
        for (const c of containers('agentdesk.instance', instance))
          try {
            docker('rm', '-f', c.name);
          } catch {
            /* already gone */
          }
      for (const pid of home ? processesMentioning(home) : []) killGroup(pid);
      bundle?.remove();
      if (home) fs.rmSync(home, { recursive: true, force: true });
    }
  }, 300_000);

  it.each(STEPS)(
    'kill -9 right after %s → after a restart the agent is %s, consistently',
    async (step, end) => {
      await stop();
      const [op] = step.split(':') as [string];
      const child = await startChildCore(bundle.entry, home, {
        AGENTDESK_KEY_SCRIPTED: REAL_KEY,
        NODE_ENV: 'test',
        AGENTDESK_FAULT_KILL_AT: step,
      });
      let id: string;
      const name = `kill ${step.replace(':', ' ')} ${suffix}`;
      try {
        // The answer may never come: the kill can land before it is sent.
        if (op === 'deploy')
          void child.call('agents', 'create', { name, model: 'scripted/gpt-test-mini' }).catch(() => null);
        else void child.call('agents', op, { id: prepared.get(step)!.id }).catch(() => null);
        const { signal } = await within(
          child.exited,
          120_000,
          `${step}: the core to kill itself`,
          child.output,
        );
        expect(signal).toBe('SIGKILL');
      } finally {
        child.kill();
      }
      // Its LiteLLM died with it (setpriv --pdeathsig): no orphan keeps serving with the provider keys.
      await until(
        () => processesMentioning(path.join(home, 'litellm')),
        (pids) => pids.length === 0,
        10_000,
        `${step}: the killed core's LiteLLM to exit`,
      );
      await start();
      if (op === 'deploy') {
        const found = (await list()).find((a) => a.name === name);
        expect(found, 'the agent is not lost').toBeDefined();
        id = found!.id;
      } else id = prepared.get(step)!.id;

      // Settled: never a phase left half-way (reconciliation and the finished or undone operation ran).
      const agent = await until(
        async () => (await list()).find((a) => a.id === id) ?? null,
        (a) => (end === 'gone' ? a === null : a !== null && STABLE.includes(a.phase)),
        120_000,
        `${step}: the agent to settle`,
      );
      const mine = containers('agentdesk.agent_id', id);
      const folder = agentFolder(home, id).root;
      const liveKeys = core!.keys.list(id).filter((k) => k.revokedAt === null);
      // No orphan: every container of this data dir belongs to an agent on record.
      const ids = new Set((await list()).map((a) => a.id));
      for (const c of containers('agentdesk.instance', instance)) {
        const owner = docker('inspect', '-f', '{{index .Config.Labels "agentdesk.agent_id"}}', c.name);
        expect(ids.has(owner), `orphan container ${c.name}`).toBe(true);
      }
      if (end === 'gone') {
        expect(mine).toEqual([]);
        expect(fs.existsSync(folder)).toBe(false);
        expect(liveKeys).toEqual([]);
        const slug = prepared.get(step)!.slug;
        const archives = fs.existsSync(path.join(home, 'archive'))
          ? fs.readdirSync(path.join(home, 'archive'))
          : [];
        expect(archives.filter((d) => d.startsWith(`${slug}-`))).toEqual([]);
        return;
      }
      expect(agent!.phase).toBe(end);
      const row = await call(core!.dispatcher, 'agents', 'get', { id });
      if (end === 'failed') {
        expect(mine).toEqual([]); // rolled back
        expect(liveKeys).toEqual([]);
        expect(fs.existsSync(folder)).toBe(step !== 'deploy:creating'); // killed before the folder was made
      } else if (end === 'archived') {
        expect(mine).toHaveLength(1);
        expect(mine[0]!.name).toBe(row.container);
        expect(mine[0]!.name).toMatch(/^agentdesk-archived-/);
        expect(mine[0]!.state).not.toBe('running');
        expect(liveKeys).toEqual([]);
        expect(fs.existsSync(folder)).toBe(false);
        // The key the container was given is refused by the gateway.
        const archives = fs.readdirSync(path.join(home, 'archive'));
        const dir = archives.find((d) => mine[0]!.name === `agentdesk-archived-${d}`);
        expect(dir, `archive folder of ${mine[0]!.name} in ${archives.join(', ')}`).toBeDefined();
        const envFile = path.join(
          home,
          'archive',
          dir!,
          path.relative(folder, agentFolder(home, id).envFile),
        );
        const key = /^OPENAI_API_KEY=(.*)$/m
          .exec(fs.readFileSync(envFile, 'utf8'))?.[1]
          ?.replace(/^['"]|['"]$/g, '');
        expect(key).toMatch(/^sk-agentdesk-/);
        const res = await post(
          `http://127.0.0.1:${core!.llm.gateway.port}/v1/chat/completions`,
          { model: 'scripted/gpt-test-mini', messages: [{ role: 'user', content: 'hi' }] },
          { authorization: `Bearer ${key}` },
        );
        expect(res.status).toBe(401);
      } else {
        expect(mine).toEqual([{ name: row.container, state: end === 'running' ? 'running' : 'exited' }]);
        expect(fs.existsSync(folder)).toBe(true);
        expect(liveKeys.map((k) => k.id)).toEqual([expect.any(String)]);
      }
      await stop();
    },
    300_000,
  );
});

/** SIGKILL to a process group (LiteLLM runs in its own), else to the process. */
function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
}

/** `p`, or an Error naming `what` (with the child's output) after `ms`. */
async function within<T>(p: Promise<T>, ms: number, what: string, output: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`timed out waiting for ${what}:\n${output().slice(-3000)}`)),
      ms,
    );
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
