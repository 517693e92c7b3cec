// Volumes standing for host folders on a remote engine, against the local Docker engine (the archive API is the same).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type Dockerode from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBaseImage } from '../../../../test/base-image';
import { skipUnlessReal } from '../../../../test/real';
import { LABELS } from '../container-runtime';
import type { ContainerSpec } from '../container-runtime';
import { connectDocker } from './docker-client';
import { demuxBufferLines } from './docker-logs';
import { DockerRuntime } from './docker-runtime';
import {
  ensureVolumes,
  parseVolumesLabel,
  refreshReadOnlyVolumes,
  removeAgentVolumes,
  volumeMounts,
  VOLUMES_LABEL,
} from './docker-volumes';

const IMAGE = 'agentdesk/agent-base:2';
const AGENT_UID = 64000;
const dockerUp = await new DockerRuntime({ env: process.env }).ping().then(
  () => true,
  () => false,
);
const skip = skipUnlessReal(dockerUp, 'Docker (scripts/bootstrap-linux.sh starts dockerd)');

describe.skipIf(skip)('remote volumes (docker archive API)', () => {
  let docker: Dockerode;
  let modem: ReturnType<typeof connectDocker>['modem'];
  let dir: string;
  const agentId = `vol-test-${process.pid}`;

  beforeAll(async () => {
    await ensureBaseImage(['docker']);
    ({ docker, modem } = connectDocker(process.env));
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ad-vol-'));
    fs.mkdirSync(path.join(dir, 'home', 'workspace'), { recursive: true, mode: 0o700 });
    fs.chmodSync(path.join(dir, 'home'), 0o700);
    fs.chownSync(path.join(dir, 'home'), AGENT_UID, AGENT_UID);
    fs.chownSync(path.join(dir, 'home', 'workspace'), AGENT_UID, AGENT_UID);
    fs.mkdirSync(path.join(dir, 'config'), { mode: 0o750 });
    fs.chmodSync(path.join(dir, 'config'), 0o750);
    fs.chownSync(path.join(dir, 'config'), 0, AGENT_UID);
    fs.writeFileSync(path.join(dir, 'config', 'env'), 'OPENAI_API_KEY=vk-first\n', { mode: 0o640 });
    fs.chownSync(path.join(dir, 'config', 'env'), 0, AGENT_UID);
    fs.writeFileSync(path.join(dir, 'config', 'secret-of-core'), 'core only\n', { mode: 0o600 });
  }, 600_000);

  afterAll(async () => {
    await removeAgentVolumes(docker, agentId);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const spec = () => ({
    name: `agentdesk-${agentId}`,
    labels: { [LABELS.agentId]: agentId },
    mounts: [
      { hostPath: path.join(dir, 'home'), containerPath: '/home/agent', readOnly: false },
      { hostPath: path.join(dir, 'config'), containerPath: '/opt/agentdesk/config', readOnly: true },
    ],
  });

  /** Runs `sh -c script` as the agent's uid with the volumes mounted as the agent would have them. */
  async function runAsAgent(script: string): Promise<{ code: number; out: string }> {
    const mounts = volumeMounts(spec());
    const c = await docker.createContainer({
      Image: IMAGE,
      Entrypoint: ['/bin/sh', '-c', script],
      User: `${AGENT_UID}:${AGENT_UID}`,
      Labels: { [LABELS.managed]: '1' },
      HostConfig: {
        NetworkMode: 'none',
        Mounts: mounts.map((m) => ({
          Type: 'volume' as const,
          Source: m.volume,
          Target: m.containerPath,
          ReadOnly: m.readOnly,
        })),
      },
    });
    try {
      await c.start();
      const { StatusCode } = (await c.wait()) as { StatusCode: number };
      const logs = await c.logs({ stdout: true, stderr: true });
      return { code: StatusCode, out: (await demuxBufferLines(modem, logs)).join('\n') };
    } finally {
      await c.remove({ force: true });
    }
  }

  it('fills the home once and the config at every start, keeping owners and modes', async () => {
    const mounts = volumeMounts(spec());
    await ensureVolumes(docker, mounts, IMAGE, spec().labels);
    const first = await runAsAgent(
      'stat -c "%u:%g %a" /home/agent /home/agent/workspace /opt/agentdesk/config /opt/agentdesk/config/env; cat /opt/agentdesk/config/env; echo mine > /home/agent/workspace/note; cat /opt/agentdesk/config/secret-of-core || echo unreadable',
    );
    expect(first.code).toBe(0);
    expect(first.out).toContain(`${AGENT_UID}:${AGENT_UID} 700`);
    expect(first.out).toContain(`0:${AGENT_UID} 750`);
    expect(first.out).toContain(`0:${AGENT_UID} 640`);
    expect(first.out).toContain('OPENAI_API_KEY=vk-first');
    expect(first.out).toContain('unreadable');

    // The core writes a new key before the next start; the agent's own file in its home stays.
    fs.writeFileSync(path.join(dir, 'config', 'env'), 'OPENAI_API_KEY=vk-second\n');
    await refreshReadOnlyVolumes(docker, mounts, IMAGE);
    await ensureVolumes(docker, mounts, IMAGE, spec().labels);
    const second = await runAsAgent('cat /opt/agentdesk/config/env /home/agent/workspace/note');
    expect(second.out).toContain('OPENAI_API_KEY=vk-second');
    expect(second.out).not.toContain('vk-first');
    expect(second.out).toContain('mine');
  }, 120_000);

  it('keeps the config read-only for the agent', async () => {
    const r = await runAsAgent('echo x > /opt/agentdesk/config/env && echo wrote || echo refused');
    expect(r.out).toContain('refused');
    expect(r.out).not.toContain('wrote');
  }, 60_000);

  it('reads its label back, dropping entries that are not its own shape', () => {
    const good = volumeMounts(spec());
    const text = JSON.stringify([
      ...good,
      { volume: '../../etc', hostPath: '/etc', containerPath: '/x', readOnly: true },
    ]);
    expect(parseVolumesLabel(text)).toEqual(good);
    expect(parseVolumesLabel('not json')).toEqual([]);
    expect(VOLUMES_LABEL).toBe('agentdesk.volumes');
  });

  it('purges the agent volumes and nothing else', async () => {
    const other = await docker.createVolume({
      Name: `agentdesk-other-${process.pid}`,
      Labels: { [LABELS.managed]: '1' },
    });
    try {
      expect(await removeAgentVolumes(docker, agentId)).toEqual([]);
      const left = await docker.listVolumes({
        filters: JSON.stringify({ label: [`${LABELS.agentId}=${agentId}`] }),
      });
      expect(left.Volumes ?? []).toEqual([]);
      await expect(docker.getVolume(`agentdesk-other-${process.pid}`).inspect()).resolves.toBeTruthy();
    } finally {
      await docker
        .getVolume(other.name)
        .remove()
        .catch(() => undefined);
    }
  }, 60_000);
});

describe.skipIf(skip)('DockerRuntime with hostFolders "volumes" (a remote engine)', () => {
  it('creates, refreshes the config at start, keeps the home across a new container, purges', async () => {
    await ensureBaseImage(['docker']);
    const rt = new DockerRuntime({ env: process.env, hostFolders: 'volumes' });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ad-volrt-'));
    const agentId = `volrt-${process.pid}`;
    const name = `agentdesk-volrt-${process.pid}`;
    const home = path.join(dir, 'home');
    const config = path.join(dir, 'config');
    fs.mkdirSync(home, { mode: 0o700 });
    fs.chownSync(home, AGENT_UID, AGENT_UID);
    fs.mkdirSync(config, { mode: 0o750 });
    fs.chownSync(config, 0, AGENT_UID);
    fs.writeFileSync(path.join(config, 'env'), 'KEY=one\n', { mode: 0o640 });
    fs.chownSync(path.join(config, 'env'), 0, AGENT_UID);
    const spec: ContainerSpec = {
      name,
      image: IMAGE,
      env: {},
      labels: { [LABELS.agentId]: agentId },
      mounts: [
        { hostPath: home, containerPath: '/home/agent', readOnly: false },
        { hostPath: config, containerPath: '/opt/agentdesk/config', readOnly: true },
      ],
      memoryMiB: 128,
      cpus: 0.5,
      ports: [],
      command: ['/bin/sh', '-c', 'sleep 600'],
      security: { uid: AGENT_UID, gid: AGENT_UID, pidsLimit: 64, tmpfs: { '/tmp': 16 } },
    };
    try {
      await rt.create(spec);
      await rt.start(name);
      const one = await rt.exec(
        name,
        ['sh', '-c', 'cat /opt/agentdesk/config/env; echo kept > /home/agent/mine'],
        {
          timeoutMs: 20_000,
        },
      );
      expect(one.stdout).toContain('KEY=one');
      expect(one.stderr).toBe('');
      expect(one.exitCode).toBe(0);
      await rt.stop(name, { timeoutS: 1 });
      fs.writeFileSync(path.join(config, 'env'), 'KEY=two\n');
      // A new container of the same agent (containment changed, restored…): same home, new config.
      await rt.remove(name);
      await rt.create(spec);
      await rt.start(name);
      const two = await rt.exec(name, ['sh', '-c', 'cat /opt/agentdesk/config/env /home/agent/mine'], {
        timeoutMs: 20_000,
      });
      expect(two.stdout).toContain('KEY=two');
      expect(two.stdout).toContain('kept');
      await rt.stop(name, { timeoutS: 1 });
      fs.writeFileSync(path.join(config, 'env'), 'KEY=three\n');
      await rt.start(name);
      const three = await rt.exec(name, ['cat', '/opt/agentdesk/config/env'], { timeoutMs: 20_000 });
      expect(three.stdout).toContain('KEY=three');
    } finally {
      await rt.remove(name);
      expect(await rt.purgeAgentData(agentId)).toEqual([]);
      fs.rmSync(dir, { recursive: true, force: true });
      await rt.close();
    }
    const { docker } = connectDocker(process.env);
    const left = await docker.listVolumes({
      filters: JSON.stringify({ label: [`${LABELS.agentId}=${agentId}`] }),
    });
    expect(left.Volumes ?? []).toEqual([]);
  }, 180_000);
});
