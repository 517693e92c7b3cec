// Unit tests: build progress lines, manifest validation, export files (real tar), build script driving.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AppError } from '../../../contract/errors';
import { run } from '../../platform/spawn';
import { readExport, readRootfs, writeExport } from './image-archive';
import { BASE_IMAGE_REF, BASE_IMAGE_VERSION, parseProgressLine, validateManifest } from './image-manifest';
import { buildRootfs, ImageError } from './rootfs-build';

const sha = (data: string): string => createHash('sha256').update(data).digest('hex');

/** Writes a fake built rootfs folder (small files, real manifest with real sums). */
function fakeBuild(dir: string, over: Record<string, unknown> = {}): void {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'rootfs.tar'), 'rootfs-bytes');
  fs.writeFileSync(path.join(dir, 'metadata.tar.gz'), 'meta-bytes');
  const manifest = {
    ref: BASE_IMAGE_REF,
    version: BASE_IMAGE_VERSION,
    node_version: 'v22.23.3',
    created_at: '2025-01-01T00:00:00Z',
    files: {
      'rootfs.tar': { sha256: sha('rootfs-bytes'), bytes: 12 },
      'metadata.tar.gz': { sha256: sha('meta-bytes'), bytes: 10 },
    },
    ...over,
  };
  fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(manifest));
}

function appErrorOf(fn: () => unknown): AppError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(AppError);
    return err as AppError;
  }
  throw new Error('expected an AppError');
}

describe('parseProgressLine', () => {
  it('reads step, total and message; fraction is the share of steps done', () => {
    expect(parseProgressLine('[image] 3/9 Installing Debian base system')).toEqual({
      step: 3,
      total: 9,
      fraction: 2 / 9,
      message: 'Installing Debian base system',
    });
    expect(parseProgressLine('[image] 1/4 Checking')?.fraction).toBe(0);
  });

  it('ignores other output and impossible steps', () => {
    expect(parseProgressLine('I: Retrieving bash 5.2.15')).toBeNull();
    expect(parseProgressLine('[image] 10/9 too far')).toBeNull();
    expect(parseProgressLine('[image] 0/9 zero')).toBeNull();
    expect(parseProgressLine('[image] x/9 nan')).toBeNull();
  });
});

describe('validateManifest', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-test-manifest-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('accepts the manifest the build writes', () => {
    fakeBuild(dir);
    const m = validateManifest(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8'), 'x');
    expect(m.node_version).toBe('v22.23.3');
  });

  it('names the found and the expected image for another version', () => {
    const text = JSON.stringify({
      ...JSON.parse(manifestText(dir)),
      ref: 'agentdesk/agent-base:1',
      version: 1,
    });
    const err = appErrorOf(() => validateManifest(text, '/tmp/old.tar'));
    expect(err.code).toBe('INVALID_INPUT');
    expect(err.message).toBe(
      '/tmp/old.tar holds agentdesk/agent-base:1 version 1; this Agent Desk needs agentdesk/agent-base:2 version 2',
    );
  });

  it('names the bad field', () => {
    const text = JSON.stringify({ ...JSON.parse(manifestText(dir)), node_version: '22' });
    expect(appErrorOf(() => validateManifest(text, 'f.tar')).message).toMatch(
      /field node_version is invalid/,
    );
    expect(appErrorOf(() => validateManifest('not json', 'f.tar')).message).toMatch(
      /manifest.json is not JSON/,
    );
  });
});

function manifestText(dir: string): string {
  fakeBuild(dir);
  return fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8');
}

