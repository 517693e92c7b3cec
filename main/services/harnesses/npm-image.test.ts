// The OpenClaw image builder against real Docker: a missing npm fails with what to do, nothing is built or left behind.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runtimeReachable } from '../../../test/agents';
import { skipUnlessReal } from '../../../test/real';
import { connectDocker } from '../runtimes/docker/docker-client';
import { OpenClawImageBuilder } from './framework-image';

const skip = skipUnlessReal(runtimeReachable('docker'), 'Docker');

describe.skipIf(skip)('OpenClawImageBuilder', () => {
  const conn = connectDocker(process.env);
  const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-test-ocimage-'));
  afterAll(() => {
    conn.agent.destroy();
    fs.rmSync(cacheDir, { recursive: true, force: true });
  });

  it('says npm failed, why, and where a saved npm cache goes; no image, no lock left', async () => {
    const ref = `agentdesk-test-openclaw-${Math.random().toString(36).slice(2, 8)}:x`;
    const steps: string[] = [];
    const builder = new OpenClawImageBuilder({
      docker: () => conn.docker,
      recipeDir: path.join(process.cwd(), 'scripts', 'images', 'openclaw'),
      harnessFile: path.join(process.cwd(), 'resources', 'frameworks', 'openclaw', 'harness.mjs'),
      cacheDir,
      ensureBase: () => Promise.resolve(),
      log: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} },
      npm: path.join(cacheDir, 'no-such-npm'),
      ref,
    });
    expect(await builder.present()).toBe(false);
    await expect(builder.build((_f, m) => steps.push(m))).rejects.toThrow(
      /Installing OpenClaw 2026\.9\.6 with npm failed: .*ENOENT.*npm-cache/,
    );
    expect(steps[0]).toBe('Checking the base image');
    expect(await builder.present()).toBe(false);
    expect(fs.existsSync(path.join(cacheDir, '.openclaw-build.lock'))).toBe(false);
    expect(fs.existsSync(path.join(cacheDir, 'openclaw-2026.9.6', '.installed'))).toBe(false);
  });

  it('counts an image of another harness as missing (its recipe label changes with the harness)', () => {
    const harness = path.join(cacheDir, 'harness-copy.mjs');
    fs.copyFileSync(path.join(process.cwd(), 'resources', 'frameworks', 'openclaw', 'harness.mjs'), harness);
    const builder = new OpenClawImageBuilder({
      docker: () => conn.docker,
      recipeDir: path.join(process.cwd(), 'scripts', 'images', 'openclaw'),
      harnessFile: harness,
      cacheDir,
      ensureBase: () => Promise.resolve(),
      log: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} },
    });
    const before = builder.recipeHash();
    expect(builder.recipeHash()).toBe(before);
    fs.appendFileSync(harness, '\n// changed\n');
    expect(builder.recipeHash()).not.toBe(before);
  });
});
