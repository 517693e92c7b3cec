// DockerRuntime against the real Docker engine: import, network, create/start/stop, logs, exec, events, errors.
import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../../platform/spawn';
import { skipUnlessReal } from '../../../../test/real';
import { LABELS, RuntimeNotFoundError, RuntimeOperationError } from '../container-runtime';
import type { ContainerSpec, RuntimeEvent, RuntimeProgress } from '../container-runtime';
import { DockerRuntime } from './docker-runtime';

const dockerUp = await new DockerRuntime({ env: process.env }).ping().then(
  () => true,
  () => false,
);
const skip = skipUnlessReal(dockerUp, 'Docker (scripts/bootstrap-linux.sh starts dockerd)');

const execFileAsync = promisify(execFile);
const suffix = crypto.randomBytes(4).toString('hex');
const IMAGE = `agentdesk-test-img-${suffix}:1`;
const NETWORK = `agentdesk-test-net-${suffix}`;
const NAME = `agentdesk-test-${suffix}`;
const RENAMED = `agentdesk-test-${suffix}-renamed`;
const AGENT_ID = `agent-${suffix}`;
const INIT = `#!/bin/bash
# Test init: runs its arguments, or idles until SIGTERM.
if [ "$#" -gt 0 ]; then exec "$@"; fi
trap 'exit 0' TERM
while :; do sleep 1 & wait $!; done
`;
/** The main process: output on both streams, a file from the read-only mount, then idle until SIGTERM. */
const MAIN = `trap 'exit 0' TERM; echo "hello $GREETING"; echo warn-line >&2; cat /home/agent/in.txt
sleep 1; echo ready; while :; do sleep 1 & wait $!; done`;

let tmp: string;
let rootfsTar: string;
let roDir: string;
let rwDir: string;
const rt = new DockerRuntime({ env: process.env, networkName: NETWORK });
const events: RuntimeEvent[] = [];
const states: boolean[] = [];
let unsubscribe: () => void = () => {};

/** The docker CLI, "from outside" the driver. */
async function docker(...args: string[]): Promise<string> {
  const { stdout } = await execFileAsync('docker', args, { timeout: 60_000, maxBuffer: 16 * 1024 * 1024 });
  return stdout.trim();
}

/** Polls `check` until it returns a value other than undefined/false; fails with `what` after 30 s. */
async function waitFor<T>(what: string, check: () => T | Promise<T>): Promise<Exclude<T, false | undefined>> {
  const end = Date.now() + 30_000;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false) return v as Exclude<T, false | undefined>;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A rootfs of the host's bash, sleep and cat with their shared libraries, plus the test init. */
