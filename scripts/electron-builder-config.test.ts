// electron-builder.yml: valid against electron-builder's own schema, fuses flipped, resources and icons shipped (no Electron binary needed).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import Ajv from 'ajv';
import type { ErrorObject } from 'ajv';
import { getConfig, validateConfiguration } from 'app-builder-lib/out/util/config/config';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { ELECTRON_FUSES } from '../main/electron/fuses';
import { harness as claudeCode } from '../main/services/harnesses/claude-code';
import { harness as codex } from '../main/services/harnesses/codex';
import { harness as openclaw } from '../main/services/harnesses/openclaw';

const root = path.resolve(__dirname, '..');
const CONFIG_FILE = path.join(root, 'electron-builder.yml');
const SCHEMA_FILE = path.join(root, 'node_modules', 'app-builder-lib', 'scheme.json');

interface ResourceMapping {
  from: string;
  to: string;
  filter?: string[];
}
interface BuilderConfig {
  appId?: string;
  productName?: string;
  directories?: { buildResources?: string; output?: string };
  files?: string[];
  asar?: boolean;
  asarUnpack?: string[];
  extraResources?: ResourceMapping[];
  npmRebuild?: boolean;
  buildDependenciesFromSource?: boolean;
  electronFuses?: Record<string, boolean>;
  linux?: { target?: string[]; executableName?: string; icon?: string };
  mac?: { target?: string[]; icon?: string; entitlements?: string; hardenedRuntime?: boolean };
  win?: { target?: string[]; icon?: string };
}

function loadConfig(): BuilderConfig {
  return YAML.parse(fs.readFileSync(CONFIG_FILE, 'utf8')) as BuilderConfig;
}

/**
 * Validates `config` with ajv against app-builder-lib/scheme.json (JSON Schema draft-07), stricter
 * than electron-builder itself: no type coercion, and the schema's one non-standard keyword,
 * `typeof: "function"`, always fails (electron-builder's ajv ignores it). A YAML file cannot hold a
 * function; the schema also uses it for `linux.desktop.entry`, which the config therefore leaves out.
 */
function schemaErrors(config: unknown): ErrorObject[] {
  const ajv = new Ajv({ allErrors: true, strict: false, coerceTypes: false });
  ajv.addKeyword({ keyword: 'typeof', validate: () => false });
  const validate = ajv.compile(JSON.parse(fs.readFileSync(SCHEMA_FILE, 'utf8')) as object);
  return validate(config) ? [] : (validate.errors ?? []);
}

/** electron-builder's own loading (finds electron-builder.yml in the project) and validation. */
async function validateLikeElectronBuilder(configPath: string | null): Promise<void> {
  const config = await getConfig(root, configPath, null);
  const debug = { isEnabled: false, add: () => undefined } as unknown as Parameters<
    typeof validateConfiguration
  >[1];
  await validateConfiguration(config, debug);
}

