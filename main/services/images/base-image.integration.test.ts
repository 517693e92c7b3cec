// The base image in real Docker and real Incus: tools inside, the init's command/env/stop behaviour, export → import.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBaseImage, imageCacheDir, imageScriptsDir, runtimeFor } from '../../../test/base-image';
import { skipUnlessReal } from '../../../test/real';
import type { ContainerRuntime, ContainerSpec, RuntimeKind } from '../runtimes/container-runtime';
import { BASE_IMAGE_REF, BASE_IMAGE_VERSION, ImageService } from './base-image';
import type { ImageProgress } from './base-image';
import { Runtimes } from '../runtimes/runtimes';

const kinds: RuntimeKind[] = ['docker', 'incus'];
const runtimes = { docker: runtimeFor('docker'), incus: runtimeFor('incus') };
const reachable = await Promise.all(
  kinds.map((k) =>
    runtimes[k].ping().then(
      () => true,
      () => false,
    ),
  ),
);
const skip = skipUnlessReal(reachable.every(Boolean), 'Docker and Incus');

const suffix = crypto.randomBytes(4).toString('hex');
const testRef = `agentdesk-test/agent-base-${suffix}:1`;
const quiet = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
/** The child traps SIGTERM and exits 7, so a graceful stop is told apart from a kill (137 / no output). */
const TRAPPING = 'trap "echo got term; exit 7" TERM; echo "greeting=$GREETING"; while :; do sleep 0.2; done';

