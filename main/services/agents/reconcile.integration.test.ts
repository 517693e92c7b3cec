// Reconciliation at start, with real Docker: half-way deploys, vanished containers, containers started outside, orphans.
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Agent } from '../../../contract/agents';
import {
  addScriptedProvider,
  ensureRuntimeBundle,
  purgeAll,
  runtimeReachable,
  turn,
  until,
} from '../../../test/agents';
import { ensureBaseImage } from '../../../test/base-image';
import { withModelApis } from '../../../test/fixtures/scripted-llm';
import { ScriptedUpstream } from '../../../test/fixtures/scripted-upstream';
import { litellmInstalled, REAL_KEY } from '../../../test/llm-stack';
import { skipUnlessReal } from '../../../test/real';
import { startCore } from '../../app/bootstrap';
import type { Core } from '../../app/bootstrap';
import { call } from '../../transport/dispatch';
import { resolveOptions } from '../../platform/paths';

/** The environment of the cores this file starts: this process's, plus what the tests set (never the global one). */
const coreEnv: NodeJS.ProcessEnv = { ...process.env };

const skip = skipUnlessReal(runtimeReachable('docker') && litellmInstalled(), 'Docker and LiteLLM');

const docker = (...args: string[]) =>
  execFileSync('docker', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
const exists = (name: string) => {
  try {
    return docker('inspect', '-f', '{{.State.Running}}', name);
  } catch {
    return 'missing';
  }
};

describe.skipIf(skip)('reconciliation after a crash (docker)', () => {
  let home: string;
  let upstream: ScriptedUpstream;
  let core: Core | null = null;
  const orphan = `agentdesk-test-orphan-${crypto.randomBytes(3).toString('hex')}`;
  const stranger = `agentdesk-test-stranger-${crypto.randomBytes(3).toString('hex')}`;

  const start = async () => {
    core = await startCore({ home, app: resolveOptions(coreEnv), mode: 'headless', healthIntervalMs: 0 });
    return core;
  };
  const stop = async () => {
    await core?.shutdown();
    core = null;
  };
  const get = (id: string) => call(core!.dispatcher, 'agents', 'get', { id });
  /** Edits the DB as a core killed at that moment would have left it. */
  const edit = (sql: string, ...params: unknown[]) => {
    const db = new Database(path.join(home, 'agentdesk.db'));
    db.prepare(sql).run(...params);
    db.close();
  };

  beforeAll(async () => {
    await ensureBaseImage(['docker']);
    ensureRuntimeBundle();
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-reconcile-'));
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
  }, 600_000);

  afterAll(async () => {
    if (core) await purgeAll(core.dispatcher);
    await stop();
    await upstream?.stop();
    delete coreEnv.AGENTDESK_KEY_SCRIPTED;
    for (const name of [orphan, stranger])
      try {
        docker('rm', '-f', name);
      } catch {
        /* already gone */
      }
    fs.rmSync(home, { recursive: true, force: true });
  });

  const deploy = async (name: string): Promise<Agent> => {
    const a = await call(core!.dispatcher, 'agents', 'create', { name, model: 'scripted/gpt-test-mini' });
    return until(
      () => get(a.id),
      (x) => x.phase === 'running',
      120_000,
      `${name} running`,
    );
  };

  it('repairs each kind of leftover at the next start, and keeps what is consistent', async () => {
    const halfway = await deploy('Halfway');
    const vanished = await deploy('Vanished');
    const outside = await deploy('Outside');
    const steady = await deploy('Steady');
    await call(core!.dispatcher, 'agents', 'stop', { id: outside.id });
    const keyOf = (id: string) => core!.keys.list(id).find((k) => k.revokedAt === null);
    expect(keyOf(halfway.id)).toBeDefined();
    await stop(); // stop_agents_on_quit is off: containers keep running

    // A core killed in `verifying` of a first deploy; a container removed and one started by hand meanwhile;
    // a container labelled with an agent id no record has.
    edit("UPDATE agents SET phase = 'verifying' WHERE id = ?", halfway.id);
    edit("DELETE FROM agent_transitions WHERE agent_id = ? AND to_phase = 'running'", halfway.id);
    docker('rm', '-f', vanished.container);
    docker('start', outside.container);
    const instance = docker(
      'inspect',
      '-f',
      '{{index .Config.Labels "agentdesk.instance"}}',
      steady.container,
    );
    docker(
      'run',
      '-d',
      '--name',
      orphan,
      '--label',
      'agentdesk.managed=1',
      '--label',
      `agentdesk.instance=${instance}`,
      '--label',
      `agentdesk.agent_id=${crypto.randomUUID()}`,
      'agentdesk/agent-base:2',
      'sleep',
      '300',
    );
    // Another data dir's container on the same engine is not ours to remove.
    docker(
      'run',
      '-d',
      '--name',
      stranger,
      '--label',
      'agentdesk.managed=1',
      '--label',
      'agentdesk.instance=someone-else',
      '--label',
      `agentdesk.agent_id=${crypto.randomUUID()}`,
      'agentdesk/agent-base:2',
      'sleep',
      '300',
    );

    await start();
    const h = await until(
      () => get(halfway.id),
      (x) => x.phase === 'failed',
      20_000,
      'halfway → failed',
    );
    expect(h.phase_reason).toMatch(/stopped while the agent was verifying/);
    expect(exists(halfway.container)).toBe('missing');
    expect(keyOf(halfway.id)).toBeUndefined();

    const v = await until(
      () => get(vanished.id),
      (x) => x.phase === 'failed',
      20_000,
      'vanished → failed',
    );
    expect(v.phase_reason).toMatch(/container is gone/);
    expect(keyOf(vanished.id)).toBeUndefined();

    const o = await until(
      () => get(outside.id),
      (x) => x.phase === 'running',
      20_000,
      'outside → running',
    );
    expect(o.runtime_endpoint).toMatch(/^(http:|unix:)/);

    const s = await get(steady.id);
    expect(s.phase).toBe('running');
    // It still reaches models once LiteLLM is up again: the new core listens on the bridge address again.
    await until(
      () => call(core!.dispatcher, 'llm', 'status', {}),
      (st) => st.litellm.state === 'ready',
      120_000,
      'LiteLLM',
    );
    const events = await turn({ home, agent: s }, 'still there?');
    expect(events.at(-1), JSON.stringify(events.at(-1))).toMatchObject({ event: 'done' });
    expect(keyOf(steady.id)).toBeDefined();
    await until(
      () => exists(orphan),
      (s) => s === 'missing',
      20_000,
      'orphan removed',
    );
    expect(exists(stranger)).toBe('true');
  });

  it('stops running agents when the app quits with "stop agents on quit" on, and they stay stopped', async () => {
    await call(core!.dispatcher, 'settings', 'update', { stop_agents_on_quit: true });
    const a = await deploy('Quitter');
    await stop();
    expect(exists(a.container)).toBe('false');
    await start();
    const after = await until(
      () => get(a.id),
      (x) => x.phase !== 'running',
      20_000,
      'the agent after restart',
    );
    expect(after.phase).toBe('stopped');
    expect(after.phase_reason).toBe('Stopped when Agent Desk quit');
    expect(exists(a.container)).toBe('false');
  });
});
