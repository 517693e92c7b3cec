// DockerRuntime without a working engine: missing socket, unsupported DOCKER_HOST, an engine that never answers.
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { RuntimeUnavailableError } from '../container-runtime';
import { DockerRuntime } from './docker-runtime';

describe('DockerRuntime when the engine is not there', () => {
  it('an unreachable endpoint is RuntimeUnavailableError with a fix', async () => {
    const gone = new DockerRuntime({ env: { DOCKER_HOST: 'unix:///nonexistent' } });
    const err = await gone.ping().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RuntimeUnavailableError);
    expect((err as RuntimeUnavailableError).message).toContain('/nonexistent');
    expect((err as RuntimeUnavailableError).fix).toMatch(/Start Docker/);
    await expect(gone.info()).rejects.toBeInstanceOf(RuntimeUnavailableError);
    await expect(gone.inspect('agentdesk-x')).rejects.toBeInstanceOf(RuntimeUnavailableError);
    await gone.close();
  });

  it('an engine that accepts but never answers is RuntimeUnavailableError, not a hang', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-test-hang-'));
    const sock = path.join(dir, 'docker.sock');
    const silent = net.createServer((c) => c.resume()); // reads requests, never answers
    await new Promise<void>((resolve) => silent.listen(sock, resolve));
    const hung = new DockerRuntime({ env: { DOCKER_HOST: `unix://${sock}` } });
    try {
      const err = await hung.ping().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RuntimeUnavailableError);
      expect((err as Error).message).toMatch(/did not answer/);
    } finally {
      await hung.close();
      await new Promise((r) => silent.close(r));
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('an unsupported DOCKER_HOST is RuntimeUnavailableError naming the valid forms', async () => {
    const bad = new DockerRuntime({ env: { DOCKER_HOST: 'ssh://somewhere' } });
    const err = await bad.ping().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RuntimeUnavailableError);
    expect((err as RuntimeUnavailableError).fix).toMatch(/unix:\/\/.*tcp:\/\//);
  });
});
