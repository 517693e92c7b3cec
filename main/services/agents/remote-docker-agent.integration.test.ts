// An agent on a remote Docker engine, end to end through the core: a second dockerd in a network namespace,
// reached over tcp+TLS and over ssh:// (system ssh, dial-stdio), the gateway reached over TLS through the relay.
import { execFileSync, spawnSync } from 'node:child_process';
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Agent } from '../../../contract/agents';
import { ensureRuntimeBundle, runtimeReachable, until } from '../../../test/agents';
import { ensureBaseImage } from '../../../test/base-image';
import { litellmInstalled, REAL_KEY } from '../../../test/llm-stack';
import { skipUnlessReal } from '../../../test/real';
import { remoteDockerAvailable, startRemoteDocker } from '../../../test/remote-docker';
import type { RemoteDocker } from '../../../test/remote-docker';
import { startScriptedCore } from '../../../test/scripted-core';
import type { ScriptedCore } from '../../../test/scripted-core';
import { call } from '../../transport/dispatch';

const skip = skipUnlessReal(
  runtimeReachable('docker') && litellmInstalled() && remoteDockerAvailable(),
  'Docker, LiteLLM, root with dockerd/sshd/openssl (a second engine in a network namespace)',
);

/** GET on the remote engine's own socket, bypassing the transports under test (what is really there). */
function engineGet<T>(remote: RemoteDocker, path: string): Promise<T> {
  return new Promise((resolve, reject) => {
    http
      .get({ socketPath: remote.socketPath, path, headers: { Host: 'localhost' } }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => {
          try {
            resolve(JSON.parse(body) as T);
          } catch (err) {
            reject(err instanceof Error ? err : new Error(String(err)));
          }
        });
      })
      .on('error', reject);
  });
}

