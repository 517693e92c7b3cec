// IncusRuntime against the real Incus daemon: image import, create/start/stop/rename/remove, proxies, exec, logs, events.
import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { skipUnlessReal } from '../../../../test/real';
import {
  LABELS,
  RuntimeNotFoundError,
  RuntimeOperationError,
  RuntimeUnavailableError,
} from '../container-runtime';
import type { ContainerSpec, RuntimeEvent, RuntimeProgress } from '../container-runtime';
import { resolveIncusSocket } from '../incus-endpoint';
import { IncusClient } from './incus-client';
import { IncusRuntime } from './incus-runtime';
import { buildTestImage } from './incus-test-image';
import type { TestImageFiles } from './incus-test-image';

const run = promisify(execFile);
const available = await new IncusRuntime({ env: process.env }).ping().then(
  () => true,
  () => false,
);

const suffix = crypto.randomBytes(4).toString('hex');
const ref = `agentdesk-test/agent-base-${suffix}:1`;
const name = `agentdesk-test-${suffix}`;
const renamed = `${name}-r`;
const stubborn = `agentdesk-test-${suffix}-pwr`;
const agentId = `agent-${suffix}`;
/**
 * The suite's own Incus project (sharing the default project's images and profiles): other suites on
 * this daemon reconcile `agentdesk.managed` containers of the default project and would remove ours.
 */
const project = `agentdesk-test-${suffix}`;

/** Polls `check` every 200 ms until it returns a value (not a timing assertion: `limitMs` only bounds a hang). */
async function waitFor<T>(
  check: () => Promise<T | undefined> | T | undefined,
  what: string,
  limitMs = 30_000,
): Promise<T> {
  const end = Date.now() + limitMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Connects to 127.0.0.1:port and returns what the server sends before closing, or undefined on error. */
function readFrom(port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const sock = net.connect(port, '127.0.0.1');
    let text = '';
    sock.on('data', (d: Buffer) => (text += d.toString()));
    sock.on('end', () => resolve(text || undefined));
    sock.on('error', () => resolve(undefined));
  });
}

