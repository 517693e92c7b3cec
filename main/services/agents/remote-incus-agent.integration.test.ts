// An agent on an Incus remote over HTTPS, end to end through the core: engine added by trust token, image sent, chat with a tool call over the TLS gateway path, threads, archive/restore/purge, a leak scan, cluster placement and an outage.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Agent } from '../../../contract/agents';
import { ensureRuntimeBundle, runtimeReachable, until } from '../../../test/agents';
import { imageCacheDir } from '../../../test/base-image';
import { REAL_KEY, litellmInstalled } from '../../../test/llm-stack';
import { canRunRemoteIncus, startRemoteIncus } from '../../../test/remote-incus';
import type { RemoteIncus } from '../../../test/remote-incus';
import { skipUnlessReal } from '../../../test/real';
import { startScriptedCore } from '../../../test/scripted-core';
import type { ScriptedCore } from '../../../test/scripted-core';
import type { Core } from '../../app/bootstrap';
import { call } from '../../transport/dispatch';

const skip = skipUnlessReal(
  canRunRemoteIncus() && runtimeReachable('incus') && litellmInstalled(),
  'root, Debian incusd, ip netns, the system Incus and LiteLLM',
);

/** `grep -rl needle dir` (as root): the files holding it; none = []. */
function filesHolding(dir: string, needle: string): string[] {
  try {
    return execFileSync('grep', ['-rlsF', '--devices=skip', needle, dir], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean);
  } catch {
    return [];
  }
}