describe('electron-builder.yml against electron-builder’s schema', () => {
  it('is valid JSON-Schema-wise (ajv, app-builder-lib/scheme.json, no coercion)', () => {
    const errors = schemaErrors(loadConfig());
    expect(errors.map((e) => `${e.instancePath} ${e.message ?? ''}`)).toEqual([]);
  });

  it('the same validation refuses a misspelled option and a fuse of the wrong type', () => {
    const broken = { ...loadConfig(), asarUnpak: ['x'], electronFuses: { runAsNode: 'no' } };
    const errors = schemaErrors(broken);
    expect(
      errors.some((e) => e.keyword === 'additionalProperties' && e.params.additionalProperty === 'asarUnpak'),
    ).toBe(true);
    expect(errors.some((e) => e.instancePath === '/electronFuses/runAsNode' && e.keyword === 'type')).toBe(
      true,
    );
  });

  it('is found and accepted by electron-builder’s own config loader and validator', async () => {
    await expect(validateLikeElectronBuilder(null)).resolves.toBeUndefined();
  });

  it('electron-builder’s validator refuses an unknown target option (the check is not vacuous)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-test-builder-'));
    try {
      const bad = path.join(dir, 'bad.yml');
      fs.writeFileSync(
        bad,
        YAML.stringify({ ...loadConfig(), linux: { target: ['AppImage'], sandboxx: true } }),
      );
      await expect(validateLikeElectronBuilder(bad)).rejects.toThrow(/configuration\.linux/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('electron-builder.yml content', () => {
  const config = loadConfig();

  it('names the app and keeps build inputs in build/', () => {
    expect(config.appId).toMatch(/^[a-z0-9-]+(\.[a-z0-9-]+)+$/);
    expect(config.productName).toBe('Agent Desk');
    expect(config.directories?.buildResources).toBe('build');
    expect(config.linux?.executableName).toBe('agentdesk');
  });

  it('flips exactly the fuses of main/electron/fuses.ts', () => {
    expect(config.electronFuses).toEqual({ ...ELECTRON_FUSES });
    expect(config.electronFuses).toMatchObject({
      runAsNode: false,
      enableCookieEncryption: true,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
    });
  });

  it('packs the built app into app.asar, without sources', () => {
    expect(config.asar).toBe(true);
    const files = config.files ?? [];
    expect(files).toEqual(
      expect.arrayContaining(['out/main/**', 'out/preload/**', 'out/renderer/**', 'package.json']),
    );
    const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { main: string };
    expect(pkg.main.startsWith('out/main/')).toBe(true);
    const included = files.filter((f) => !f.startsWith('!'));
    for (const source of [
      'main/',
      'contract/',
      'renderer/',
      'preload/',
      'resources/',
      'scripts/',
      'test/',
      'e2e/',
    ])
      expect(included.filter((f) => f.startsWith(source))).toEqual([]);
    expect(files).toContain('!**/*.map');
  });

  it('unpacks the native modules from app.asar', () => {
    const unpack = config.asarUnpack ?? [];
    expect(unpack).toEqual(
      expect.arrayContaining([
        '**/node_modules/better-sqlite3/**',
        '**/node_modules/@napi-rs/keyring*/**',
        '**/*.node',
      ]),
    );
  });

  it('ships the agent runtime and harness adapters, egress helper, harness files, image recipes, LiteLLM requirements and tray icons as real files', () => {
    const byTarget = new Map((config.extraResources ?? []).map((r) => [r.to, r]));
    expect([...byTarget.keys()].sort()).toEqual([
      'agent-runtime',
      'egress-helper',
      'harnesses',
      'icons',
      'images',
      'litellm',
    ]);
    // main/index.ts points AGENTDESK_RESOURCES_DIR at process.resourcesPath: resourcesDir()/icons is the tray's.
    expect(byTarget.get('icons')?.from).toBe('resources/icons');
    expect(byTarget.get('agent-runtime')).toMatchObject({
      from: 'out/agent-runtime',
      filter: ['agent-runtime.cjs', 'harness-*.cjs'],
    });
    expect(byTarget.get('egress-helper')).toMatchObject({
      from: 'out/egress-helper',
      filter: ['egress-helper.cjs'],
    });
    expect(byTarget.get('images')?.from).toBe('scripts/images');
    expect(byTarget.get('images')?.filter).toContain('egress-helper/**');
    // Every named source file exists in the repository (out/agent-runtime is made by `npm run build`).
    for (const r of config.extraResources ?? []) {
      if (r.from.startsWith('out/')) continue;
      expect(fs.statSync(path.join(root, r.from)).isDirectory()).toBe(true);
      for (const f of r.filter ?? [])
        if (!f.includes('*')) expect(fs.existsSync(path.join(root, r.from, f))).toBe(true);
    }
    expect(byTarget.get('harnesses')?.from).toBe('main/services/harnesses');
    expect(fs.readdirSync(path.join(root, 'main/services/harnesses'), { recursive: true })).toEqual(
      expect.arrayContaining([
        path.join('builtin', 'manifest.json'),
        path.join('openclaw', 'image', 'Dockerfile'),
        path.join('openclaw', 'harness.mjs'),
      ]),
    );
    // Every recipe file of a harness image is packaged: the image is built from the installed app.
    const filter = byTarget.get('harnesses')?.filter ?? [];
    for (const [id, h] of Object.entries({ openclaw, 'claude-code': claudeCode, codex }))
      for (const f of h.image?.files ?? [])
        expect(f.startsWith('image/') || filter.includes(`*/${f}`), `${id}: ${f}`).toBe(true);
  });

  it('rebuilds native modules for Electron from source', () => {
    expect(config.npmRebuild).toBe(true);
    expect(config.buildDependenciesFromSource).toBe(true);
  });

  it('targets AppImage, deb and rpm on Linux, dmg on macOS, nsis on Windows', () => {
    expect(config.linux?.target).toEqual(['AppImage', 'deb', 'rpm']);
    expect(config.mac?.target).toEqual(['dmg']);
    expect(config.win?.target).toEqual(['nsis']);
  });
});

/** The IHDR size and the inflated image data of a PNG file. */
function decodePng(file: Buffer): { width: number; height: number; pixels: Buffer } {
  expect(file.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  const idat: Buffer[] = [];
  let width = 0;
  let height = 0;
  for (let o = 8; o < file.length;) {
    const len = file.readUInt32BE(o);
    const type = file.toString('ascii', o + 4, o + 8);
    const data = file.subarray(o + 8, o + 8 + len);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
    }
    if (type === 'IDAT') idat.push(data);
    o += len + 12;
  }
  return { width, height, pixels: zlib.inflateSync(Buffer.concat(idat)) };
}

describe('icons and entitlements in build/', () => {
  const build = path.join(root, 'build');
  let regenerated: string;

  beforeAll(() => {
    regenerated = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-test-icons-'));
    execFileSync(process.execPath, [path.join(build, 'generate-icons.mjs'), regenerated]);
  });
  afterAll(() => fs.rmSync(regenerated, { recursive: true, force: true }));

  it('has the icon each platform config names, in the size electron-builder needs', () => {
    const config = loadConfig();
    expect(config.linux?.icon).toBe('build/icons');
    for (const size of [16, 32, 48, 64, 128, 256, 512]) {
      const png = decodePng(fs.readFileSync(path.join(build, 'icons', `${size}x${size}.png`)));
      expect([png.width, png.height]).toEqual([size, size]);
    }
    expect(decodePng(fs.readFileSync(path.join(build, 'icon.png'))).width).toBe(1024);

    const icns = fs.readFileSync(path.join(root, config.mac?.icon ?? 'missing'));
    expect(icns.toString('ascii', 0, 4)).toBe('icns');
    expect(icns.readUInt32BE(4)).toBe(icns.length);
    expect(icns.includes(Buffer.from('ic10'))).toBe(true); // 1024 px (512@2x)

    const ico = fs.readFileSync(path.join(root, config.win?.icon ?? 'missing'));
    expect([ico.readUInt16LE(0), ico.readUInt16LE(2)]).toEqual([0, 1]);
    const widths = Array.from({ length: ico.readUInt16LE(4) }, (_, i) => ico[6 + i * 16] || 256);
    expect(widths).toContain(256); // electron-builder refuses an .ico without a 256 px image
  });

  it('the committed icons are what build/generate-icons.mjs draws', () => {
    for (const rel of ['icons/16x16.png', 'icons/256x256.png', 'icon.png'])
      expect(
        decodePng(fs.readFileSync(path.join(regenerated, rel))).pixels.equals(
          decodePng(fs.readFileSync(path.join(build, rel))).pixels,
        ),
      ).toBe(true);
  });

  it('macOS entitlements allow V8’s JIT and nothing the app does not use', () => {
    const config = loadConfig();
    const plist = fs.readFileSync(path.join(root, config.mac?.entitlements ?? 'missing'), 'utf8');
    expect(config.mac?.hardenedRuntime).toBe(true);
    expect(plist).toContain('<key>com.apple.security.cs.allow-jit</key>');
    expect(plist).not.toMatch(/device\.(camera|audio-input)|personal-information|disable-library-validation/);
  });
});