async function buildRootfs(dir: string): Promise<void> {
  const copy = (from: string, to: string) => {
    fs.mkdirSync(path.dirname(path.join(dir, to)), { recursive: true });
    fs.copyFileSync(fs.realpathSync(from), path.join(dir, to));
    fs.chmodSync(path.join(dir, to), 0o755);
  };
  for (const bin of ['bash', 'sleep', 'cat']) {
    const host = fs.existsSync(`/bin/${bin}`) ? `/bin/${bin}` : `/usr/bin/${bin}`;
    copy(host, `/bin/${bin}`);
    const { stdout } = await run('ldd', [host]);
    for (const m of stdout.matchAll(/(\/\S+) \(0x/g)) copy(m[1]!, m[1]!);
  }
  fs.mkdirSync(path.join(dir, 'usr/local/bin'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'usr/local/bin/agentdesk-init'), INIT, { mode: 0o755 });
  for (const d of ['home/agent', 'work', 'tmp', 'proc', 'sys', 'dev', 'etc']) {
    fs.mkdirSync(path.join(dir, d), { recursive: true });
  }
}

function spec(overrides: Partial<ContainerSpec> = {}): ContainerSpec {
  return {
    name: NAME,
    image: IMAGE,
    env: { GREETING: 'world' },
    labels: { [LABELS.agentId]: AGENT_ID, [LABELS.slug]: 'test' },
    mounts: [
      { hostPath: roDir, containerPath: '/home/agent', readOnly: true },
      { hostPath: rwDir, containerPath: '/work', readOnly: false },
    ],
    memoryMiB: 64,
    cpus: 0.5,
    ports: [{ containerPort: 8100, hostPort: 0 }],
    command: ['/bin/bash', '-c', MAIN],
    ...overrides,
  };
}

const sawEvent = (action: RuntimeEvent['action'], name: string) =>
  events.find((e) => e.action === action && e.name === name);

describe.skipIf(skip)('DockerRuntime with the real engine', () => {
  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-test-docker-'));
    roDir = path.join(tmp, 'home');
    rwDir = path.join(tmp, 'work');
    fs.mkdirSync(roDir);
    fs.mkdirSync(rwDir);
    fs.chmodSync(rwDir, 0o777);
    fs.writeFileSync(path.join(roDir, 'in.txt'), 'from-host\n');
    const rootfs = path.join(tmp, 'rootfs');
    await buildRootfs(rootfs);
    rootfsTar = path.join(tmp, 'rootfs.tar');
    await run('tar', ['--owner=0', '--group=0', '-C', rootfs, '-cf', rootfsTar, '.']);
    unsubscribe = rt.events(
      (e) => events.push(e),
      (connected) => states.push(connected),
    );
  });

  afterAll(async () => {
    unsubscribe();
    for (const n of [NAME, RENAMED]) await docker('rm', '-f', n).catch(() => '');
    await docker('rmi', '-f', IMAGE).catch(() => '');
    await docker('network', 'rm', NETWORK).catch(() => '');
    await rt.close();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('reports the engine it talks to', async () => {
    const info = await rt.info();
    expect(info).toMatchObject({ kind: 'docker', endpoint: '/var/run/docker.sock' });
    expect(info.version).toMatch(/^\d+\.\d+/);
    expect(info.apiVersion).toMatch(/^1\.\d+$/);
    expect(info.cpus).toBe(os.cpus().length);
    expect(info.memoryBytes).toBeGreaterThan(0);
  });

  it('imports a rootfs tar as an image with progress, and a re-import replaces it', async () => {
    const progress: RuntimeProgress[] = [];
    const changes = ['ENTRYPOINT ["/usr/local/bin/agentdesk-init"]', 'ENV PATH=/bin'];
    await rt.importImage(IMAGE, { rootfs: rootfsTar, dockerChanges: changes }, (p) => progress.push(p));
    expect(await rt.imagePresent(IMAGE)).toBe(true);
    const fractions = progress.map((p) => p.fraction ?? 0);
    expect(fractions.at(-1)).toBe(1);
    expect(fractions).toEqual([...fractions].sort((a, b) => a - b));
    expect(progress.at(-1)!.message).toContain(IMAGE);
    const first = await docker('image', 'inspect', '--format', '{{.Id}}', IMAGE);
    expect(await docker('image', 'inspect', '--format', '{{json .Config.Entrypoint}}', IMAGE)).toBe(
      '["/usr/local/bin/agentdesk-init"]',
    );

    await rt.importImage(IMAGE, { rootfs: rootfsTar, dockerChanges: changes });
    const second = await docker('image', 'inspect', '--format', '{{.Id}}', IMAGE);
    expect(second).not.toBe(first);
    await expect(docker('image', 'inspect', first)).rejects.toThrow(); // the replaced image is gone
  });

  it('refuses a bad image reference and a missing tar with errors saying what is valid', async () => {
    await expect(rt.importImage('Bad Ref', { rootfs: rootfsTar })).rejects.toThrow(/name\[:tag\]/);
    await expect(rt.importImage(IMAGE, { rootfs: path.join(tmp, 'nope.tar') })).rejects.toThrow(
      /does not exist/,
    );
    await expect(
      rt.importImage(IMAGE, { rootfs: rootfsTar, dockerChanges: ['RUN rm -rf /'] }),
    ).rejects.toThrow(/ENTRYPOINT/);
  });

  it('prepares the bridge network once, labelled, and reuses it', async () => {
    const { gatewayBind } = await rt.prepareNetwork();
    expect(net.isIPv4(gatewayBind ?? '')).toBe(true);
    expect(await rt.prepareNetwork()).toEqual({ gatewayBind });
    const inspect = JSON.parse(await docker('network', 'inspect', NETWORK)) as {
      Driver: string;
      Labels: Record<string, string>;
      IPAM: { Config: { Gateway: string }[] };
    }[];
    expect(inspect).toHaveLength(1);
    expect(inspect[0]!.Driver).toBe('bridge');
    expect(inspect[0]!.Labels[LABELS.managed]).toBe('1');
    expect(inspect[0]!.IPAM.Config[0]!.Gateway).toBe(gatewayBind);
    expect(await rt.hostServiceAddress(4000)).toEqual({ host: gatewayBind, port: 4000 });
  });

  it('creates a container with env, labels, mounts, limits and a 127.0.0.1-only port', async () => {
    const info = await rt.create(spec());
    expect(info).toMatchObject({ name: NAME, image: IMAGE, state: 'created', memoryMiB: 64, cpus: 0.5 });
    expect(info.labels).toMatchObject({ [LABELS.agentId]: AGENT_ID, [LABELS.managed]: '1' });
    const raw = JSON.parse(await docker('container', 'inspect', NAME)) as {
      Config: { Env: string[]; Entrypoint: string[] };
      HostConfig: {
        Memory: number;
        NanoCpus: number;
        NetworkMode: string;
        RestartPolicy: { Name: string };
        PortBindings: Record<string, { HostIp: string; HostPort: string }[]>;
      };
      Mounts: { Source: string; Destination: string; RW: boolean }[];
    }[];
    const c = raw[0]!;
    expect(c.Config.Env).toContain('GREETING=world');
    expect(c.Config.Entrypoint).toEqual(['/usr/local/bin/agentdesk-init']);
    expect(c.HostConfig).toMatchObject({ Memory: 64 * 1024 * 1024, NanoCpus: 5e8, NetworkMode: NETWORK });
    expect(c.HostConfig.RestartPolicy.Name).toBe('no');
    expect(c.HostConfig.PortBindings['8100/tcp']).toEqual([{ HostIp: '127.0.0.1', HostPort: '' }]);
    expect(c.Mounts).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ Source: roDir, Destination: '/home/agent', RW: false }),
        expect.objectContaining({ Source: rwDir, Destination: '/work', RW: true }),
      ]),
    );
  });

  it('starts it: running, the host port resolved on 127.0.0.1 only, its output in the logs', async () => {
    await rt.start(NAME);
    await rt.start(NAME); // already running: no-op
    const info = (await rt.inspect(NAME))!;
    expect(info.state).toBe('running');
    expect(info.startedAt).toBeGreaterThan(0);
    expect(info.ports).toHaveLength(1);
    expect(info.ports[0]!.containerPort).toBe(8100);
    expect(info.ports[0]!.hostPort).toBeGreaterThan(0);
    expect(await docker('port', NAME, '8100')).toBe(`127.0.0.1:${info.ports[0]!.hostPort}`);

    await waitFor('the ready line', async () => (await rt.logs(NAME, { tail: 100 })).includes('ready'));
    const lines = await rt.logs(NAME, { tail: 100 });
    expect(lines).toEqual(expect.arrayContaining(['hello world', 'warn-line', 'from-host', 'ready']));
    expect(lines).toHaveLength(4); // demuxed: no frame headers, no blank lines
    expect(await rt.logs(NAME, { tail: 1 })).toEqual(['ready']);
    expect(sawEvent('create', NAME)).toBeDefined();
    await waitFor('the start event', () => sawEvent('start', NAME));
    expect(states[0]).toBe(true);
  });

  it('exec: exit code, stdout and stderr apart, extra env', async () => {
    const r = await rt.exec(NAME, ['/bin/bash', '-c', 'echo "out $EXTRA"; echo oops >&2; exit 3'], {
      timeoutMs: 20_000,
      env: { EXTRA: 'x1' },
    });
    expect(r).toEqual({ exitCode: 3, stdout: 'out x1\n', stderr: 'oops\n' });
  });

  it('exec: the read-only mount refuses writes, the writable one reaches the host folder', async () => {
    const ro = await rt.exec(NAME, ['/bin/bash', '-c', 'echo x > /home/agent/new.txt'], {
      timeoutMs: 20_000,
    });
    expect(ro.exitCode).not.toBe(0);
    expect(ro.stderr).toMatch(/Read-only file system/);
    const rw = await rt.exec(NAME, ['/bin/bash', '-c', 'echo written > /work/out.txt'], {
      timeoutMs: 20_000,
    });
    expect(rw.exitCode).toBe(0);
    expect(fs.readFileSync(path.join(rwDir, 'out.txt'), 'utf8')).toBe('written\n');
  });

  it('exec: a command past its deadline fails with RuntimeOperationError', async () => {
    const err = await rt.exec(NAME, ['/bin/sleep', '30'], { timeoutMs: 500 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RuntimeOperationError);
    expect((err as Error).message).toMatch(/did not finish within 500 ms/);
  });

  it('the container reaches a TCP server on the host at the network gateway address', async () => {
    const { gatewayBind } = await rt.prepareNetwork();
    const received: string[] = [];
    const server = net.createServer((s) => s.on('data', (d) => received.push(d.toString())));
    await new Promise<void>((resolve) => server.listen(0, gatewayBind!, resolve));
    try {
      const port = (server.address() as net.AddressInfo).port;
      const target = await rt.hostServiceAddress(port);
      const r = await rt.exec(
        NAME,
        ['/bin/bash', '-c', `echo ping-from-agent > /dev/tcp/${target.host}/${target.port}`],
        { timeoutMs: 20_000 },
      );
      expect(r.exitCode).toBe(0);
      await waitFor('the bytes from the container', () => received.join('').includes('ping-from-agent'));
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  it('followLogs delivers new lines until aborted', async () => {
    const lines: string[] = [];
    const ac = new AbortController();
    const following = rt.followLogs(NAME, (l) => lines.push(l), ac.signal);
    await waitFor('the followed line', async () => {
      await rt.exec(NAME, ['/bin/bash', '-c', 'echo followed-line > /proc/1/fd/1'], { timeoutMs: 20_000 });
      return lines.includes('followed-line');
    });
    ac.abort();
    await following;
    expect(lines).not.toContain('ready'); // only lines written after following began
  });

  it('docker kill from outside arrives as a stop event with the exit code', async () => {
    await docker('kill', NAME);
    const stop = await waitFor('the stop event', () =>
      events.find((e) => e.action === 'stop' && e.name === NAME && e.exitCode !== undefined),
    );
    expect(stop.exitCode).toBe(137);
    expect(stop.labels[LABELS.agentId]).toBe(AGENT_ID);
    expect(await rt.inspect(NAME)).toMatchObject({ state: 'stopped', exitCode: 137, startedAt: null });
  });

  it('renames, then a graceful stop ends with the exit code of the process', async () => {
    await rt.rename(NAME, RENAMED);
    expect(await rt.inspect(NAME)).toBeNull();
    expect((await rt.inspect(RENAMED))!.name).toBe(RENAMED);
    await waitFor('the rename event', () => sawEvent('rename', RENAMED));

    // PID 1 receives only the signals it has a handler for: a SIGTERM that arrives before the shell has
    // run its `trap` is dropped by the kernel, and the engine kills it (137) at the timeout. The
    // process says "hello" right after its trap, so wait for this run's line before stopping it.
    const hellos = async () => (await rt.logs(RENAMED, { tail: 1000 })).filter((l) => l === 'hello world');
    const before = (await hellos()).length;
    await rt.start(RENAMED);
    await waitFor("this run's hello line", async () => (await hellos()).length > before);
    await rt.stop(RENAMED, { timeoutS: 20 });
    await rt.stop(RENAMED, { timeoutS: 20 }); // already stopped: no-op
    expect(await rt.inspect(RENAMED)).toMatchObject({ state: 'stopped', exitCode: 0 });
  });

  it('lists containers by label, in every state', async () => {
    const found = await rt.list({ [LABELS.agentId]: AGENT_ID });
    expect(found.map((c) => c.name)).toEqual([RENAMED]);
    expect(found[0]).toMatchObject({ state: 'stopped', memoryMiB: 64, cpus: 0.5 });
    expect(await rt.list({ [LABELS.agentId]: `${AGENT_ID}-nobody` })).toEqual([]);
  });

  it('removes (twice is a no-op) and then inspect answers null', async () => {
    await rt.remove(RENAMED);
    await rt.remove(RENAMED);
    expect(await rt.inspect(RENAMED)).toBeNull();
    await waitFor('the remove event', () => sawEvent('remove', RENAMED));
  });

  it('errors: missing image, missing container, bad spec', async () => {
    const missingImage = await rt
      .create(spec({ image: `agentdesk-test-missing-${suffix}:1` }))
      .catch((e: unknown) => e);
    expect(missingImage).toBeInstanceOf(RuntimeNotFoundError);
    expect(missingImage).toMatchObject({ what: 'image' });
    await expect(rt.start(`agentdesk-test-none-${suffix}`)).rejects.toBeInstanceOf(RuntimeNotFoundError);
    await expect(rt.logs(`agentdesk-test-none-${suffix}`, { tail: 5 })).rejects.toBeInstanceOf(
      RuntimeNotFoundError,
    );
    await expect(rt.create(spec({ name: 'Bad_Name' }))).rejects.toThrow(/a-z, 0-9 and "-"/);
    await expect(rt.create(spec({ memoryMiB: 1 }))).rejects.toThrow(/at least 6 MiB/);
    await expect(
      rt.create(spec({ mounts: [{ hostPath: 'rel', containerPath: '/x', readOnly: true }] })),
    ).rejects.toThrow(/absolute/);
  });

  it('the event stream reports an outage, reconnects when the socket appears, then delivers events', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-test-sock-'));
    const sock = path.join(dir, 'docker.sock');
    const late = new DockerRuntime({ env: { DOCKER_HOST: `unix://${sock}` }, networkName: NETWORK });
    const seen: RuntimeEvent[] = [];
    const log: { connected: boolean; error?: string }[] = [];
    const off = late.events(
      (e) => seen.push(e),
      (connected, error) => log.push({ connected, ...(error ? { error } : {}) }),
    );
    const name = `agentdesk-test-ev-${suffix}`;
    try {
      const down = await waitFor('the outage report', () => log.find((s) => !s.connected));
      expect(down.error).toMatch(/ENOENT/);
      fs.symlinkSync('/var/run/docker.sock', sock); // the engine "comes back" at that address
      await waitFor('the reconnect', () => log.at(-1)?.connected === true);
      await rt.create(spec({ name, mounts: [], ports: [] }));
      const created = await waitFor('the create event', () => seen.find((e) => e.name === name));
      expect(created.action).toBe('create');
    } finally {
      off();
      await late.close();
      await rt.remove(name);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('removeImage: gone afterwards, and again is a no-op', async () => {
    await rt.removeImage(IMAGE);
    expect(await rt.imagePresent(IMAGE)).toBe(false);
    await rt.removeImage(IMAGE);
  });
});