describe.skipIf(skip)('an agent on an Incus remote over HTTPS', () => {
  let remote: RemoteIncus;
  let stack: ScriptedCore;
  let core: Core;
  let agent: Agent;

  const get = (id: string) => call(core.dispatcher, 'agents', 'get', { id });
  const settled = (id: string, phases: Agent['phase'][] = ['running', 'failed']) =>
    until(
      () => get(id),
      (a) => phases.includes(a.phase),
      300_000,
      phases.join('/'),
    );

  beforeAll(async () => {
    ensureRuntimeBundle();
    remote = await startRemoteIncus();
    stack = await startScriptedCore('agentdesk-test-rinc-', 'incus', {
      AGENTDESK_IMAGE_CACHE: imageCacheDir(),
    });
    core = stack.core;
    const engine = await call(core.dispatcher, 'engines', 'add', {
      id: 'rinc',
      name: 'Remote Incus',
      kind: 'incus',
      transport: 'https',
      url: remote.url,
      token: remote.trustToken('agentdesk-core'),
    });
    expect(engine.health.state, engine.health.detail).toBe('ok');
    const created = await call(core.dispatcher, 'agents', 'create', {
      name: `rinc-${Math.random().toString(36).slice(2, 8)}`,
      model: 'scripted/gpt-test-mini',
      memory_mib: 512,
      engine: 'rinc',
    });
    agent = await settled(created.id);
    expect(agent.phase, `${agent.phase_reason ?? ''} ${(agent.failed_log ?? []).join(' ')}`).toBe('running');
  }, 900_000);

  afterAll(async () => {
    await stack?.close();
    await remote?.remove();
  }, 300_000);

  it('runs there, named and reachable, its gateway the TLS listener', () => {
    expect(agent).toMatchObject({ engine: 'rinc', engine_name: 'Remote Incus', engine_state: 'reachable' });
    expect(remote.incus('list', '-f', 'csv', '-c', 'n')).toContain(agent.container);
    // Its env names the gateway by its certificate's name, over HTTPS, and pins that certificate.
    const env = remote.incus('exec', agent.container, '--', 'cat', '/opt/agentdesk/config/env');
    expect(env).toMatch(/OPENAI_BASE_URL=.?https:\/\/agentdesk-gateway:\d+\/v1/);
    expect(env).toMatch(/NODE_EXTRA_CA_CERTS=/);
  });

  it('chats with a shell tool call, traced, and lists its threads', async () => {
    const result = await call(core.dispatcher, 'agents', 'chat', {
      id: agent.id,
      text: 'Run it #tool=shell',
    });
    expect(result.error).toBeNull();
    expect(result.reply).toMatch(/chunk0/);
    const events = await until(
      () =>
        call(core.dispatcher, 'traces', 'list', { agent_id: agent.id, trace_id: result.turn_id }).then(
          (p) => p.events,
        ),
      (ev) => ev.some((e) => e.kind === 'tool_result'),
      30_000,
      'the tool events',
    );
    expect(events.map((e) => e.kind)).toEqual(
      expect.arrayContaining(['message_in', 'llm_call', 'tool_call', 'tool_result', 'message_out']),
    );
    // What the agent writes there is hostile: a link, a folder, a file over the byte budget, other names.
    // (as the agent: the container's root holds no capability to pass the home's 0700)
    const [uid, gid] = remote
      .incus('exec', agent.container, '--', 'stat', '-c', '%u %g', '/home/agent')
      .split(' ');
    remote.incus(
      'exec',
      '--user',
      uid!,
      '--group',
      gid!,
      agent.container,
      '--',
      'sh',
      '-c',
      'mkdir -p /home/agent/.agentdesk/threads && cd /home/agent/.agentdesk/threads && ln -s /etc/shadow evil.json && mkdir dir.json && ' +
        'head -c 70000000 /dev/zero > zz-big.json && echo x > notes.txt',
    );
    const { threads } = await call(core.dispatcher, 'agents', 'threads', { id: agent.id });
    expect(threads.map((t) => t.thread_id)).toContain(result.thread_id);
    const copied = fs.readdirSync(
      path.join(stack.home, 'agents', agent.id, 'remote-home', '.agentdesk', 'threads'),
    );
    expect(copied).toEqual([`${result.thread_id}.json`]);
  }, 120_000);

  it('never gives the provider key to the remote', () => {
    // As the agent (its home, config, /tmp and its processes' environments), then the whole remote from here.
    const [uid, gid] = remote
      .incus('exec', agent.container, '--', 'stat', '-c', '%u %g', '/home/agent')
      .split(' ');
    const inside = remote.incus(
      'exec',
      '--user',
      uid!,
      '--group',
      gid!,
      agent.container,
      '--',
      'sh',
      '-c',
      `grep -rlsF '${REAL_KEY}' /opt/agentdesk /home/agent /tmp /proc/[0-9]*/environ 2>/dev/null | wc -l`,
    );
    expect(inside.trim()).toBe('0');
    expect(remote.incus('config', 'show', agent.container)).not.toContain(REAL_KEY);
    expect(filesHolding(remote.dir, REAL_KEY)).toEqual([]);
  }, 120_000);

  it('shows an outage within 5 s, the agent unreachable and not rolled back, and back after', async () => {
    const component = () =>
      call(core.dispatcher, 'system', 'health', {}).then((r) =>
        r.components.find((c) => c.name === 'engine:rinc'),
      );
    remote.pause();
    try {
      const t0 = Date.now();
      const down = await until(component, (c) => c?.state === 'missing', 8_000, 'engine:rinc missing');
      expect(Date.now() - t0).toBeLessThan(5_000);
      expect(down?.fix).toMatch(/core\.https_address/);
      const seen = await until(
        () => get(agent.id),
        (a) => a.engine_state === 'unreachable',
        5_000,
        'unreachable',
      );
      expect(seen.phase).toBe('running');
    } finally {
      remote.resume();
    }
    await until(component, (c) => c?.state === 'ok', 10_000, 'engine:rinc ok');
    const back = await until(
      () => get(agent.id),
      (a) => a.engine_state === 'reachable',
      10_000,
      'reachable',
    );
    expect(back.phase).toBe('running');
  }, 60_000);

  it('archives, restores (running again, chat works) and purges (container and volume gone there)', async () => {
    await call(core.dispatcher, 'agents', 'archive', { id: agent.id });
    const archived = await settled(agent.id, ['archived', 'failed']);
    expect(archived.phase, archived.phase_reason ?? '').toBe('archived');
    await call(core.dispatcher, 'agents', 'restore', { id: agent.id });
    const restored = await settled(agent.id);
    expect(restored.phase, `${restored.phase_reason ?? ''} ${(restored.failed_log ?? []).join(' ')}`).toBe(
      'running',
    );
    const again = await call(core.dispatcher, 'agents', 'chat', { id: agent.id, text: 'Again #tool=shell' });
    expect(again.error).toBeNull();
    // The thread written before the archive is still there: the home volume followed the agent.
    const { threads } = await call(core.dispatcher, 'agents', 'threads', { id: agent.id });
    expect(threads.length).toBeGreaterThanOrEqual(2);

    const volumesBefore = remote.incus('storage', 'volume', 'list', 'default', '-f', 'csv', '-c', 'tn');
    expect(volumesBefore).toMatch(/custom,agentdesk-/);
    await call(core.dispatcher, 'agents', 'purge', { id: agent.id });
    expect(remote.incus('list', '-f', 'csv', '-c', 'n')).not.toContain(restored.container);
    expect(remote.incus('storage', 'volume', 'list', 'default', '-f', 'csv', '-c', 'tn')).not.toMatch(
      /custom,agentdesk-/,
    );
  }, 600_000);
});

