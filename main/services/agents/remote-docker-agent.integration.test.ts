// An agent on a remote Docker engine, end to end through the core: a second dockerd in a network namespace,
// reached over tcp+TLS and over ssh:// (system ssh, dial-stdio), the gateway reached over TLS through the relay.
import { execFileSync } from 'node:child_process';
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
            reject(err as Error);
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

    it('leaves no provider key on the remote engine', async () => {
      // Everything the engine holds: containers' config and env, volumes' files, images — its whole data root.
      const hits = execFileSync('grep', ['-rIl', '--', REAL_KEY, remote.dir], { encoding: 'utf8' }).trim();
      expect(hits).toBe('');
    });

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
  },
);