/** Polls until `check` returns a value; `limitMs` only bounds a hang, it is not a speed assertion. */
async function waitFor<T>(check: () => Promise<T | undefined>, what: string, limitMs = 60_000): Promise<T> {
  const end = Date.now() + limitMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const logsContaining = (rt: ContainerRuntime, name: string, text: string): Promise<string[]> =>
  waitFor(async () => {
    const lines = await rt.logs(name, { tail: 50 });
    return lines.some((l) => l.includes(text)) ? lines : undefined;
  }, `"${text}" in the logs of ${name}`);

describe.skipIf(skip)('base image agentdesk/agent-base:2', () => {
  const created: [RuntimeKind, string][] = [];
  let tmp: string;

  /** A container of `image` with a home folder and a read-only config folder holding `env`; started. */
  async function startContainer(
    kind: RuntimeKind,
    tag: string,
    spec: Partial<ContainerSpec>,
    envFile = 'GREETING="hello from the env file"\n',
  ): Promise<string> {
    const name = `agentdesk-test-${suffix}-${tag}`;
    const home = path.join(tmp, name);
    const config = path.join(tmp, `${name}-config`);
    fs.mkdirSync(home, { recursive: true });
    fs.mkdirSync(config, { recursive: true });
    fs.writeFileSync(path.join(config, 'env'), envFile, { mode: 0o640 });
    created.push([kind, name]);
    await runtimes[kind].create({
      name,
      image: BASE_IMAGE_REF,
      env: {},
      labels: {},
      mounts: [
        { hostPath: home, containerPath: '/home/agent', readOnly: false },
        { hostPath: config, containerPath: '/opt/agentdesk/config', readOnly: true, idmapped: true },
      ],
      memoryMiB: 256,
      cpus: 1,
      ports: [],
      command: [],
      ...spec,
    });
    await runtimes[kind].start(name);
    return name;
  }

  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-test-image-'));
    await ensureBaseImage(kinds);
  }, 40 * 60_000);

  afterAll(async () => {
    for (const [kind, name] of created) await runtimes[kind].remove(name).catch(() => undefined);
    for (const kind of kinds) await runtimes[kind].removeImage(testRef).catch(() => undefined);
    await Promise.allSettled(kinds.map((k) => runtimes[k].close()));
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('is present in Docker and in Incus', async () => {
    for (const kind of kinds) expect(await runtimes[kind].imagePresent(BASE_IMAGE_REF), kind).toBe(true);
  });

  it('has Node ≥ 20, git, curl, python3, bash and ps in Docker', async () => {
    const name = await startContainer('docker', 'tools', { command: ['sleep', '600'] });
    const node = await runtimes.docker.exec(name, ['node', '-p', 'process.versions.node'], {
      timeoutMs: 30_000,
    });
    expect(node.exitCode).toBe(0);
    expect(Number(node.stdout.trim().split('.')[0])).toBeGreaterThanOrEqual(20);
    const tools = await runtimes.docker.exec(
      name,
      ['sh', '-c', 'for t in git curl python3 bash ps; do command -v "$t" || echo "missing $t"; done; pwd'],
      { timeoutMs: 30_000 },
    );
    expect(tools.stdout).not.toContain('missing');
    expect(tools.stdout.trim().split('\n').at(-1)).toBe('/home/agent/workspace');
  });

  it('runs AGENTDESK_COMMAND with the env file exported, and docker stop ends it with its own status', async () => {
    const name = await startContainer('docker', 'init', { env: { AGENTDESK_COMMAND: TRAPPING } });
    await logsContaining(runtimes.docker, name, 'greeting=hello from the env file');
    await runtimes.docker.stop(name, { timeoutS: 30 });
    const info = await runtimes.docker.inspect(name);
    expect(info?.state).toBe('stopped');
    // 7 = the child's trap ran (SIGTERM forwarded); 137 would mean Docker killed it at the timeout.
    expect(info?.exitCode).toBe(7);
    expect(await runtimes.docker.logs(name, { tail: 10 })).toContain('got term');
  });

  it('says so and stays up (no restart loop) when the runtime file is not mounted', async () => {
    const name = await startContainer('docker', 'noruntime', {});
    await logsContaining(
      runtimes.docker,
      name,
      'agent runtime /opt/agentdesk/runtime/agent-runtime.cjs is missing',
    );
    expect((await runtimes.docker.inspect(name))?.state).toBe('running');
    await runtimes.docker.stop(name, { timeoutS: 30 });
    expect((await runtimes.docker.inspect(name))?.exitCode).toBe(1);
  });

  it('starts in Incus (/sbin/init is the init) and stops gracefully on SIGPWR', async () => {
    const name = await startContainer('incus', 'init', { env: { AGENTDESK_COMMAND: TRAPPING } });
    await logsContaining(runtimes.incus, name, 'greeting=hello from the env file');
    const init = await runtimes.incus.exec(
      name,
      ['sh', '-c', 'readlink -f /sbin/init; tr "\\0" " " </proc/1/cmdline'],
      {
        timeoutMs: 30_000,
      },
    );
    expect(init.stdout.trim().split('\n')).toEqual(['/usr/local/bin/agentdesk-init', '/bin/sh /sbin/init']);
    await runtimes.incus.stop(name, { timeoutS: 30 });
    expect((await runtimes.incus.inspect(name))?.state).toBe('stopped');
    // Only a graceful stop lets the child's SIGTERM trap print; a forced stop kills it silently.
    expect(await runtimes.incus.logs(name, { tail: 20 })).toContain('got term');
  });

  it('exports to one file and imports it back into both runtimes', async () => {
    const exporter = new ImageService({
      runtimes: new Runtimes(runtimes),
      env: process.env,
      scriptsDir: imageScriptsDir(),
      cacheDir: imageCacheDir(),
      log: quiet,
    });
    const file = path.join(tmp, 'agent-base.tar');
    await exporter.exportTo(file);

    // A machine with an empty cache imports it under a fresh ref (so the shared image is never removed).
    const progress: ImageProgress[] = [];
    const importer = new ImageService({
      runtimes: new Runtimes(runtimes),
      env: process.env,
      scriptsDir: imageScriptsDir(),
      cacheDir: path.join(tmp, 'cache'),
      ref: testRef,
      log: quiet,
      onProgress: (p) => progress.push(p),
    });
    for (const kind of kinds) {
      await runtimes[kind].removeImage(testRef);
      expect(await importer.status(kind)).toEqual({ ref: testRef, present: false, building: false });
    }
    await importer.importFrom(file, kinds);
    for (const kind of kinds) expect((await importer.status(kind)).present, kind).toBe(true);
    expect(progress.filter((p) => p.fraction === 1).map((p) => p.kind)).toEqual(
      expect.arrayContaining(['docker', 'incus']),
    );
    // The imported rootfs is kept in the empty cache, so a later build on this machine is offline.
    expect(fs.existsSync(path.join(tmp, 'cache', `agent-base-${BASE_IMAGE_VERSION}`, 'manifest.json'))).toBe(
      true,
    );

    fs.writeFileSync(path.join(tmp, 'other.tar'), 'not an image');
    await expect(importer.importFrom(path.join(tmp, 'other.tar'), kinds)).rejects.toThrow(
      /other\.tar is not a tar archive .*expected a tar holding manifest\.json, rootfs\.tar, metadata\.tar\.gz/,
    );
  });
});
