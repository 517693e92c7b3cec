// Attacker's view of egress, from inside real containers on Docker and Incus: what an agent reaches in each mode, what it is refused and that every refusal is traced.
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TraceEventOf } from '../../../contract/traces';
import { runtimeReachable, until } from '../../../test/agents';
import { ensureBaseImage } from '../../../test/base-image';
import { BASE_IMAGE_REF } from '../images/image-manifest';
import {
  NAMES,
  PORTS,
  curlFrom,
  dnsVia,
  dropDockerNetwork,
  hostServices,
  outsideWorld,
  resolveFrom,
  udpFrom,
} from '../../../test/egress-world';
import type { OutsideWorld } from '../../../test/egress-world';
import { skipUnlessReal } from '../../../test/real';
import { createLogger } from '../../platform/logging';
import type { ContainerRuntime, ContainerSpec, RuntimeKind } from '../runtimes/container-runtime';
import { DockerRuntime } from '../runtimes/docker/docker-runtime';
import { IncusRuntime } from '../runtimes/incus/incus-runtime';
import { openDatabase } from '../storage/database';
import type { Db } from '../storage/database';
import { agentTag } from './egress-names';
import { EgressService } from './egress-service';
import { Runtimes } from '../runtimes/runtimes';

const root = process.getuid?.() === 0;
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

/** Every IPv4 address of this host (not loopback): a service on 0.0.0.0 answers on each. */
function hostAddresses(): string[] {
  return Object.values(os.networkInterfaces())
    .flat()
    .filter((a) => a && a.family === 'IPv4' && !a.internal)
    .map((a) => a!.address);
}

