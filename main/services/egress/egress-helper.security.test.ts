// Egress for a core that is NOT root (a desktop user in the docker group): a real `agentdesk serve` as a fresh user, its helper container, agents' reach, and a helper that refuses other chains.
import { execFileSync, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureRuntimeBundle, runtimeReachable, until } from '../../../test/agents';
import { ensureBaseImage } from '../../../test/base-image';
import { NAMES, PORTS, dropDockerNetwork, hostServices, outsideWorld } from '../../../test/egress-world';
import type { OutsideWorld } from '../../../test/egress-world';
import { buildChildCore, startChildCore } from '../../../test/faults/child-core';
import type { ChildCore } from '../../../test/faults/child-core';
import { withModelApis } from '../../../test/fixtures/scripted-llm';
import { ScriptedUpstream } from '../../../test/fixtures/scripted-upstream';
import { litellmInstalled, REAL_KEY } from '../../../test/llm-stack';
import { skipUnlessReal } from '../../../test/real';
import { canCreateUsers, createTestUser } from '../../../test/unprivileged-user';
import type { TestUser } from '../../../test/unprivileged-user';

const root = path.resolve(__dirname, '..', '..', '..');
const tools = (() => {
  try {
    execFileSync('sh', ['-c', 'command -v ip && command -v dnsmasq && command -v iptables'], {
      stdio: 'ignore',
    });
    return true;
  } catch {
    return false;
  }
})();
const skip = skipUnlessReal(
  runtimeReachable('docker') && litellmInstalled() && canCreateUsers() && tools,
  'Docker, LiteLLM, root (to create a user) and ip/dnsmasq/iptables',
);

/** Builds out/egress-helper/egress-helper.cjs (with the runtime bundle) when older than its sources. */
function ensureEgressHelperBundle(): void {
  const out = path.join(root, 'out', 'egress-helper', 'egress-helper.cjs');
  const src = path.join(root, 'main', 'services', 'egress');
  const newest = Math.max(...fs.readdirSync(src).map((f) => fs.statSync(path.join(src, f)).mtimeMs));
  if (!fs.existsSync(out) || fs.statSync(out).mtimeMs < newest)
    execFileSync(process.execPath, [path.join(root, 'scripts', 'build-runtime.mjs')], { stdio: 'inherit' });
}

