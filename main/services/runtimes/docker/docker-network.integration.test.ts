// The agents' bridge on real Docker: no container-to-container traffic, host-only services out of reach, old networks migrated.
import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import Dockerode from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { skipUnlessReal } from '../../../../test/real';
import { LABELS } from '../container-runtime';
import { ensureBridgeNetwork, ICC_OPTION } from './docker-network';

const execFileAsync = promisify(execFile);
const docker = new Dockerode();
const dockerUp = await docker.ping().then(
  () => true,
  () => false,
);
const skip = skipUnlessReal(dockerUp, 'Docker (scripts/bootstrap-linux.sh starts dockerd)');

const suffix = crypto.randomBytes(4).toString('hex');
const NETWORK = `agentdesk-test-net-${suffix}`;
const A = `agentdesk-test-${suffix}-a`;
const B = `agentdesk-test-${suffix}-b`;
const IMAGE = 'agentdesk/agent-base:2';
/** B's "runtime": an HTTP server on 8100, as the built-in runtime serves `POST /turn`. */
const RUNTIME = `require('http').createServer((q,r)=>r.end('runtime')).listen(8100)`;
const servers: http.Server[] = [];

async function cli(...args: string[]): Promise<string> {
  const { stdout } = await execFileAsync('docker', args, { timeout: 60_000 });
  return stdout.trim();
}

/** Tries a TCP connection from inside container `name` with bash's /dev/tcp; true when it connects within 3 s. */
async function canConnect(name: string, host: string, port: number): Promise<boolean> {
  try {
    await cli('exec', name, 'timeout', '3', 'bash', '-c', `exec 3<>/dev/tcp/${host}/${port}`);
    return true;
  } catch {
    return false;
  }
}

/** An HTTP server on the host at `address` (a free port), closed after the suite. */
async function hostServer(address: string): Promise<number> {
  const s = http.createServer((_q, r) => r.end('host'));
  await new Promise<void>((resolve) => s.listen(0, address, resolve));
  servers.push(s);
  return (s.address() as AddressInfo).port;
}

async function ipOf(name: string): Promise<string> {
  return cli('inspect', '-f', `{{(index .NetworkSettings.Networks "${NETWORK}").IPAddress}}`, name);
}

describe.skipIf(skip)('agents bridge network (real Docker)', () => {
  let gateway = '';

  beforeAll(async () => {
    // An "old" network: made by Agent Desk before container-to-container traffic was turned off.
    await cli('network', 'create', '--driver', 'bridge', '--label', `${LABELS.managed}=1`, NETWORK);
    const run = (name: string, ...cmd: string[]) =>
      cli(
        'run',
        '-d',
        '--name',
        name,
        '--network',
        NETWORK,
        '-p',
        '127.0.0.1::8100',
        '--label',
        `${LABELS.managed}=1`,
        IMAGE,
        ...cmd,
      );
    await run(A, 'sleep', 'infinity');
    await run(B, 'node', '-e', RUNTIME);
    await cli('stop', '-t', '0', B); // a stopped member must come back after the migration too
  });
  afterAll(async () => {
    for (const s of servers) s.close();
    await cli('rm', '-f', A, B).catch(() => '');
    await cli('network', 'rm', NETWORK).catch(() => '');
  });

  it('an old network is migrated in place: same subnet and gateway, members (running or stopped) reconnected', async () => {
    const before = await docker.getNetwork(NETWORK).inspect();
    expect(before.Options?.[ICC_OPTION]).toBeUndefined();
    const oldGateway = before.IPAM?.Config?.[0]?.Gateway;
    const listenerBefore = await hostServer(oldGateway!);

    gateway = await ensureBridgeNetwork(docker, NETWORK);

    const after = await docker.getNetwork(NETWORK).inspect();
    expect(after.Id).not.toBe(before.Id);
    expect(after.Options?.[ICC_OPTION]).toBe('false');
    expect(after.Labels?.[LABELS.managed]).toBe('1');
    expect(after.IPAM?.Config?.[0]?.Subnet).toBe(before.IPAM?.Config?.[0]?.Subnet);
    expect(gateway).toBe(oldGateway);
    expect(await cli('inspect', '-f', '{{.State.Running}}', A)).toBe('true');
    await cli('start', B);
    expect(await ipOf(A)).not.toBe('');
    expect(await ipOf(B)).not.toBe('');
    // A server bound to the bridge address before the migration is still reached (the gateway's bind survives).
    expect(await canConnect(A, gateway, listenerBefore)).toBe(true);
    // Idempotent: a second call keeps the migrated network.
    expect(await ensureBridgeNetwork(docker, NETWORK)).toBe(gateway);
    expect((await docker.getNetwork(NETWORK).inspect()).Id).toBe(after.Id);
  });

  it("a container reaches the host's bridge address, but not another agent's runtime, nor host services on 127.0.0.1", async () => {
    const onBridge = await hostServer(gateway); // like the gateway
    const loopbackOnly = await hostServer('127.0.0.1'); // like the control API and LiteLLM
    const bIp = await ipOf(B);
    const bHostPort = Number((await cli('port', B, '8100/tcp')).split(':').pop());
    // B's runtime answers from the host (its published port) and from inside B itself: the probe works.
    expect(await canConnect(B, '127.0.0.1', 8100)).toBe(true);
    expect(await (await fetch(`http://127.0.0.1:${bHostPort}/`)).text()).toBe('runtime');

    expect(await canConnect(A, gateway, onBridge)).toBe(true);
    expect(await canConnect(A, bIp, 8100)).toBe(false); // container to container: dropped by the bridge
    expect(await canConnect(A, gateway, bHostPort)).toBe(false); // B's published port is on the host's 127.0.0.1 only
    expect(await canConnect(A, gateway, loopbackOnly)).toBe(false);
    expect(await canConnect(A, '127.0.0.1', loopbackOnly)).toBe(false); // the container's own loopback
  });

  it('a network of that name not made by Agent Desk is refused with how to fix it, not changed', async () => {
    const foreign = `agentdesk-test-net-${suffix}-foreign`;
    await cli('network', 'create', '--driver', 'bridge', foreign);
    try {
      await expect(ensureBridgeNetwork(docker, foreign)).rejects.toThrow(
        new RegExp(
          `not made by Agent Desk.*docker network rm ${foreign}.*${ICC_OPTION.replace(/\./g, '\\.')}=false`,
        ),
      );
      expect((await docker.getNetwork(foreign).inspect()).Options?.[ICC_OPTION]).toBeUndefined();
    } finally {
      await cli('network', 'rm', foreign).catch(() => '');
    }
  });
});