describe('export files', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-test-export-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('round-trips a built rootfs through one tar', async () => {
    fakeBuild(path.join(dir, 'built'));
    const built = (await readRootfs(path.join(dir, 'built'), true))!;
    expect(built).not.toBeNull();
    await writeExport(built, path.join(dir, 'export.tar'));
    const back = await readExport(path.join(dir, 'export.tar'), path.join(dir, 'in'));
    expect(back.manifest).toEqual(built.manifest);
    expect(fs.readFileSync(back.rootfs, 'utf8')).toBe('rootfs-bytes');
  });

  it('refuses a file that is not a tar, naming what it expected', async () => {
    fs.writeFileSync(path.join(dir, 'notes.txt'), 'hello');
    await expect(readExport(path.join(dir, 'notes.txt'), path.join(dir, 'in'))).rejects.toThrow(
      /notes\.txt is not a tar archive .*expected a tar holding manifest\.json, rootfs\.tar, metadata\.tar\.gz/,
    );
    await expect(readExport(path.join(dir, 'nope.tar'), path.join(dir, 'in'))).rejects.toThrow(
      /No image export at/,
    );
  });

  it('refuses a tar with other files, listing them', async () => {
    fs.writeFileSync(path.join(dir, 'a.txt'), 'a');
    await run('tar', ['-cf', path.join(dir, 'other.tar'), '-C', dir, 'a.txt']);
    await expect(readExport(path.join(dir, 'other.tar'), path.join(dir, 'in'))).rejects.toThrow(
      /is not an Agent Desk image export: it holds a\.txt; expected/,
    );
  });

  it('refuses an export whose rootfs does not match its manifest', async () => {
    fakeBuild(path.join(dir, 'built'));
    fs.writeFileSync(path.join(dir, 'built', 'rootfs.tar'), 'ROOTFS-BYTES'); // same size, other bytes
    await run('tar', [
      '-cf',
      path.join(dir, 'bad.tar'),
      '-C',
      path.join(dir, 'built'),
      'manifest.json',
      'rootfs.tar',
      'metadata.tar.gz',
    ]);
    await expect(readExport(path.join(dir, 'bad.tar'), path.join(dir, 'in'))).rejects.toThrow(/is damaged/);
  });

  it('does not reuse a cached build of another version', async () => {
    fakeBuild(path.join(dir, 'built'), { version: BASE_IMAGE_VERSION - 1 });
    expect(await readRootfs(path.join(dir, 'built'))).toBeNull();
  });
});

describe('buildRootfs (drives a stand-in recipe)', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-test-recipe-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
  const isRoot = process.getuid?.() === 0;

  function recipe(body: string): void {
    fs.writeFileSync(path.join(dir, 'build-base-rootfs.sh'), `set -e\n${body}\n`);
    fs.writeFileSync(path.join(dir, 'agentdesk-init'), '#!/bin/sh\n');
  }

  it('refuses when the recipe is missing, with a hint', async () => {
    const err = await buildRootfs({
      scriptsDir: dir,
      outDir: dir,
      downloadsDir: dir,
      onStep: () => {},
      env: process.env,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ImageError);
    expect((err as ImageError).message).toMatch(/recipe is missing/);
    expect((err as ImageError).hint).toMatch(/AGENTDESK_IMAGE_RECIPE_DIR/);
  });

  it.runIf(isRoot)('reports each [image] step and passes no provider key to the script', async () => {
    recipe('echo "[image] 1/2 First"; echo noise >&2; echo "[image] 2/2 Second"; env > "$1/env.txt"');
    const steps: [number, string][] = [];
    await buildRootfs({
      scriptsDir: dir,
      outDir: dir,
      downloadsDir: dir,
      onStep: (f, m) => steps.push([f, m]),
      env: { ...process.env, OPENAI_API_KEY: 'sk-real-provider-key' },
    });
    expect(steps).toEqual([
      [0, 'First'],
      [0.5, 'Second'],
      [1, 'Rootfs built'],
    ]);
    expect(fs.readFileSync(path.join(dir, 'env.txt'), 'utf8')).not.toContain('sk-real-provider-key');
  });

  it.runIf(isRoot)("fails with the script's own error line", async () => {
    recipe('echo "build-base-rootfs: error: no Debian mirror for bookworm" >&2; exit 1');
    const err = (await buildRootfs({
      scriptsDir: dir,
      outDir: dir,
      downloadsDir: dir,
      onStep: () => {},
      env: process.env,
    }).catch((e: unknown) => e)) as ImageError;
    expect(err.message).toBe('Building the base image failed: no Debian mirror for bookworm');
    expect(err.details?.log).toEqual(['build-base-rootfs: error: no Debian mirror for bookworm']);
  });
});
