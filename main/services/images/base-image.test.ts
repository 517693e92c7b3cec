// Unit tests of ImageService's job handling with a stand-in recipe (the real build is in the integration test).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AppError } from '../../../contract/errors';
import type { ContainerRuntime } from '../runtimes/container-runtime';
import { BASE_IMAGE_VERSION, ImageService } from './base-image';
import type { ImageProgress } from './base-image';
import { Runtimes } from '../runtimes/runtimes';

const quiet = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

/** A recipe that writes a valid small rootfs (manifest with real sums) and counts its runs in `$1/../runs`. */
const STAND_IN = `set -e
out="$1"; mkdir -p "$out"; echo run >> "$out/../runs"
echo "[image] 1/2 Building"
printf rootfs > "$out/rootfs.tar"; printf meta > "$out/metadata.tar.gz"
r=$(sha256sum "$out/rootfs.tar" | cut -d' ' -f1); m=$(sha256sum "$out/metadata.tar.gz" | cut -d' ' -f1)
echo "[image] 2/2 Writing manifest"
cat > "$out/manifest.json" <<JSON
{"ref":"agentdesk/agent-base:2","version":2,"node_version":"v22.23.3","created_at":"2025-01-01T00:00:00Z",
 "files":{"rootfs.tar":{"sha256":"$r","bytes":6},"metadata.tar.gz":{"sha256":"$m","bytes":4}}}
JSON
`;

describe('ImageService', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-test-images-'));
    fs.mkdirSync(path.join(dir, 'recipe'));
    fs.writeFileSync(path.join(dir, 'recipe', 'build-base-rootfs.sh'), STAND_IN);
    fs.writeFileSync(path.join(dir, 'recipe', 'agentdesk-init'), '#!/bin/sh\n');
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const service = (progress: ImageProgress[] = []) =>
    new ImageService({
      runtimes: new Runtimes({}),
      env: process.env,
      scriptsDir: path.join(dir, 'recipe'),
      cacheDir: path.join(dir, 'cache'),
      log: quiet,
      onProgress: (p) => progress.push(p),
    });
  const runs = () =>
    fs
      .readFileSync(path.join(dir, 'cache', 'runs'), 'utf8')
      .trim()
      .split('\n').length;

  it.runIf(process.getuid?.() === 0)(
    'shares a running build with a second caller, then reuses the cached rootfs',
    async () => {
      const progress: ImageProgress[] = [];
      const images = service(progress);
      const first = images.build([]);
      expect(images.build([])).toBe(first);
      await first;
      expect(runs()).toBe(1);
      expect(progress.map((p) => [p.kind, p.fraction, p.message])).toEqual([
        ['rootfs', 0, 'Building'],
        ['rootfs', 0.5, 'Writing manifest'],
        ['rootfs', 1, 'Rootfs built'],
      ]);
      await images.build([]);
      expect(runs()).toBe(1);
      expect(progress.at(-1)?.message).toBe('Using the cached rootfs');
    },
  );

  it('refuses an unknown or unconfigured runtime before building anything', async () => {
    const images = service();
    await expect(images.build(['podman' as never])).rejects.toThrow(
      'Unknown runtime "podman"; valid: docker, incus',
    );
    const err = (await images.build(['docker']).catch((e: unknown) => e)) as AppError;
    expect(err.code).toBe('UNAVAILABLE');
    expect(err.message).toBe('The docker runtime is not configured in this Agent Desk');
    expect(fs.existsSync(path.join(dir, 'cache'))).toBe(false);
  });

  it("tells each of two concurrent builds its own progress, never the other's", async () => {
    // A cached rootfs of this version, so both builds only import it (into a stand-in engine each).
    const cached = path.join(dir, 'cache', `agent-base-${BASE_IMAGE_VERSION}`);
    fs.mkdirSync(cached, { recursive: true });
    fs.writeFileSync(path.join(cached, 'rootfs.tar'), 'rootfs');
    fs.writeFileSync(path.join(cached, 'metadata.tar.gz'), 'meta');
    fs.writeFileSync(
      path.join(cached, 'manifest.json'),
      JSON.stringify({
        ref: 'agentdesk/agent-base:2',
        version: BASE_IMAGE_VERSION,
        node_version: 'v22.23.3',
        created_at: '2025-01-01T00:00:00Z',
        files: {
          'rootfs.tar': { sha256: 'a'.repeat(64), bytes: 6 },
          'metadata.tar.gz': { sha256: 'b'.repeat(64), bytes: 4 },
        },
      }),
    );
    const engine = (name: string) =>
      ({
        importImage: async (
          _ref: string,
          _files: unknown,
          onProgress?: (p: { fraction: number | null; message: string }) => void,
        ) => {
          for (const step of [1, 2]) {
            await new Promise((r) => setTimeout(r, 5));
            onProgress?.({ fraction: step / 2, message: `${name} step ${step}` });
          }
        },
      }) as unknown as ContainerRuntime;
    const all: ImageProgress[] = [];
    const images = new ImageService({
      runtimes: new Runtimes({ docker: engine('docker'), incus: engine('incus') }),
      env: process.env,
      scriptsDir: path.join(dir, 'recipe'),
      cacheDir: path.join(dir, 'cache'),
      log: quiet,
      onProgress: (p) => all.push(p),
    });
    const docker: ImageProgress[] = [];
    const incus: ImageProgress[] = [];
    await Promise.all([
      images.build(['docker'], { onProgress: (p) => docker.push(p) }),
      images.build(['incus'], { onProgress: (p) => incus.push(p) }),
    ]);
    expect(docker.map((p) => p.message)).toEqual([
      'Using the cached rootfs',
      'Importing agentdesk/agent-base:2 into docker',
      'docker step 1',
      'docker step 2',
    ]);
    expect(incus.map((p) => p.message)).toEqual([
      'Using the cached rootfs',
      'Importing agentdesk/agent-base:2 into incus',
      'incus step 1',
      'incus step 2',
    ]);
    expect(docker.every((p) => p.kind !== 'incus') && incus.every((p) => p.kind !== 'docker')).toBe(true);
    expect(all).toHaveLength(docker.length + incus.length);
  });
});