/** `docker exec <container> curl` → the body, or `refused (<code>)`. */
function curl(container: string, url: string): string {
  try {
    return execFileSync('docker', ['exec', container, 'curl', '-sS', '-m', '3', url], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch (e) {
    return `refused (${(e as { status?: number }).status})`;
  }
}

/** Every IPv4 address of this host but loopback: a service on 0.0.0.0 answers on each. */
function hostAddresses(): string[] {
  return Object.values(os.networkInterfaces())
    .flat()
    .filter((a) => a && a.family === 'IPv4' && !a.internal)
    .map((a) => a!.address);
}

describe.skipIf(skip)('egress enforced for a core that is not root (helper container, Docker)', () => {
  const hex = crypto.randomBytes(4).toString('hex');
  const network = `adegh-test-${hex}`;
  let user: TestUser;
  let dataHome: string;
  let core: ChildCore;
  let bundle: Awaited<ReturnType<typeof buildChildCore>>;
  let up: ScriptedUpstream;
  let world: OutsideWorld;
  let host: Awaited<ReturnType<typeof hostServices>>;
  let helper = '';

  /** Calls the child core's API; throws its error envelope. */
  async function api<T>(group: string, method: string, input: unknown): Promise<T> {
    const r = (await core.call(group, method, input)) as {
      ok: boolean;
      value?: T;
      error?: { code: string; message: string };
    };
    if (!r.ok) throw new Error(`${group}.${method}: ${r.error?.code} ${r.error?.message}`);
    return r.value as T;
  }
  type Agent = {
    id: string;
    container: string;
    phase: string;
    phase_reason?: string | null;
    egress: { enforcement: string };
  };
  type Event = {
    kind: string;
    payload: { address: string | null; port: number | null; host: string | null; rule: string };
  };
  const refusals = async (id: string) =>
    (await api<{ events: Event[] }>('traces', 'list', { agent_id: id, kinds: ['egress'], limit: 1000 }))
      .events;
  const waitRunning = (id: string) =>
    until(
      () => api<Agent>('agents', 'get', { id }),
      (a) => a.phase === 'running' || a.phase === 'failed',
      240_000,
      'the agent running',
    );

  beforeAll(async () => {
    await ensureBaseImage(['docker']);
    ensureRuntimeBundle();
    ensureEgressHelperBundle();
    bundle = await buildChildCore();
    world = await outsideWorld();
    host = await hostServices();
    up = await withModelApis(new ScriptedUpstream({ key: REAL_KEY, models: ['gpt-test-mini'] })).start();
    user = createTestUser(['docker']);
    dataHome = path.join(user.home, 'data');
    user.own(dataHome);
    core = await startChildCore(
      bundle.entry,
      dataHome,
      {
        HOME: user.home,
        USER: user.name,
        DBUS_SESSION_BUS_ADDRESS: '',
        XDG_RUNTIME_DIR: '',
        AGENTDESK_APP_ROOT: root,
        AGENTDESK_KEY_SCRIPTED: REAL_KEY,
        AGENTDESK_EGRESS_DNS: world.dns,
        AGENTDESK_DOCKER_NETWORK: network,
        AGENTDESK_IMAGE_CACHE: path.join(user.home, 'images'),
        AGENTDESK_EGRESS: '',
      },
      (argv) => user.wrap(argv),
    );
    await api('settings', 'update', { container_runtime: 'docker' });
    await api('providers', 'add', { type: 'openai-compatible', name: 'Scripted', base_url: up.v1 });
    await until(
      () => api<{ litellm: { state: string } }>('llm', 'status', {}),
      (s) => s.litellm.state === 'ready',
      180_000,
      'LiteLLM ready',
    );
  }, 900_000);

  afterAll(async () => {
    for (const a of (await api<{ agents: Agent[] }>('agents', 'list', {}).catch(() => ({ agents: [] })))
      .agents)
      await api('agents', 'purge', { id: a.id }).catch(() => undefined);
    if (core) {
      process.kill(core.pid, 'SIGTERM');
      await Promise.race([core.exited, new Promise((r) => setTimeout(r, 20_000))]);
      core.kill();
    }
    // The helper container this test's core made (named after its data dir), and its network's base rules.
    if (helper) execFileSync('docker', ['rm', '-f', helper], { stdio: 'ignore' });
    dropDockerNetwork(network);
    await up?.stop();
    world?.close();
    host?.close();
    user?.remove();
    bundle?.remove();
  }, 300_000);

  it('the core runs as the new user, not root, and says egress is enforced by its helper container', async () => {
    const status = fs.readFileSync(`/proc/${core.pid}/status`, 'utf8');
    expect(status).toMatch(new RegExp(`^Uid:\\s+${user.uid}\\s+${user.uid}\\s`, 'm'));
    const egress = await until(
      async () =>
        (
          await api<{ components: { name: string; state: string; detail: string }[] }>('system', 'health', {
            refresh: true,
          })
        ).components.find((c) => c.name === 'egress'),
      (c) => c?.state !== 'starting',
      600_000,
      'egress enforcement chosen (the helper image may be building)',
    );
    expect(egress).toMatchObject({ state: 'ok' });
    const name = /egress helper container (agentdesk-egress-[0-9a-f]{16})/.exec(egress!.detail)?.[1];
    expect(name, egress!.detail).toBeTruthy();
    helper = name!;
    const inspected = JSON.parse(execFileSync('docker', ['inspect', helper], { encoding: 'utf8' })) as {
      State: { Running: boolean };
      Config: { Labels: Record<string, string> };
      HostConfig: {
        NetworkMode: string;
        CapAdd: string[];
        CapDrop: string[];
        Privileged: boolean;
        Binds: string[] | null;
        ReadonlyRootfs: boolean;
        PidMode: string;
      };
      Mounts: { Source: string }[];
    }[];
    const info = inspected[0]!;
    expect(info.State.Running).toBe(true);
    expect(info.Config.Labels).toMatchObject({ 'agentdesk.role': 'egress-helper' });
    expect(info.HostConfig).toMatchObject({
      NetworkMode: 'host',
      Privileged: false,
      ReadonlyRootfs: true,
      PidMode: '',
    });
    expect([...info.HostConfig.CapAdd].sort()).toEqual(['NET_ADMIN', 'NET_RAW', 'SYSLOG']);
    expect(info.HostConfig.CapDrop).toEqual(['ALL']);
    // Nothing of the data dir (or of the user's files) is mounted: at most the host's xtables lock.
    for (const m of info.Mounts) expect(m.Source).toBe('/run/xtables.lock');
  }, 660_000);

  it('an agent reaches its gateway and its allowlist; outside hosts and the host’s 0.0.0.0 services are refused and traced; a policy change applies live', async () => {
    const created = await api<Agent>('agents', 'create', {
      name: `Helper Egress ${hex}`,
      model: 'scripted/gpt-test-mini',
      memory_mib: 256,
      allow: [`${NAMES.allowed}:${PORTS.tcp}`],
    });
    const agent = await waitRunning(created.id);
    // `running` = the runtime listed the models through the gateway with its key, from inside.
    expect(agent.phase, agent.phase_reason ?? '').toBe('running');
    expect(agent.egress.enforcement).toBe('helper');
    const gw = await api<{ gateway: { port: number; addresses: string[] } }>('llm', 'status', {});
    const bridge = gw.gateway.addresses.find((a) => a !== '127.0.0.1')!;
    expect(curl(agent.container, `http://${bridge}:${gw.gateway.port}/v1/models`)).toMatch(/"error"/); // the gateway's own answer (no key)

    // The allowlist: the allowed name and port answer; the same host on another port, another host do not.
    expect(curl(agent.container, `http://${NAMES.allowed}:${PORTS.tcp}/`)).toBe(`A:${PORTS.tcp}`);
    expect(curl(agent.container, `http://${world.a}:${PORTS.tcpOther}/`)).toMatch(/^refused/);
    expect(curl(agent.container, `http://${world.b}:${PORTS.tcp}/`)).toMatch(/^refused/);
    // The host's own services on 0.0.0.0, on the bridge address and every other host address.
    for (const address of [bridge, ...hostAddresses()])
      expect(curl(agent.container, `http://${address}:${host.tcp}/`), address).toMatch(/^refused/);

    // Refusals reach the trace: the kernel log lines come through the helper.
    const events = await until(
      () => refusals(agent.id),
      (es) =>
        es.some(
          (e) =>
            e.payload.address === world.b && e.payload.port === PORTS.tcp && e.payload.rule === 'not_allowed',
        ) && es.some((e) => e.payload.port === host.tcp && e.payload.rule === 'host_service'),
      20_000,
      'egress refusals traced',
    );
    expect(
      events.find((e) => e.payload.address === world.a && e.payload.port === PORTS.tcpOther)?.payload.host,
    ).toBe(NAMES.allowed);

    // Live policy changes, same container, same start.
    const started = execFileSync('docker', ['inspect', '-f', '{{.State.StartedAt}}', agent.container], {
      encoding: 'utf8',
    });
    await api('agents', 'policy', { id: agent.id, egress: 'none' });
    expect(curl(agent.container, `http://${world.a}:${PORTS.tcp}/`)).toMatch(/^refused/);
    await api('agents', 'policy', { id: agent.id, egress: 'open' });
    expect(curl(agent.container, `http://${world.b}:${PORTS.tcp}/`)).toBe(`B:${PORTS.tcp}`);
    expect(curl(agent.container, `http://${bridge}:${host.tcp}/`)).toMatch(/^refused/); // open never opens the host
    expect(
      execFileSync('docker', ['inspect', '-f', '{{.State.StartedAt}}', agent.container], {
        encoding: 'utf8',
      }),
    ).toBe(started);
  }, 600_000);

  it('a helper container removed under the core is made again on the next change; refusals are traced again', async () => {
    expect(helper).toBeTruthy();
    const agent = (await api<{ agents: Agent[] }>('agents', 'list', {})).agents[0]!;
    const before = execFileSync('docker', ['inspect', '-f', '{{.Id}}', helper], { encoding: 'utf8' }).trim();
    execFileSync('docker', ['rm', '-f', helper], { stdio: 'ignore' });
    // The rules stay in the host firewall meanwhile: the agent is still contained.
    expect(curl(agent.container, `http://${world.a}:${PORTS.tcp}/`)).toBe(`A:${PORTS.tcp}`); // open, from the last test
    await api('agents', 'policy', { id: agent.id, egress: 'none' });
    expect(curl(agent.container, `http://${world.a}:${PORTS.tcp}/`)).toMatch(/^refused/);
    const after = execFileSync('docker', ['inspect', '-f', '{{.Id}}', helper], { encoding: 'utf8' }).trim();
    expect(after).not.toBe(before);
    // A refusal after the new session began reaches the trace (the kernel log is followed again).
    const since = Date.now();
    expect(curl(agent.container, `http://${world.b}:${PORTS.udp}/`)).toMatch(/^refused/);
    await until(
      async () =>
        (
          await api<{ events: Event[] }>('traces', 'list', {
            agent_id: agent.id,
            kinds: ['egress'],
            since,
            limit: 100,
          })
        ).events,
      (es) => es.some((e) => e.payload.address === world.b && e.payload.port === PORTS.udp),
      20_000,
      'a refusal traced after the helper came back',
    );
  }, 300_000);

  it('a core that is not root and cannot reach Docker (Incus only) says egress cannot be enforced, and what to do', async () => {
    const home = path.join(user.home, 'data-incus-only');
    user.own(home);
    const other = await startChildCore(
      bundle.entry,
      home,
      {
        HOME: user.home,
        DBUS_SESSION_BUS_ADDRESS: '',
        AGENTDESK_APP_ROOT: root,
        DOCKER_HOST: `unix://${path.join(user.home, 'no-docker.sock')}`,
        AGENTDESK_EGRESS: '',
      },
      (argv) => user.wrap(argv),
    );
    try {
      const egress = await until(
        async () =>
          (
            (await other.call('system', 'health', { refresh: true })) as {
              value: { components: { name: string; state: string; detail: string; fix: string }[] };
            }
          ).value.components.find((c) => c.name === 'egress'),
        (c) => c !== undefined && c.state !== 'starting',
        60_000,
        'egress enforcement decided',
      );
      expect(egress).toMatchObject({ state: 'missing' });
      expect(egress!.detail).toMatch(
        /agents cannot be deployed: .*you must be root.*Docker is not reachable/,
      );
      expect(egress!.fix).toMatch(/`docker` group.*sudo agentdesk serve.*AGENTDESK_EGRESS=off/);
    } finally {
      process.kill(other.pid, 'SIGTERM');
      await Promise.race([other.exited, new Promise((r) => setTimeout(r, 20_000))]);
      other.kill();
    }
  }, 120_000);

  it('the helper refuses anything that touches chains other than Agent Desk’s, whoever talks to it', async () => {
    expect(helper).toBeTruthy();
    // A chain of someone else, made by the test, with a rule: it must come out untouched.
    const other = `ADEGT-${hex}`;
    execFileSync('iptables', ['-w', '-N', other]);
    execFileSync('iptables', ['-w', '-A', other, '-s', '203.0.113.98/32', '-j', 'DROP']);
    const marker = `adegh-test-${hex}`;
    try {
      const lines: string[] = [
        // Another program's chain.
        `*filter\n-F ${other}\nCOMMIT\n`,
        `*filter\n-X ${other}\nCOMMIT\n`,
        `*filter\n-A ${other} -j ACCEPT\nCOMMIT\n`,
        // The host's own INPUT: an ACCEPT (detectable by its comment), a policy, a flush.
        `*filter\n-I INPUT 1 -s 203.0.113.99/32 -m comment --comment ${marker} -j ACCEPT\nCOMMIT\n`,
        `*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n`,
        `*filter\n-P INPUT ACCEPT\nCOMMIT\n`,
        // Inside our own chain, but opening the host to its LAN: refused too.
        `*filter\n-I AGENTDESK-IN 1 -s 203.0.113.99/32 -m comment --comment ${marker} -j ACCEPT\nCOMMIT\n`,
        // Smuggled in after a valid line: the whole transaction is refused.
        `*filter\n-F ADE-0000000000-F\n-F INPUT\nCOMMIT\n`,
      ];
      const requests = [
        ...lines.map((input, i) => ({ id: i + 1, op: 'restore', family: 4, input })),
        { id: 100, op: 'query', family: 4, table: 'filter', args: ['-F', 'INPUT'] },
        {
          id: 101,
          op: 'query',
          family: 4,
          table: 'filter',
          args: ['-S', 'INPUT', '1', '--modprobe=/bin/true'],
        },
        { id: 102, op: 'shell', cmd: 'iptables -F INPUT' },
      ];
      const replies = await helperSession(
        helper,
        requests.map((r) => JSON.stringify(r)),
      );
      expect(replies).toHaveLength(requests.length);
      for (const r of replies) expect(r, JSON.stringify(r)).toMatchObject({ ok: false, refused: true });
      const ruleset = execFileSync('iptables', ['-w', '-S'], { encoding: 'utf8' });
      expect(ruleset).toContain(`-A ${other} -s 203.0.113.98/32 -j DROP`);
      expect(ruleset).not.toContain(marker);
      expect(execFileSync('iptables', ['-w', '-S', 'INPUT'], { encoding: 'utf8' })).toContain(
        '-A INPUT -j AGENTDESK-IN',
      );
      // The same channel does apply what is ours (the session works; the refusals are the guard's).
      const [ok] = await helperSession(helper, [
        JSON.stringify({ id: 1, op: 'query', family: 4, table: 'filter', args: ['-S', other] }),
      ]);
      expect(ok).toMatchObject({ ok: true });
    } finally {
      execFileSync('sh', ['-c', `iptables -w -F ${other}; iptables -w -X ${other}`]);
    }
  });
});

/** Opens a session to the helper like the core does (`docker exec -i … serve`), sends `lines`, collects one reply per line. */
function helperSession(container: string, lines: string[]): Promise<Record<string, unknown>[]> {
  return new Promise((resolve, reject) => {
    const p = spawn(
      'docker',
      ['exec', '-i', container, '/usr/local/bin/node', '/opt/agentdesk/egress-helper.cjs', 'serve'],
      {
        stdio: ['pipe', 'pipe', 'inherit'],
      },
    );
    let out = '';
    p.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
    p.on('error', reject);
    p.on('close', () =>
      resolve(
        out
          .split('\n')
          .filter((l) => l.trim())
          .map((l) => JSON.parse(l) as Record<string, unknown>)
          .filter((r) => !('event' in r)),
      ),
    );
    p.stdin.end(`${lines.join('\n')}\n`);
  });
}
