// A named engine whose target refuses connections: a health component with its fix within 5 s, its agents
// "unreachable" (no phase change, nothing rolled back), reconciled when it answers; agents.create on engines.
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCore } from '../../app/bootstrap';
import type { Core } from '../../app/bootstrap';
import { call } from '../../transport/dispatch';
import { testOptions } from '../../../test/app-options';
import { agentRow } from '../../../test/agents';
import { closedPort, tcpEngineRuntime, testPems } from '../../../test/engines';
import type { ContainerInfo } from '../runtimes/container-runtime';
import { LABELS } from '../runtimes/container-runtime';
import { openDatabase } from '../storage/database';

let home: string;
let core: Core;
let port: number;
let listener: net.Server | null = null;
const AGENT = '11111111-2222-4333-8444-555555555555';

/** The state of the agent's container on the stand-in engine. */
let state: ContainerInfo['state'] = 'running';
/** What the stand-in engine reports: the agent's container. */
const containers = (): ContainerInfo[] => [
  {
    id: 'c1',
    name: 'agentdesk-remote-ada',
    image: 'agentdesk/agent-base:2',
    state,
    labels: { [LABELS.agentId]: AGENT, [LABELS.managed]: '1', [LABELS.instance]: 'x' },
    startedAt: 1,
  } as unknown as ContainerInfo,
];

