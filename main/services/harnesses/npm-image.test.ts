// The npm image builder against real Docker: a missing npm fails with what to do, nothing is built or left behind; the recipe hash follows the recipe.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runtimeReachable } from '../../../test/agents';
import { skipUnlessReal } from '../../../test/real';
import { connectDocker } from '../runtimes/docker/docker-client';
import { loadHarnesses } from '.';
import { NpmImageBuilder } from './npm-image';

const openclaw = loadHarnesses().get('openclaw')!;
const recipe = openclaw.image!;

const skip = skipUnlessReal(runtimeReachable('docker'), 'Docker');

describe.skipIf(skip)('NpmImageBuilder', () => {
  const conn = connectDocker(process.env);
  const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-test-ocimage-'));
  afterAll(() => {
    conn.agent.destroy();
    fs.rmSync(cacheDir, { recursive: true, force: true });
  });

  it('says npm failed, why, and where a saved npm cache goes; no image, no lock left', async () => {
    const ref = `agentdesk-test-openclaw-${Math.random().toString(36).slice(2, 8)}:x`;
    const steps: string[] = [];
    const builder = new NpmImageBuilder({
      docker: () => conn.docker,
      harness: { ...openclaw, image: recipe },
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
    const dir = path.join(cacheDir, 'harness-copy');
    fs.cpSync(openclaw.dir, dir, { recursive: true, filter: (f) => !f.includes('node_modules') });
    const builder = new NpmImageBuilder({
      docker: () => conn.docker,
      harness: { ...openclaw, dir, image: recipe },
      cacheDir,
      ensureBase: () => Promise.resolve(),
      log: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} },
    });
    const before = builder.recipeHash();
    expect(builder.recipeHash()).toBe(before);
    fs.appendFileSync(path.join(dir, 'harness.mjs'), '\n// changed\n');
    expect(builder.recipeHash()).not.toBe(before);
  });
});
