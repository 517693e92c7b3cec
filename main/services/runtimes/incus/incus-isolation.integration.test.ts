// Agents on real Incus reach the host only through their gateway proxy device: not host-only services, not another agent's runtime.
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runtimeReachable, until } from '../../../../test/agents';
import { ensureBaseImage } from '../../../../test/base-image';
import { skipUnlessReal } from '../../../../test/real';
import type { ContainerSpec } from '../container-runtime';
import { INCUS_GATEWAY_PORT } from './incus-config';
import { IncusRuntime } from './incus-runtime';

const skip = skipUnlessReal(runtimeReachable('incus'), 'Incus (scripts/bootstrap-linux.sh starts incusd)');
const suffix = crypto.randomBytes(4).toString('hex');
const A = `agentdesk-test-${suffix}-a`;
const B = `agentdesk-test-${suffix}-b`;
/**
 * B's "runtime": an HTTP server on 8100 bound to `::` (IPv6 and IPv4), as a harness other than ours may
 * bind it; only the bridge's port isolation keeps A from reaching it over IPv6 link-local.
 */
const RUNTIME = `require('http').createServer((q,r)=>r.end('runtime')).listen(8100,'::')`;

/** Node one-liner run inside A: connects to host:port, prints `open <first bytes>` or `closed <code>`. */
const probe = (host: string, port: number) =>
  `const s=require('net').connect({host:${JSON.stringify(host)},port:${port}},()=>{s.write('GET / HTTP/1.0\\r\\n\\r\\n')});` +
  `s.setTimeout(3000,()=>{console.log('closed ETIMEDOUT');process.exit(0)});` +
  `s.on('data',d=>{console.log('open '+String(d).split('\\r\\n\\r\\n')[1]);process.exit(0)});` +
  `s.on('error',e=>{console.log('closed '+e.code);process.exit(0)})`;

describe.skipIf(skip)('agent isolation on Incus (proxy devices)', () => {
  const rt = new IncusRuntime({ env: process.env });
  const servers: http.Server[] = [];
  let gatewayPort = 0;
  let hostOnlyPort = 0;

  async function hostServer(body: string): Promise<number> {
    const s = http.createServer((_q, r) => r.end(body));
    await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
    servers.push(s);
    return (s.address() as AddressInfo).port;
  }

  const spec = (name: string, command: string[]): ContainerSpec => ({
    name,
    image: 'agentdesk/agent-base:2',
    env: {},
    labels: { 'agentdesk.test': suffix },
    mounts: [],
    memoryMiB: 256,
    cpus: 1,
    ports: [{ containerPort: 8100, hostPort: 0 }],
    hostServicePort: gatewayPort,
    command,
  });

  /** Runs the probe inside A; returns `open <body>` or `closed <code>`. */
  async function fromA(host: string, port: number): Promise<string> {
    const r = await rt.exec(A, ['node', '-e', probe(host, port)], { timeoutMs: 15_000 });
    return r.stdout.trim();
  }

  beforeAll(async () => {
    await ensureBaseImage(['incus']);
    gatewayPort = await hostServer('gateway'); // the gateway listens on the host's 127.0.0.1
    hostOnlyPort = await hostServer('control'); // like the control API and LiteLLM: 127.0.0.1 only
    await rt.create(spec(A, ['sleep', 'infinity']));
    await rt.create(spec(B, ['node', '-e', RUNTIME]));
    await rt.start(A);
    await rt.start(B);
  }, 300_000);
  afterAll(async () => {
    for (const s of servers) s.close();
    for (const n of [A, B]) await rt.remove(n).catch(() => undefined);
    await rt.close();
  });

  it('reaches the gateway through its proxy device, and nothing else on the host or in another agent', async () => {
    const b = await rt.inspect(B);
    const bHostPort = b!.ports.find((p) => p.containerPort === 8100)!.hostPort;
    // B's runtime is up (from the host, through its bind=host proxy), so a refusal below is isolation, not absence.
    const answer = await until(
      () =>
        fetch(`http://127.0.0.1:${bHostPort}/`).then(
          (r) => (r.ok ? r.text() : `HTTP ${r.status}`),
          (err: Error) => err.message,
        ),
      (text) => text === 'runtime',
      60_000,
      "B's runtime through its proxy device",
    );
    expect(answer).toBe('runtime');

    expect(await fromA('127.0.0.1', INCUS_GATEWAY_PORT)).toBe('open gateway');
    // The container's 127.0.0.1 is its own: the host's loopback-only services and B's forwarded port are not there.
    expect(await fromA('127.0.0.1', hostOnlyPort)).toMatch(/^closed /);
    expect(await fromA('127.0.0.1', bHostPort)).toMatch(/^closed /);
    // B over the bridge: its IPv6 link-local address (the only address it has without DHCP).
    const ll = await rt.exec(B, ['sh', '-c', 'awk \'$6=="eth0"{print $1}\' /proc/net/if_inet6'], {
      timeoutMs: 10_000,
    });
    const hex = ll.stdout.trim();
    expect(hex).toMatch(/^fe80[0-9a-f]{28}$/);
    const bOverBridge = `${hex.match(/.{4}/g)!.join(':')}%eth0`;
    // The probe can succeed: B reaches its own runtime on that address.
    expect(
      (await rt.exec(B, ['node', '-e', probe(bOverBridge, 8100)], { timeoutMs: 15_000 })).stdout.trim(),
    ).toBe('open runtime');
    expect(await fromA(bOverBridge, 8100)).toMatch(/^closed /);
    // Because the NIC taken from the profile is port-isolated on the agent.
    expect(
      execFileSync('incus', ['config', 'device', 'get', A, 'eth0', 'security.port_isolation'], {
        encoding: 'utf8',
      }).trim(),
    ).toBe('true');
  });
});