describe.each<RuntimeKind>(['docker', 'incus'])('egress from inside real %s containers', (kind) => {
  const skip = skipUnlessReal(
    runtimeReachable(kind) && root && tools,
    `${kind}, root and ip/dnsmasq/iptables (scripts/bootstrap-linux.sh)`,
  );
  const hex = crypto.randomBytes(4).toString('hex');
  const network = `adeg-test-${hex}`;
  const names = { a: `adeg-test-${hex}-a`, b: `adeg-test-${hex}-b` };
  const ids = { a: crypto.randomUUID(), b: crypto.randomUUID() };
  let rt: ContainerRuntime;
  let world: OutsideWorld;
  let host: Awaited<ReturnType<typeof hostServices>>;
  let gateway: http.Server;
  let gatewayUrl = '';
  let db: Db;
  let dir: string;
  let egress: EgressService;
  const events: TraceEventOf<'egress'>[] = [];

  /** The agent rows the egress service sees (the agents table holds them for the foreign key). */
  function insertAgent(id: string, container: string): void {
    db.prepare(
      `INSERT INTO agents (id, slug, name, emoji, harness, runtime, model, memory_mib, cpus, phase, phase_at, container, created_at)
       VALUES (?, ?, ?, '🤖', 'builtin', ?, 'x/y', 256, 1, 'running', ?, ?, ?)`,
    ).run(id, container, container, kind, Date.now(), container, Date.now());
  }

  const refusals = (agentId: string) => events.filter((e) => e.agent_id === agentId);
  const waitRefusal = async (agentId: string, what: string, match: (e: TraceEventOf<'egress'>) => boolean) =>
    (await until(
      () => refusals(agentId).find(match),
      (e) => e !== undefined,
      10_000,
      what,
    ))!;

  let gwPort = 0;
  /** An egress service of this test's "core" (a new one = the core restarted with the same data dir). */
  const makeEgress = (checkIntervalMs: number) =>
    new EgressService({
      db,
      instanceId: `test${hex}`,
      runtimes: new Runtimes({ [kind]: rt }),
      agents: () =>
        (['a', 'b'] as const).map((k) => ({
          id: ids[k],
          runtime: kind,
          container: names[k],
          phase: 'running' as const,
        })),
      gatewayPort: () => gwPort,
      record: (e) => events.push(e),
      log: createLogger({ dir: null, level: process.env.AGENTDESK_LOG_LEVEL ?? 'warn' }),
      env: { ...process.env, AGENTDESK_EGRESS_DNS: world.dns },
      checkIntervalMs,
    });

  beforeAll(async () => {
    if (skip) return;
    await ensureBaseImage([kind]);
    world = await outsideWorld();
    host = await hostServices();
    rt =
      kind === 'docker'
        ? new DockerRuntime({ env: process.env, networkName: network })
        : new IncusRuntime({ env: process.env });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'adeg-test-'));
    db = openDatabase(path.join(dir, 'agentdesk.db'));
    // The gateway stand-in, where the runtime's host service address leads.
    gateway = http.createServer((_q, r) => r.end('gateway'));
    const bind = (await rt.prepareNetwork({ egress: true })).gatewayBind ?? '127.0.0.1';
    await new Promise<void>((r) => gateway.listen(0, bind, r));
    gwPort = (gateway.address() as AddressInfo).port;
    const target = await rt.hostServiceAddress(gwPort, { egress: true });
    gatewayUrl = `http://${target.host}:${target.port}/`;
    for (const k of ['a', 'b'] as const) insertAgent(ids[k], names[k]);
    egress = makeEgress(0);
    await egress.init();
    expect(egress.status()).toMatchObject({ enforced: true, enforcement: 'root', reason: '' });
    egress.create(ids.a, undefined, []); // the default: none
    egress.create(ids.b, 'open', []);
    for (const k of ['a', 'b'] as const) {
      const att = await egress.attach(ids[k], kind, names[k], false);
      const spec: ContainerSpec = {
        name: names[k],
        image: BASE_IMAGE_REF,
        env: {},
        labels: { 'agentdesk.test': hex },
        mounts: [],
        memoryMiB: 256,
        cpus: 1,
        ports: [],
        hostServicePort: gwPort,
        command: ['sleep', 'infinity'],
        egress: att!,
      };
      await rt.create(spec);
      await rt.start(names[k]);
    }
  }, 600_000);

  afterAll(async () => {
    if (skip) return;
    for (const k of ['a', 'b'] as const) {
      await rt.remove(names[k]).catch(() => undefined);
      await egress.release(ids[k]).catch(() => undefined);
    }
    egress.shutdown();
    gateway.close();
    host.close();
    world.close();
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
    if (kind === 'docker') dropDockerNetwork(network);
    await rt.close();
  }, 300_000);

  it.skipIf(skip)(
    'mode none (the default): the gateway only; outside hosts, names and direct DNS are refused and traced',
    async () => {
      expect(await curlFrom(rt, names.a, gatewayUrl)).toBe('gateway');
      expect(await curlFrom(rt, names.a, `http://${world.a}:${PORTS.tcp}/`)).toMatch(/^refused/);
      await waitRefusal(
        ids.a,
        'tcp refusal',
        (e) => e.payload.address === world.a && e.payload.port === PORTS.tcp,
      );
      expect(await udpFrom(rt, names.a, world.a, PORTS.udp)).toMatch(/^no reply/);
      const udp = await waitRefusal(
        ids.a,
        'udp refusal',
        (e) => e.payload.protocol === 'udp' && e.payload.port === PORTS.udp,
      );
      expect(udp.payload).toMatchObject({ address: world.a, mode: 'none', rule: 'not_allowed' });
      expect(await resolveFrom(rt, names.a, NAMES.allowed)).toBe('unresolved');
      const dns = await waitRefusal(ids.a, 'dns refusal', (e) => e.payload.protocol === 'dns');
      expect(dns.payload).toMatchObject({ host: NAMES.allowed, address: null, mode: 'none' });
      // Straight to the outside DNS server (which would answer): never reaches it.
      expect(await dnsVia(rt, names.a, world.a, NAMES.allowed)).not.toBe(world.a);
      expect(dns.error).toMatch(/refused DNS lookup of allowed\.egress\.test/);
    },
  );

  it.skipIf(skip)(
    "the host's own services on 0.0.0.0 are refused on every host address, in every mode",
    async () => {
      const addresses = [...hostAddresses(), ...(kind === 'incus' ? ['169.254.0.1'] : [])];
      for (const name of [names.a, names.b]) {
        for (const address of addresses) {
          expect(await curlFrom(rt, name, `http://${address}:${host.tcp}/`), `${name} → ${address}`).toMatch(
            /^refused/,
          );
          expect(await udpFrom(rt, name, address, host.udp)).toMatch(/^no reply/);
        }
      }
      const id = ids.b; // open mode
      const e = await waitRefusal(id, 'host service refusal', (x) => x.payload.port === host.tcp);
      expect(e.payload).toMatchObject({ rule: 'host_service', mode: 'open', protocol: 'tcp' });
    },
  );

  it.skipIf(skip)(
    'mode open: outside hosts and names; never another agent or link-local (cloud metadata)',
    async () => {
      expect(await curlFrom(rt, names.b, `http://${NAMES.other}:${PORTS.tcp}/`)).toBe(`B:${PORTS.tcp}`);
      expect(await udpFrom(rt, names.b, world.a, PORTS.udpOther)).toBe(`A:${PORTS.udpOther}`);
      const aAddress = egress.view(ids.a).address!;
      expect(await curlFrom(rt, names.b, `http://${aAddress}:8100/`)).toMatch(/^refused/);
      await waitRefusal(
        ids.b,
        'agent refusal',
        (x) => x.payload.address === aAddress && x.payload.rule === 'agent_network',
      );
      expect(await curlFrom(rt, names.b, 'http://169.254.169.254/latest/meta-data/')).toMatch(/^refused/);
      await waitRefusal(ids.b, 'metadata refusal', (x) => x.payload.rule === 'link_local');
    },
  );

  it.skipIf(skip)('a policy change applies to the running agent at once, without a redeploy', async () => {
    const before = (await rt.inspect(names.a))!;
    await egress.update(ids.a, {
      egress: 'allowlist',
      allow: [`${NAMES.allowed}:${PORTS.tcp}`, `${world.b}:${PORTS.udp}`],
    });
    expect(await resolveFrom(rt, names.a, NAMES.allowed)).toBe(world.a);
    expect(await curlFrom(rt, names.a, `http://${NAMES.allowed}:${PORTS.tcp}/`)).toBe(`A:${PORTS.tcp}`);
    expect(await udpFrom(rt, names.a, world.b, PORTS.udp)).toBe(`B:${PORTS.udp}`);
    // The same host on another port, another host, another name: refused, and the trace says which name.
    expect(await curlFrom(rt, names.a, `http://${NAMES.allowed}:${PORTS.tcpOther}/`)).toMatch(/^refused/);
    const port = await waitRefusal(ids.a, 'other port refusal', (e) => e.payload.port === PORTS.tcpOther);
    expect(port.payload).toMatchObject({
      host: NAMES.allowed,
      address: world.a,
      mode: 'allowlist',
      rule: 'not_allowed',
    });
    expect(await curlFrom(rt, names.a, `http://${world.b}:${PORTS.tcp}/`)).toMatch(/^refused/);
    expect(await resolveFrom(rt, names.a, NAMES.other)).toBe('unresolved');
    await waitRefusal(
      ids.a,
      'other name refusal',
      (e) => e.payload.host === NAMES.other && e.payload.mode === 'allowlist',
    );
    // Back to none: the connection that worked a moment ago is refused now.
    await egress.update(ids.a, { egress: 'none' });
    expect(await curlFrom(rt, names.a, `http://${world.a}:${PORTS.tcp}/`)).toMatch(/^refused/);
    expect(await curlFrom(rt, names.a, gatewayUrl)).toBe('gateway');
    const after = (await rt.inspect(names.a))!;
    expect(after.startedAt).toBe(before.startedAt); // the same run of the same container
    expect(after.id).toBe(before.id);
  });

  it.skipIf(skip)('a flood of refused connections becomes a bounded number of events', async () => {
    const start = refusals(ids.a).length;
    const js = `const net=require('net');let n=0;setTimeout(()=>process.exit(0),8000);for(let p=20000;p<20300;p++){const s=net.connect(p,'${world.a}');s.on('error',()=>{if(++n===300)process.exit(0)});s.on('connect',()=>s.destroy())}`;
    await rt.exec(names.a, ['node', '-e', js], { timeoutMs: 30_000 });
    await until(
      () => refusals(ids.a).length - start,
      (n) => n >= 20,
      10_000,
      'flood events',
    );
    expect(refusals(ids.a).length - start).toBeLessThanOrEqual(60);
  });

  it.skipIf(skip || kind !== 'incus')(
    "routed access: on the bridge address an agent opens only the gateway and its own resolver, never another agent's",
    async () => {
      // Each agent's DNS is redirected to its own resolver port on the project bridge's address.
      const nat = execFileSync('iptables', ['-w', '-t', 'nat', '-S'], { encoding: 'utf8' });
      const redirect = (id: string) => {
        const m = new RegExp(
          `-i adeg${agentTag(id)} -p udp .*--dport 53 .*--to-destination ([\\d.]+):(\\d+)`,
        ).exec(nat);
        return { address: m?.[1] ?? '', port: Number(m?.[2]) };
      };
      const a = redirect(ids.a);
      const b = redirect(ids.b);
      expect(a.address).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
      expect(b.address).toBe(a.address);
      expect(a.port).not.toBe(b.port);
      expect(new URL(gatewayUrl).hostname).toBe(a.address);
      expect(await curlFrom(rt, names.a, gatewayUrl)).toBe('gateway');
      // B (open) resolves any name through its own port; A (none) sending to B's port is refused, by
      // UDP and TCP, and its own port answers only what its policy allows.
      expect(await resolveFrom(rt, names.b, NAMES.other)).toBe(world.b);
      expect(await dnsVia(rt, names.a, `${b.address}:${b.port}`, NAMES.other)).not.toBe(world.b);
      expect(await curlFrom(rt, names.a, `http://${b.address}:${b.port}/`)).toMatch(/^refused/);
      expect(await dnsVia(rt, names.a, `${a.address}:${a.port}`, NAMES.other)).not.toBe(world.b);
      expect(await curlFrom(rt, names.b, `http://${a.address}:${a.port}/`)).toMatch(/^refused/);
      await waitRefusal(
        ids.b,
        "refusal of the other agent's resolver",
        (e) => e.payload.address === a.address && e.payload.port === a.port,
      );
      // The core reaches the runtime port at the agent's own address; another agent does not.
      const aAddress = egress.view(ids.a).address!;
      expect(await curlFrom(rt, names.b, `http://${aAddress}:8100/`)).toMatch(/^refused/);
    },
  );

  it.skipIf(skip)(
    'a restarted core attaches its agents again, and repairs rules changed outside it',
    async () => {
      egress.shutdown(); // the core stops: rules stay, the resolver goes
      expect(await curlFrom(rt, names.b, `http://${world.b}:${PORTS.tcp}/`)).toBe(`B:${PORTS.tcp}`);
      expect(await curlFrom(rt, names.a, `http://${world.b}:${PORTS.tcp}/`)).toMatch(/^refused/);
      egress = makeEgress(300);
      await egress.init();
      // A new resolver port: the DNS path of the running agents follows it (DNAT to it on both engines).
      expect(await resolveFrom(rt, names.b, NAMES.other)).toBe(world.b);
      expect(await curlFrom(rt, names.a, gatewayUrl)).toBe('gateway');
      // Another program puts a rule above ours, then removes our NAT chain (a firewall reload): both repaired.
      const mark = [
        '-p',
        'udp',
        '--dport',
        '9',
        '-m',
        'comment',
        '--comment',
        `adeg-test-${hex}`,
        '-j',
        'ACCEPT',
      ];
      execFileSync('iptables', ['-w', '-I', 'INPUT', '1', ...mark]);
      try {
        await until(
          () => execFileSync('iptables', ['-w', '-S', 'INPUT', '1'], { encoding: 'utf8' }).trim(),
          (l) => l === '-A INPUT -j AGENTDESK-IN',
          10_000,
          'our INPUT jump first again',
        );
      } finally {
        execFileSync('iptables', ['-w', '-D', 'INPUT', ...mark]);
      }
      execFileSync('sh', [
        '-c',
        'iptables -w -t nat -D PREROUTING -j AGENTDESK-PRE; iptables -w -t nat -F AGENTDESK-PRE; iptables -w -t nat -X AGENTDESK-PRE',
      ]);
      await until(
        () => resolveFrom(rt, names.b, NAMES.other),
        (r) => r === world.b,
        15_000,
        'DNS after a firewall reload',
      );
    },
  );

  it.skipIf(skip)('purge removes every rule of the agent', async () => {
    const id = crypto.randomUUID();
    insertAgent(id, `${names.a}-x`);
    egress.create(id, 'open', []);
    await egress.attach(id, kind, `${names.a}-x`, false);
    const tag = agentTag(id);
    const rules = () =>
      execFileSync('iptables', ['-S'], { encoding: 'utf8' }) +
      execFileSync('iptables', ['-t', 'nat', '-S'], { encoding: 'utf8' });
    expect(rules()).toContain(tag);
    await egress.release(id);
    expect(rules()).not.toContain(tag);
    expect(rules()).not.toContain(id);
  });
});