describe.skipIf(skipUnlessReal(available, 'Incus (unix socket answering)'))(
  'IncusRuntime (real Incus)',
  () => {
    const runtime = new IncusRuntime({ env: process.env, project });
    const admin = new IncusClient(resolveIncusSocket(process.env), 'default');
    const events: RuntimeEvent[] = [];
    let connected = false;
    let unsubscribe: () => void = () => undefined;
    let dir = '';
    let home = '';
    let image: TestImageFiles;
    let hostServer: net.Server;
    let hostServerPort = 0;
    let forwardPort = 0;

    beforeAll(async () => {
      const features = {
        'features.images': 'false',
        'features.profiles': 'false',
        'features.storage.volumes': 'false',
      };
      await admin.send('POST', '/1.0/projects', { name: project, config: features }, 'test project');
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-test-incus-'));
      home = path.join(dir, 'home');
      fs.mkdirSync(home);
      image = buildTestImage(dir);
      hostServer = net.createServer((s) => s.end('hello-from-host'));
      await new Promise<void>((r) => hostServer.listen(0, '127.0.0.1', r));
      hostServerPort = (hostServer.address() as net.AddressInfo).port;
      unsubscribe = runtime.events(
        (e) => events.push(e),
        (c) => (connected = c),
      );
    });

    afterAll(async () => {
      unsubscribe();
      for (const n of [name, renamed, stubborn]) await runtime.remove(n).catch(() => undefined);
      await runtime.removeImage(ref).catch(() => undefined);
      await runtime.close();
      await admin
        .send('DELETE', `/1.0/projects/${project}`, undefined, 'test project')
        .catch(() => undefined);
      admin.close();
      hostServer?.close();
      if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    const spec = (over: Partial<ContainerSpec> = {}): ContainerSpec => ({
      name,
      image: ref,
      env: { FOO: 'bar baz' },
      labels: { [LABELS.agentId]: agentId, [LABELS.slug]: 'test' },
      mounts: [{ hostPath: home, containerPath: '/home/agent', readOnly: false }],
      memoryMiB: 256,
      cpus: 1.5,
      ports: [{ containerPort: 8100, hostPort: 0 }],
      hostServicePort: hostServerPort,
      command: [
        '/usr/bin/node',
        '-e',
        "require('net').createServer((s) => s.end('pong-from-container')).listen(8100, '127.0.0.1')",
      ],
      ...over,
    });

    it('reports the server and its resources', async () => {
      const info = await runtime.info();
      expect(info).toMatchObject({
        kind: 'incus',
        apiVersion: '1.0',
        endpoint: resolveIncusSocket(process.env),
      });
      expect(info.version).toMatch(/^\d+\.\d+/);
      expect(info.cpus).toBeGreaterThan(0);
      expect(info.memoryBytes).toBeGreaterThan(0);
      expect(await runtime.prepareNetwork()).toEqual({ gatewayBind: null });
    });

    it('imports the split image with progress, and a new import replaces the old image', async () => {
      expect(await runtime.imagePresent(ref)).toBe(false);
      const progress: RuntimeProgress[] = [];
      await runtime.importImage(ref, { rootfs: image.rootfs, incusMetadata: image.metadata }, (p) =>
        progress.push(p),
      );
      expect(await runtime.imagePresent(ref)).toBe(true);
      expect(progress.some((p) => p.fraction !== null && p.fraction > 0 && p.fraction < 1)).toBe(true);
      expect(progress.at(-1)).toMatchObject({ fraction: 1 });

      const client = admin;
      const alias = `/1.0/images/aliases/${encodeURIComponent(ref)}`;
      const first = (await client.get<{ target: string }>(alias, 'test')).target;
      await runtime.importImage(ref, { rootfs: image.rootfs, incusMetadata: image.metadata }); // same bytes again
      expect((await client.get<{ target: string }>(alias, 'test')).target).toBe(first);
      const other = buildTestImage(dir, 'b');
      await runtime.importImage(ref, { rootfs: other.rootfs, incusMetadata: other.metadata });
      expect((await client.get<{ target: string }>(alias, 'test')).target).not.toBe(first);
      await expect(client.get(`/1.0/images/${first}`, 'test')).rejects.toMatchObject({ status: 404 });
    });

    it('creates a container with env, labels, mount, limits and a 127.0.0.1 forward', async () => {
      const info = await runtime.create(spec());
      expect(info).toMatchObject({
        name,
        image: ref,
        state: 'created',
        memoryMiB: 256,
        cpus: 2,
        startedAt: null,
      });
      expect(info.labels).toMatchObject({ [LABELS.agentId]: agentId, [LABELS.managed]: '1' });
      expect(info.ports).toHaveLength(1);
      expect(info.ports[0]?.containerPort).toBe(8100);
      forwardPort = info.ports[0]?.hostPort ?? 0;
      expect(forwardPort).toBeGreaterThan(0);
      expect((await runtime.list({ [LABELS.agentId]: agentId })).map((c) => c.name)).toEqual([name]);
      expect(await runtime.list({ [LABELS.agentId]: 'nobody' })).toEqual([]);
      await expect(runtime.create(spec())).rejects.toBeInstanceOf(RuntimeOperationError);
    });

    it('starts it; the host reaches its server through the forward, it reaches the host service', async () => {
      await runtime.start(name);
      await runtime.start(name); // already running = no-op
      const info = await runtime.inspect(name);
      expect(info?.state).toBe('running');
      expect(info?.startedAt).toBeGreaterThan(0);
      expect(await waitFor(() => readFrom(forwardPort), 'the in-container server')).toBe(
        'pong-from-container',
      );

      const { host, port } = await runtime.hostServiceAddress(hostServerPort);
      const client = `require('net').connect(${port}, '${host}').on('data', (d) => process.stdout.write(d))`;
      const res = await runtime.exec(name, ['/usr/bin/node', '-e', client], { timeoutMs: 20_000 });
      expect(res).toMatchObject({ exitCode: 0, stdout: 'hello-from-host' });
    });

    it('runs commands: env, exit code, stderr, the shifted mount, and kills one that times out', async () => {
      const env = await runtime.exec(name, ['/bin/sh', '-c', 'echo "$FOO/$BAR"'], {
        timeoutMs: 10_000,
        env: { BAR: 'x' },
      });
      expect(env).toEqual({ exitCode: 0, stdout: 'bar baz/x\n', stderr: '' });
      const fail = await runtime.exec(name, ['/bin/sh', '-c', 'echo oops >&2; exit 3'], {
        timeoutMs: 10_000,
      });
      expect(fail).toEqual({ exitCode: 3, stdout: '', stderr: 'oops\n' });
      const missing = await runtime.exec(name, ['/no/such/program'], { timeoutMs: 10_000 });
      expect(missing.exitCode).toBe(127);
      expect(missing.stderr).toMatch(/\/no\/such\/program.*not found/);

      await runtime.exec(name, ['/bin/sh', '-c', 'echo written-inside > /home/agent/note.txt'], {
        timeoutMs: 10_000,
      });
      expect(fs.readFileSync(path.join(home, 'note.txt'), 'utf8')).toBe('written-inside\n');
      expect(fs.statSync(path.join(home, 'note.txt')).uid).toBe(0);

      await expect(runtime.exec(name, ['/usr/bin/sleep', '300'], { timeoutMs: 1000 })).rejects.toThrow(
        /did not finish/,
      );
      const scan =
        "const fs = require('fs'); console.log(fs.readdirSync('/proc').filter((p) => /^\\d+$/.test(p))" +
        ".some((p) => { try { return fs.readFileSync('/proc/' + p + '/cmdline', 'utf8') === '/usr/bin/sleep\\u0000300\\u0000'; } catch { return false; } }))";
      expect((await runtime.exec(name, ['/usr/bin/node', '-e', scan], { timeoutMs: 10_000 })).stdout).toBe(
        'false\n',
      );
    });

    it('shows the init output in logs, again on a second read, and follows new lines', async () => {
      const lines = await runtime.logs(name, { tail: 100 });
      expect(lines).toEqual(expect.arrayContaining(['init: started', 'init: to stderr']));
      expect(await runtime.logs(name, { tail: 100 })).toEqual(expect.arrayContaining(['init: started']));
      expect(await runtime.logs(name, { tail: 1 })).toHaveLength(1);

      const followed: string[] = [];
      const abort = new AbortController();
      const following = runtime.followLogs(name, (l) => followed.push(l), abort.signal);
      await runtime.exec(name, ['/bin/sh', '-c', 'echo follow-me > /dev/console'], { timeoutMs: 10_000 });
      await waitFor(() => (followed.includes('follow-me') ? true : undefined), 'the followed line');
      abort.abort();
      await following;
    });

    it('reports events of its containers, including a stop made outside the app', async () => {
      await waitFor(() => (connected ? true : undefined), 'the event stream');
      await run('incus', ['stop', '--force', '--project', project, name]);
      const stop = await waitFor(
        () => events.find((e) => e.action === 'stop' && e.name === name),
        'the stop event',
      );
      expect(stop).toMatchObject({ kind: 'incus', labels: { [LABELS.agentId]: agentId } });
      expect((await runtime.inspect(name))?.state).toBe('stopped');
      expect(events.some((e) => e.action === 'start' && e.name === name)).toBe(true);
      expect(events.some((e) => e.action === 'create' && e.name === name)).toBe(true);
    });

    it('stops cleanly within the timeout (the init exits on SIGPWR)', async () => {
      await runtime.start(name);
      await waitFor(
        async () => ((await runtime.logs(name, { tail: 100 })).includes('init: started') ? true : undefined),
        'init',
      );
      await runtime.stop(name, { timeoutS: 20 });
      expect((await runtime.inspect(name))?.state).toBe('stopped');
      expect(await runtime.logs(name, { tail: 5 })).toContain('init: stopping');
      await runtime.stop(name, { timeoutS: 20 }); // already stopped = no-op
    });

    it('forces a stop when the init ignores SIGPWR', async () => {
      await runtime.create(
        spec({ name: stubborn, env: { AGENTDESK_TEST_IGNORE_PWR: '1' }, ports: [], mounts: [], command: [] }),
      );
      await runtime.start(stubborn);
      await runtime.stop(stubborn, { timeoutS: 1 });
      expect((await runtime.inspect(stubborn))?.state).toBe('stopped');
      await runtime.remove(stubborn);
    });

    it('renames, refuses a taken name, removes twice, and reports the missing container', async () => {
      await runtime.rename(name, renamed);
      expect(await runtime.inspect(name)).toBeNull();
      expect((await runtime.inspect(renamed))?.labels[LABELS.agentId]).toBe(agentId);
      await waitFor(
        () => events.find((e) => e.action === 'rename' && e.name === renamed),
        'the rename event',
      );
      await runtime.create(spec({ ports: [], mounts: [], hostServicePort: undefined }));
      await expect(runtime.rename(renamed, name)).rejects.toThrow(/already exists/);
      await runtime.remove(name);

      await runtime.remove(renamed);
      await runtime.remove(renamed);
      expect(await runtime.inspect(renamed)).toBeNull();
      const removed = await waitFor(
        () => events.find((e) => e.action === 'remove' && e.name === renamed),
        'remove event',
      );
      expect(removed.labels[LABELS.agentId]).toBe(agentId);
      await expect(runtime.start(renamed)).rejects.toBeInstanceOf(RuntimeNotFoundError);
      await expect(runtime.logs(renamed, { tail: 5 })).rejects.toBeInstanceOf(RuntimeNotFoundError);
    });

    it('refuses a missing image and bad input with errors that say what is wrong', async () => {
      const err = await runtime
        .create(spec({ image: `agentdesk-test/missing-${suffix}:1` }))
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RuntimeNotFoundError);
      expect(err).toMatchObject({ what: 'image' });
      await expect(runtime.create(spec({ name: 'Bad_Name' }))).rejects.toThrow(/Bad_Name.*not valid/);
      await expect(runtime.create(spec({ ports: [{ containerPort: 0, hostPort: 0 }] }))).rejects.toThrow(
        /containerPort 0/,
      );
      await expect(runtime.importImage(ref, { rootfs: image.rootfs })).rejects.toThrow(/metadata/);
      await runtime.removeImage(ref);
      await runtime.removeImage(ref); // missing = no-op
      expect(await runtime.imagePresent(ref)).toBe(false);
    });

    it('says Incus is unavailable, and how to fix it, when the socket does not exist', async () => {
      const bad = new IncusRuntime({ env: { INCUS_SOCKET: '/nonexistent/unix.socket' } });
      const err = await bad.ping().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RuntimeUnavailableError);
      expect((err as RuntimeUnavailableError).fix).toMatch(/incus/i);
      await expect(bad.inspect(name)).rejects.toBeInstanceOf(RuntimeUnavailableError);
      await bad.close();
    });
  },
);