async function until<T>(what: string, get: () => Promise<T>, ok: (v: T) => boolean, ms = 5000): Promise<T> {
  const end = Date.now() + ms;
  let last: T = await get();
  while (!ok(last)) {
    if (Date.now() > end) throw new Error(`${what}: not within ${ms} ms; last ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 100));
    last = await get();
  }
  return last;
}

beforeAll(async () => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-engine-outage-'));
  port = await closedPort();
  core = await start();
});

/** A core on `home` whose named engines are stand-ins on their TCP port. */
const start = (): Promise<Core> =>
  startCore({
    home,
    app: testOptions({ AGENTDESK_IMAGE_RECIPE_DIR: '/nonexistent-agentdesk-recipe' }),
    mode: 'headless',
    healthIntervalMs: 0,
    engineProbeMs: 500,
    log: pino({ level: 'silent' }),
    runtimeFactory: (rec) => {
      const rt = tcpEngineRuntime(
        rec.target.kind,
        rec.target.transport === 'tls' ? rec.target.port : 9,
        containers,
      );
      // An Incus cluster engine: the stand-in lists two members.
      if (rec.target.kind !== 'incus') return rt;
      return new Proxy(rt, {
        get: (t, prop, receiver) =>
          prop === 'members'
            ? () =>
                Promise.resolve([
                  {
                    name: 'm1',
                    url: 'https://10.0.0.2:8443',
                    status: 'Online',
                    message: 'Fully operational',
                  },
                  { name: 'm2', url: 'https://10.0.0.3:8443', status: 'Offline', message: 'No heartbeat' },
                ])
            : (Reflect.get(t, prop, receiver) as unknown),
      });
    },
    incusEnrol: () => {
      const p = testPems();
      return Promise.resolve({ serverCertPem: p.caPem, clientCertPem: p.certPem, clientKeyPem: p.keyPem });
    },
  });
afterAll(async () => {
  await core.shutdown();
  listener?.close();
  fs.rmSync(home, { recursive: true, force: true });
});

describe('a named engine that refuses connections', () => {
  it('is an unhealthy component with its fix, its agents unreachable, and reconciled when it answers', async () => {
    const p = testPems();
    const added = await call(core.dispatcher, 'engines', 'add', {
      id: 'lab',
      name: 'Lab',
      kind: 'docker',
      transport: 'tls',
      host: '127.0.0.1',
      port,
      ca_pem: p.caPem,
      cert_pem: p.certPem,
      key_pem: p.keyPem,
    });
    expect(added.health.state).toBe('missing');
    expect(added.health.fix).toMatch(new RegExp(`port ${port}`));

    const component = () =>
      call(core.dispatcher, 'system', 'health', {}).then((r) =>
        r.components.find((c) => c.name === 'engine:lab'),
      );
    const down = await until('engine:lab missing', component, (c) => c?.state === 'missing');
    expect(down?.detail).toMatch(/not reachable: .*ECONNREFUSED/);

    // An agent recorded on it, running when the engine went away.
    const db = openDatabase(path.join(home, 'agentdesk.db'));
    db.prepare(
      `INSERT INTO agents (id, slug, name, emoji, harness, runtime, model, fallbacks, memory_mib, cpus, phase,
         phase_reason, phase_at, failed_log, container, runtime_port, key_id, created_at, running_since, archive_dir,
         runtime_endpoint, pids_limit, folders, engine)
       VALUES (@id, @slug, @name, @emoji, @harness, @runtime, @model, @fallbacks, @memory_mib, @cpus, @phase,
         @phase_reason, @phase_at, @failed_log, @container, @runtime_port, @key_id, @created_at, @running_since,
         @archive_dir, @runtime_endpoint, @pids_limit, @folders, @engine)`,
    ).run(
      agentRow(AGENT, {
        slug: 'remote-ada',
        name: 'Remote Ada',
        engine: 'lab',
        phase: 'running',
        running_since: 1,
        container: 'agentdesk-remote-ada',
      }),
    );
    db.close();

    const ada = () => call(core.dispatcher, 'agents', 'get', { id: AGENT });
    const seen = await until('agent unreachable', ada, (a) => a.engine_state === 'unreachable');
    expect(seen).toMatchObject({ phase: 'running', engine: 'lab', engine_name: 'Lab', member: null });
    const removed = await call(core.dispatcher, 'engines', 'remove', { id: 'lab' }).then(
      () => '',
      (e: Error) => e.message,
    );
    expect(removed).toMatch(/still has agents: Remote Ada \(running\)/);

    // Nothing was rolled back or changed during the outage.
    await new Promise((r) => setTimeout(r, 1200));
    expect(await ada()).toMatchObject({ phase: 'running', engine_state: 'unreachable', phase_reason: null });

    // The engine answers again (its host rebooted: the container is stopped): healthy within 5 s, the agent
    // reachable and reconciled by the engine's report, its container kept (no redeploy, no purge).
    state = 'stopped';
    listener = net.createServer((s) => s.destroy());
    await new Promise<void>((r) => listener!.listen(port, '127.0.0.1', r));
    await until('engine:lab ok', component, (c) => c?.state === 'ok');
    const back = await until(
      'agent reconciled',
      ada,
      (a) => a.engine_state === 'reachable' && a.phase === 'stopped',
    );
    expect(back.phase_reason).toBe('Stopped while the engine "Lab" was not reachable');
    expect(back.container).toBe('agentdesk-remote-ada');
  });

  it('is kept when the core starts again: its runtime rebuilt, probed, its agent shown on it', async () => {
    await core.shutdown();
    core = await start();
    const { engines } = await call(core.dispatcher, 'engines', 'list', {});
    expect(engines.map((e) => [e.id, e.name, e.agents])).toEqual([['lab', 'Lab', 1]]);
    await until(
      'engine:lab ok after a restart',
      () =>
        call(core.dispatcher, 'system', 'health', {}).then((r) =>
          r.components.find((c) => c.name === 'engine:lab'),
        ),
      (c) => c?.state === 'ok',
    );
    expect(await call(core.dispatcher, 'agents', 'get', { id: AGENT })).toMatchObject({
      engine: 'lab',
      engine_name: 'Lab',
      engine_state: 'reachable',
      phase: 'stopped',
    });
  });
});

describe('agents.create on engines', () => {
  const create = (over: Record<string, unknown>) =>
    call(core.dispatcher, 'agents', 'create', { name: 'Eve', model: 'p/m', ...over }).then(
      () => 'created',
      (e: Error) => e.message,
    );

  it('refuses an unknown engine, listing the valid ones', async () => {
    expect(await create({ engine: 'nowhere' })).toMatch(
      /engine: "nowhere" is not an engine; valid: local, lab/,
    );
  });

  it('accepts an egress policy on a remote Incus engine and on a remote Docker engine (their egress proxies)', async () => {
    await call(core.dispatcher, 'engines', 'add', {
      id: 'inc',
      name: 'Incus lab',
      kind: 'incus',
      transport: 'https',
      url: 'https://10.0.0.3:8443',
      token: 'a-token-long-enough-to-pass',
    });
    expect(await create({ engine: 'inc', egress: 'allowlist', allow: ['example.com:443'] })).not.toMatch(
      /egress/,
    );
    expect(await create({ engine: 'inc', egress: 'open' })).not.toMatch(/egress/);
    expect(await create({ engine: 'lab', egress: 'allowlist', allow: ['example.com:443'] })).not.toMatch(
      /egress/,
    );
    await call(core.dispatcher, 'engines', 'remove', { id: 'inc' });
  });

  it('lists an engine’s cluster members: an Incus cluster’s, none for a Docker engine', async () => {
    await call(core.dispatcher, 'engines', 'add', {
      id: 'cl',
      name: 'Cluster',
      kind: 'incus',
      transport: 'https',
      url: 'https://10.0.0.2:8443',
      token: 'a-token-long-enough-to-pass',
    });
    expect(await call(core.dispatcher, 'engines', 'members', { id: 'cl' })).toEqual({
      members: [
        { name: 'm1', status: 'Online', online: true, message: 'Fully operational' },
        { name: 'm2', status: 'Offline', online: false, message: 'No heartbeat' },
      ],
    });
    expect(await call(core.dispatcher, 'engines', 'members', { id: 'lab' })).toEqual({ members: [] });
    expect(
      await call(core.dispatcher, 'engines', 'members', { id: 'nowhere' }).catch((e: Error) => e.message),
    ).toMatch(/No engine with the id "nowhere"/);
  });

  it('refuses a member on this machine, on a Docker engine, and one the cluster does not list', async () => {
    expect(await create({ member: 'm1' })).toMatch(
      /member: a cluster member is chosen only on an Incus engine; "local" is this machine/,
    );
    expect(await create({ engine: 'lab', member: 'm1' })).toMatch(
      /member: a cluster member is chosen only on an Incus engine; "lab" is a docker engine/,
    );
    expect(await create({ engine: 'cl', member: 'm9' })).toMatch(
      /member: "m9" is not a member of the engine "cl"; valid: m1, m2/,
    );
    expect(await create({ engine: 'cl', member: 'bad name!' })).toMatch(/member.*cluster member name/);
  });

  it('refuses a runtime that is not the engine’s kind', async () => {
    expect(await create({ engine: 'lab', runtime: 'incus' })).toMatch(
      /runtime: the engine "lab" is docker, not incus/,
    );
  });
});

describe('the member an agent shows', () => {
  it('is the member recorded at create while Incus has not said where the agent is', async () => {
    const id = '21111111-2222-4333-8444-555555555555';
    const db = openDatabase(path.join(home, 'agentdesk.db'));
    db.prepare(
      `INSERT INTO agents (id, slug, name, emoji, harness, runtime, model, fallbacks, memory_mib, cpus, phase,
         phase_reason, phase_at, failed_log, container, runtime_port, key_id, created_at, running_since, archive_dir,
         runtime_endpoint, pids_limit, folders, engine, member)
       VALUES (@id, @slug, @name, @emoji, @harness, @runtime, @model, @fallbacks, @memory_mib, @cpus, @phase,
         @phase_reason, @phase_at, @failed_log, @container, @runtime_port, @key_id, @created_at, @running_since,
         @archive_dir, @runtime_endpoint, @pids_limit, @folders, @engine, @member)`,
    ).run(
      agentRow(id, {
        slug: 'placed-bo',
        name: 'Placed Bo',
        runtime: 'incus',
        engine: 'cl',
        member: 'm2',
        phase: 'stopped',
        container: 'agentdesk-placed-bo',
      }),
    );
    db.close();
    // The cluster's stand-in does not answer, so no lookup can say where the agent is.
    const bo = await call(core.dispatcher, 'agents', 'get', { id });
    expect(bo).toMatchObject({ engine: 'cl', engine_name: 'Cluster', member: 'm2' });
  });
});