describe.skipIf(skip).each(['tls', 'ssh'] as const)(
  'an agent on a remote Docker engine over %s',
  (transport) => {
    let remote: RemoteDocker;
    let stack: ScriptedCore;
    let agent: Agent;
    const engine = `lab-${transport}`;
    const get = (id: string) => call(stack.core.dispatcher, 'agents', 'get', { id });
    const settled = (id: string, phases: string[], ms = 300_000) =>
      until(
        () => get(id),
        (a) => phases.includes(a.phase) || a.phase === 'failed',
        ms,
        phases.join('/'),
      );

    beforeAll(async () => {
      await ensureBaseImage(['docker']);
      ensureRuntimeBundle();
      remote = await startRemoteDocker({ ssh: transport === 'ssh' });
      stack = await startScriptedCore(
        `agentdesk-test-rdock-${transport}-`,
        'docker',
        transport === 'ssh' ? { AGENTDESK_SSH_CONFIG: remote.sshd!.sshConfigFile } : {},
      );
      const t = transport === 'tls' ? remote.tlsTarget() : remote.sshTarget();
      await call(stack.core.dispatcher, 'engines', 'add', {
        id: engine,
        name: `Lab (${transport})`,
        kind: 'docker',
        ...(t.transport === 'tls'
          ? {
              transport: 'tls',
              host: t.host,
              port: t.port,
              ca_pem: t.caPem,
              cert_pem: t.certPem,
              key_pem: t.keyPem,
            }
          : { transport: 'ssh', ssh: t.ssh }),
      });
      const created = await call(stack.core.dispatcher, 'agents', 'create', {
        name: `remote-${transport}-${Math.random().toString(36).slice(2, 7)}`,
        model: 'scripted/gpt-test-mini',
        memory_mib: 512,
        engine,
      });
      agent = await settled(created.id, ['running'], 600_000);
      expect(agent.phase, agent.phase_reason ?? '').toBe('running');
    }, 900_000);

    afterAll(async () => {
      await stack?.close();
      await remote?.stop();
    }, 120_000);

    it('runs there, not here, and says where', async () => {
      expect(agent).toMatchObject({ engine, engine_state: 'reachable' });
      const there = await engineGet<{ Names: string[] }[]>(remote, '/containers/json');
      expect(there.flatMap((c) => c.Names)).toContain(`/${agent.container}`);
      const here = execFileSync('docker', ['ps', '-a', '--format', '{{.Names}}'], { encoding: 'utf8' });
      expect(here.split('\n')).not.toContain(agent.container);
    });

    it('chats with a tool call, traced through the TLS gateway path', async () => {
      const r = await call(stack.core.dispatcher, 'agents', 'chat', {
        id: agent.id,
        text: 'Run it #tool=shell',
      });
      expect(r.error).toBeNull();
      expect(r.reply).toMatch(/chunk0/);
      const events = await until(
        () => call(stack.core.dispatcher, 'traces', 'list', { agent_id: agent.id, trace_id: r.turn_id }),
        (p) => p.events.some((e) => e.kind === 'tool_result'),
        30_000,
        'the tool events posted by the runtime',
      );
      const kinds = events.events.map((e) => e.kind);
      expect(kinds).toEqual(
        expect.arrayContaining(['message_in', 'llm_call', 'tool_call', 'tool_result', 'message_out']),
      );
      const threads = await call(stack.core.dispatcher, 'agents', 'threads', { id: agent.id });
      expect(threads.threads.map((t) => t.thread_id)).toContain(r.thread_id);
      const thread = await call(stack.core.dispatcher, 'agents', 'thread', {
        id: agent.id,
        thread_id: r.thread_id,
      });
      expect(JSON.stringify(thread)).toContain('Run it #tool=shell');
    }, 120_000);

    it('leaves no provider key on the remote engine', () => {
      // Everything the engine holds: containers' config and env, volumes' files, images — its whole data root.
      const r = spawnSync(
        'grep',
        ['-rlaF', '--devices=skip', '--exclude-dir=netns', '--', REAL_KEY, remote.dir],
        { encoding: 'utf8' },
      );
      // 1: no file holds it (0 would list them; 2 an error, with the reason on stderr).
      expect(r.stdout).toBe('');
      expect(r.status).toBe(1);
    });

    it('an engine stopped mid-session: unhealthy within 5 s, its agent unreachable, running again after', async () => {
      const component = () =>
        call(stack.core.dispatcher, 'system', 'health', {}).then((r) =>
          r.components.find((c) => c.name === `engine:${engine}`),
        );
      expect((await component())?.state).toBe('ok');
      await remote.stopEngine();
      const down = await until(
        component,
        (c) => c !== undefined && c.state !== 'ok',
        5_000,
        'the engine reported down',
      );
      expect(down?.fix).not.toBe('');
      const away = await until(
        get.bind(null, agent.id),
        (a) => a.engine_state === 'unreachable',
        5_000,
        'unreachable',
      );
      // Nothing rolled back, purged or redeployed for an outage: the daemon stopped the container as it went
      // down (its event may have arrived first), the agent keeps its container.
      expect(['running', 'stopped']).toContain(away.phase);
      expect(away.container).toBe(agent.container);
      await remote.startEngine();
      await until(component, (c) => c?.state === 'ok', 30_000, 'the engine healthy again');
      // The engine starts the container again as its daemon comes back (restart policy unless-stopped), and
      // the core follows: the agent is running again, verified.
      const back = await until(
        get.bind(null, agent.id),
        (a) => a.engine_state === 'reachable' && (a.phase === 'running' || a.phase === 'failed'),
        180_000,
        'the agent running again',
      );
      expect(back.phase, back.phase_reason ?? '').toBe('running');
      expect(back.container).toBe(agent.container);
      const r = await call(stack.core.dispatcher, 'agents', 'chat', { id: agent.id, text: 'Back?' });
      expect(r.error).toBeNull();
    }, 300_000);

    it('keeps running across a restart of the core (agents left running): reconciled, reachable, chat works', async () => {
      await call(stack.core.dispatcher, 'settings', 'update', { stop_agents_on_quit: false });
      const startedAt = (await get(agent.id)).running_since;
      await stack.restart();
      const back = await until(
        () => get(agent.id),
        (a) => a.phase === 'running' && a.engine_state === 'reachable',
        120_000,
        'the agent running and reachable after the core restarted',
      );
      // The same container, not redeployed: the gateway path (TLS listener, relay, SSH tunnel) came back to it.
      expect(back.running_since).toBe(startedAt);
      const answer = await until(
        () => call(stack.core.dispatcher, 'agents', 'chat', { id: agent.id, text: 'After the restart?' }),
        (r) => r.error === null,
        120_000,
        'a chat turn after the restart',
      );
      expect(answer.error).toBeNull();
    }, 600_000);

    it('archives, restores (chat works again) and purges, leaving nothing of the agent there', async () => {
      await call(stack.core.dispatcher, 'agents', 'archive', { id: agent.id });
      expect((await settled(agent.id, ['archived'])).phase).toBe('archived');
      await call(stack.core.dispatcher, 'agents', 'restore', { id: agent.id });
      const back = await settled(agent.id, ['running']);
      expect(back.phase, back.phase_reason ?? '').toBe('running');
      const again = await call(stack.core.dispatcher, 'agents', 'chat', {
        id: agent.id,
        text: 'Still there?',
      });
      expect(again.error).toBeNull();
      await call(stack.core.dispatcher, 'agents', 'purge', { id: agent.id });
      const containers = await engineGet<{ Labels: Record<string, string> }[]>(
        remote,
        '/containers/json?all=1',
      );
      expect(containers.filter((c) => c.Labels['agentdesk.agent_id'] === agent.id)).toEqual([]);
      const volumes = await engineGet<{ Volumes: { Labels: Record<string, string> | null }[] | null }>(
        remote,
        '/volumes',
      );
      expect((volumes.Volumes ?? []).filter((v) => v.Labels?.['agentdesk.agent_id'] === agent.id)).toEqual(
        [],
      );
    }, 600_000);

    it('removing the engine from Agent Desk removes its relay, egress proxy, their volume and networks there', async () => {
      const ours = async () => ({
        containers: (await engineGet<{ Names: string[] }[]>(remote, '/containers/json?all=1'))
          .flatMap((c) => c.Names.map((n) => n.replace(/^\//, '')))
          .filter((n) => n.startsWith('agentdesk-'))
          .sort(),
        networks: (await engineGet<{ Name: string }[]>(remote, '/networks'))
          .map((n) => n.Name)
          .filter((n) => n.startsWith('agentdesk-'))
          .sort(),
        volumes: ((await engineGet<{ Volumes: { Name: string }[] | null }>(remote, '/volumes')).Volumes ?? [])
          .map((v) => v.Name)
          .filter((n) => n.startsWith('agentdesk-'))
          .sort(),
      });
      const before = await ours();
      expect(before.containers).toEqual(['agentdesk-egress-proxy', 'agentdesk-gateway-relay']);
      expect(before.networks).toEqual(expect.arrayContaining(['agentdesk-egress-out', 'agentdesk-remote']));
      expect(before.volumes).toContain('agentdesk-egress-table');
      await call(stack.core.dispatcher, 'engines', 'remove', { id: engine });
      expect(await ours()).toEqual({ containers: [], networks: [], volumes: [] });
    }, 300_000);
  },
);