describe.skipIf(skip)('agents on a two-member Incus cluster', () => {
  let remote: RemoteIncus;
  let stack: ScriptedCore;
  let core: Core;

  beforeAll(async () => {
    ensureRuntimeBundle();
    remote = await startRemoteIncus({ members: 2 });
    stack = await startScriptedCore('agentdesk-test-rincc-', 'incus', {
      AGENTDESK_IMAGE_CACHE: imageCacheDir(),
    });
    core = stack.core;
  }, 900_000);

  afterAll(async () => {
    await stack?.close();
    await remote?.remove();
  }, 300_000);

  it('places an agent on the engine’s chosen member and shows it', async () => {
    await call(core.dispatcher, 'engines', 'add', {
      id: 'cluster',
      name: 'Cluster',
      kind: 'incus',
      transport: 'https',
      url: remote.url,
      token: remote.trustToken('agentdesk-core'),
      member: 'm2',
    });
    const created = await call(core.dispatcher, 'agents', 'create', {
      name: `rincc-${Math.random().toString(36).slice(2, 8)}`,
      model: 'scripted/gpt-test-mini',
      memory_mib: 512,
      engine: 'cluster',
    });
    const agent = await until(
      () => call(core.dispatcher, 'agents', 'get', { id: created.id }),
      (a) => a.phase === 'running' || a.phase === 'failed',
      300_000,
      'running',
    );
    expect(agent.phase, `${agent.phase_reason ?? ''} ${(agent.failed_log ?? []).join(' ')}`).toBe('running');
    const placed = await until(
      () => call(core.dispatcher, 'agents', 'get', { id: created.id }),
      (a) => a.member !== null,
      10_000,
      'its member',
    );
    expect(placed.member).toBe('m2');
    const chat = await call(core.dispatcher, 'agents', 'chat', {
      id: created.id,
      text: 'Run it #tool=shell',
    });
    expect(chat.error).toBeNull();
  }, 600_000);

  it('lists the cluster’s members, and places an agent on the member chosen at create over the engine’s', async () => {
    const { members } = await call(core.dispatcher, 'engines', 'members', { id: 'cluster' });
    expect(members.map((m) => [m.name, m.online])).toEqual([
      ['m1', true],
      ['m2', true],
    ]);
    const refused = await call(core.dispatcher, 'agents', 'create', {
      name: 'rincc-nowhere',
      model: 'scripted/gpt-test-mini',
      engine: 'cluster',
      member: 'm9',
    }).catch((e: Error) => e.message);
    expect(refused).toMatch(/member: "m9" is not a member of the engine "cluster"; valid: m1, m2/);
    const created = await call(core.dispatcher, 'agents', 'create', {
      name: `rincc-${Math.random().toString(36).slice(2, 8)}`,
      model: 'scripted/gpt-test-mini',
      memory_mib: 512,
      engine: 'cluster',
      member: 'm1',
    });
    const agent = await until(
      () => call(core.dispatcher, 'agents', 'get', { id: created.id }),
      (a) => a.phase === 'running' || a.phase === 'failed',
      300_000,
      'running',
    );
    expect(agent.phase, `${agent.phase_reason ?? ''} ${(agent.failed_log ?? []).join(' ')}`).toBe('running');
    const placed = await until(
      () => call(core.dispatcher, 'agents', 'get', { id: created.id }),
      (a) => a.member !== null,
      10_000,
      'its member',
    );
    expect(placed.member).toBe('m1');
    expect(remote.incus('list', '-f', 'csv', '-c', 'nL')).toContain(`${created.container},m1`);
    const chat = await call(core.dispatcher, 'agents', 'chat', {
      id: created.id,
      text: 'Run it #tool=shell',
    });
    expect(chat.error).toBeNull();
  }, 600_000);
});
