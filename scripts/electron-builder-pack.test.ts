// Runs the real electron-builder (`--linux dir`) on the built app with a stand-in Electron binary, then inspects what it packed.
//
// The Electron binary cannot be downloaded on our build machines, so `electronDist` points at a
// folder holding a tiny `electron` file that carries Electron's fuse wire (the sentinel string of
// @electron/fuses followed by version 1 and the 8 fuses at Electron's defaults). Everything else is
// electron-builder's own work: app.asar, asarUnpack, extraResources, the executable name and the fuses.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { listPackage } from '@electron/asar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ELECTRON_FUSES } from '../main/electron/fuses';
import type { ElectronFuses } from '../main/electron/fuses';

const root = path.resolve(__dirname, '..');
/** @electron/fuses constants.ts: the marker the fuse wire follows in every Electron ≥ 12 binary. */
const SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX';
/** Fuse order of wire version 1 (@electron/fuses config.ts `FuseV1Options`). */
const WIRE_ORDER: (keyof ElectronFuses | 'loadBrowserProcessSpecificV8Snapshot')[] = [
  'runAsNode',
  'enableCookieEncryption',
  'enableNodeOptionsEnvironmentVariable',
  'enableNodeCliInspectArguments',
  'enableEmbeddedAsarIntegrityValidation',
  'onlyLoadAppFromAsar',
  'loadBrowserProcessSpecificV8Snapshot',
  'grantFileProtocolExtraPrivileges',
];
/** Electron's shipped defaults for those fuses ('1' on, '0' off; electronjs.org/docs/latest/tutorial/fuses). */
const ELECTRON_DEFAULT_WIRE = '10110001';

let work: string;
let appDir: string;
let asarFiles: string[];

beforeAll(async () => {
  for (const built of [
    'out/main/index.js',
    'out/preload/index.js',
    'out/renderer/index.html',
    'out/agent-runtime/agent-runtime.cjs',
  ])
    if (!fs.existsSync(path.join(root, built)))
      throw new Error(`${built} is missing: run \`npm run build\` before this test (npm test does)`);

  work = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-test-pack-'));
  const dist = path.join(work, 'electron-dist');
  fs.mkdirSync(path.join(dist, 'resources'), { recursive: true });
  fs.writeFileSync(
    path.join(dist, 'electron'),
    Buffer.concat([
      Buffer.from('#!/bin/sh\nexit 0\n# '),
      Buffer.from(SENTINEL),
      Buffer.from([1, 8]),
      Buffer.from(ELECTRON_DEFAULT_WIRE + '\n'),
    ]),
    { mode: 0o755 },
  );
  fs.writeFileSync(path.join(dist, 'chrome-sandbox'), '');
  fs.writeFileSync(path.join(dist, 'LICENSE'), '');

  await promisify(execFile)(
    path.join(root, 'node_modules', '.bin', 'electron-builder'),
    [
      '--linux',
      'dir',
      '--publish',
      'never',
      `-c.electronDist=${dist}`,
      // No Electron headers can be downloaded here; rebuilding for Electron is covered by the config test.
      '-c.npmRebuild=false',
      `-c.directories.output=${path.join(work, 'dist')}`,
    ],
    { cwd: root, env: { ...process.env, ELECTRON_SKIP_BINARY_DOWNLOAD: '1' }, maxBuffer: 16 * 1024 * 1024 },
  );
  appDir = path.join(work, 'dist', 'linux-unpacked');
  asarFiles = listPackage(path.join(appDir, 'resources', 'app.asar'), { isPack: false });
}, 300_000);

afterAll(() => {
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

describe('a packed Linux app', () => {
  it('is started as `agentdesk`', () => {
    expect(fs.statSync(path.join(appDir, 'agentdesk')).mode & 0o111).not.toBe(0);
  });

  it('has its fuses flipped as main/electron/fuses.ts says', () => {
    const binary = fs.readFileSync(path.join(appDir, 'agentdesk'));
    const at = binary.indexOf(SENTINEL) + SENTINEL.length;
    expect(binary[at]).toBe(1);
    const wire = binary.toString('ascii', at + 2, at + 2 + 8);
    const expected = WIRE_ORDER.map((fuse, i) =>
      fuse === 'loadBrowserProcessSpecificV8Snapshot'
        ? ELECTRON_DEFAULT_WIRE[i]
        : ELECTRON_FUSES[fuse]
          ? '1'
          : '0',
    ).join('');
    expect(wire).toBe(expected);
    expect(wire[0]).toBe('0'); // RunAsNode off: ELECTRON_RUN_AS_NODE is ignored
  });

  it('holds the built app in app.asar, and no sources, maps or renderer-only packages', () => {
    expect(asarFiles).toEqual(
      expect.arrayContaining([
        '/package.json',
        '/out/main/index.js',
        '/out/main/headless.js',
        '/out/main/trace-worker.js',
        '/out/preload/index.js',
        '/out/renderer/index.html',
      ]),
    );
    const offending = asarFiles.filter(
      (f) =>
        (/\.(ts|tsx|map)$/.test(f) && !f.endsWith('.d.ts')) ||
        /^\/(main|contract|renderer|preload|resources|scripts|test|e2e|bench)\//.test(f) ||
        /^\/node_modules\/(react|react-dom|emoji-picker-react|zustand|@tanstack)\//.test(f),
    );
    expect(offending).toEqual([]);
    // Production dependencies the core requires are there.
    for (const dep of ['better-sqlite3', 'dockerode', 'fastify', 'pino', 'zod', 'yaml', 'commander', 'ws'])
      expect(asarFiles).toContain(`/node_modules/${dep}/package.json`);
  });

  it('unpacks the native modules as real files', () => {
    const unpacked = path.join(appDir, 'resources', 'app.asar.unpacked', 'node_modules');
    expect(
      fs.existsSync(path.join(unpacked, 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node')),
    ).toBe(true);
    const keyring = fs.readdirSync(path.join(unpacked, '@napi-rs')).filter((d) => d.startsWith('keyring-'));
    expect(keyring.length).toBeGreaterThan(0);
    for (const d of keyring)
      expect(fs.readdirSync(path.join(unpacked, '@napi-rs', d)).some((f) => f.endsWith('.node'))).toBe(true);
  });

  it('ships runtime, harness files, image recipe and LiteLLM requirements next to app.asar', () => {
    const res = path.join(appDir, 'resources');
    expect(fs.readFileSync(path.join(res, 'agent-runtime', 'agent-runtime.cjs'))).toEqual(
      fs.readFileSync(path.join(root, 'out', 'agent-runtime', 'agent-runtime.cjs')),
    );
    expect(fs.existsSync(path.join(res, 'harnesses', 'builtin', 'manifest.json'))).toBe(true);
    expect(fs.existsSync(path.join(res, 'harnesses', 'openclaw', 'image', 'package-lock.json'))).toBe(true);
    for (const script of ['build-base-rootfs.sh', 'agentdesk-init'])
      expect(fs.statSync(path.join(res, 'images', script)).mode & 0o111).not.toBe(0);
    expect(fs.readFileSync(path.join(res, 'litellm', 'requirements.txt'), 'utf8')).toBe(
      fs.readFileSync(path.join(root, 'resources', 'litellm', 'requirements.txt'), 'utf8'),
    );
  });
});
