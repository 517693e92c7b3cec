// Threads copied out of an agent's container on a remote engine: the agent writes that folder, so what it
// puts there (links, folders, odd names, floods) must not reach anything but the core's own copy.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBaseImage } from '../../../test/base-image';
import { skipUnlessReal } from '../../../test/real';
import { LABELS } from '../runtimes/container-runtime';
import { DockerRuntime } from '../runtimes/docker/docker-runtime';
import { mirrorThreads, remoteHomeOf, THREADS_IN_CONTAINER } from './remote-threads';

const dockerUp = await new DockerRuntime({ env: process.env }).ping().then(
  () => true,
  () => false,
);
const skip = skipUnlessReal(dockerUp, 'Docker (scripts/bootstrap-linux.sh starts dockerd)');

describe.skipIf(skip)('remote threads copied out of a hostile container', () => {
  const rt = new DockerRuntime({ env: process.env, hostFolders: 'volumes' });
  const name = `agentdesk-threads-${process.pid}`;
  const agentId = `threads-${process.pid}`;
  let root: string;

  beforeAll(async () => {
    await ensureBaseImage(['docker']);
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'ad-rthreads-'));
    const home = path.join(root, 'home');
    fs.mkdirSync(home, { mode: 0o700 });
    fs.chownSync(home, 64000, 64000);
    await rt.create({
      name,
      image: 'agentdesk/agent-base:2',
      env: {},
      labels: { [LABELS.agentId]: agentId },
      mounts: [{ hostPath: home, containerPath: '/home/agent', readOnly: false }],
      memoryMiB: 128,
      cpus: 0.5,
      ports: [],
      command: ['/bin/sh', '-c', 'sleep 600'],
      security: { uid: 64000, gid: 64000, pidsLimit: 64, tmpfs: { '/tmp': 16 } },
    });
    await rt.start(name);
    // What a prompt-injected agent can leave in its threads folder.
    const script = [
      `mkdir -p ${THREADS_IN_CONTAINER}/sub.json`,
      `cd ${THREADS_IN_CONTAINER}`,
      `echo '{"thread_id":"t1","updated_at":1,"messages":[]}' > t1.json`,
      'ln -s /etc/passwd link.json',
      'ln -s /etc/passwd ../../escape.json',
      "echo nope > 'bad name.json'",
      'echo nope > notes.txt',
      'echo inner > sub.json/inner.json',
      'touch -d 2020-01-01 t1.json',
    ].join(' && ');
    const r = await rt.exec(name, ['sh', '-c', script], { timeoutMs: 20_000 });
    expect(r.stderr).toBe('');
  }, 600_000);

  afterAll(async () => {
    await rt.remove(name);
    await rt.purgeAgentData(agentId);
    await rt.close();
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('copies only regular <id>.json files, keeps their time, follows no link', async () => {
    // A file the core left in an earlier copy, and a link planted where the copy goes: both replaced.
    const threads = path.join(remoteHomeOf(root), '.agentdesk', 'threads');
    fs.mkdirSync(threads, { recursive: true });
    fs.writeFileSync(path.join(threads, 'old.json'), '{}');
    const home = await mirrorThreads(rt, name, root);
    expect(home).toBe(remoteHomeOf(root));
    expect(fs.readdirSync(threads).sort()).toEqual(['t1.json']);
    expect(fs.lstatSync(path.join(threads, 't1.json')).mtime.getUTCFullYear()).toBe(2020);
    expect(fs.statSync(remoteHomeOf(root)).mode & 0o777).toBe(0o700);
    expect(JSON.parse(fs.readFileSync(path.join(threads, 't1.json'), 'utf8'))).toMatchObject({
      thread_id: 't1',
    });
  }, 60_000);

  it('takes at most the byte budget when the agent floods the folder', async () => {
    const big = await rt.copyFilesOut(name, THREADS_IN_CONTAINER, {
      accept: () => true,
      maxFiles: 10,
      maxBytes: 10,
    });
    // Two 5-byte files fit; t1.json (48 bytes) would pass the budget and is left out.
    expect(big.map((f) => f.name).sort()).toEqual(['bad name.json', 'notes.txt']);
    expect(big.reduce((n, f) => n + f.data.length, 0)).toBeLessThanOrEqual(10);
    const few = await rt.copyFilesOut(name, THREADS_IN_CONTAINER, {
      accept: () => true,
      maxFiles: 1,
      maxBytes: 1 << 20,
    });
    expect(few).toHaveLength(1);
    const none = await rt.copyFilesOut(name, '/home/agent/no-such-folder', {
      accept: () => true,
      maxFiles: 10,
      maxBytes: 1 << 20,
    });
    expect(none).toEqual([]);
  }, 60_000);

  it('is a no-op for an engine that shares this machine’s folders', async () => {
    expect(await mirrorThreads({}, name, root)).toBeNull();
  });
});
