// Attacker's side: links an agent plants in its home never make the host write, chmod or delete outside it; purge as a non-root user removes whatever the agent left.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { skipUnlessReal } from '../../../test/real';
import { runtimeReachable } from '../../../test/agents';
import { DockerRuntime } from '../runtimes/docker/docker-runtime';
import { agentFolder, makeAgentFolder, removeAgentFolder } from './agent-folder';
import type { AgentRow } from './agent-repository';
import { Deployer } from './deployer';
import { loadHarnesses } from '../harnesses';

const KEY = `sk-agentdesk-${'k'.repeat(40)}`;
let sandbox: string;
let victims: string;

/** The victim files and folder a planted link points at, with what the host must leave as it is. */
function plantVictims(): { file: string; dir: string; snapshot: () => string } {
  victims = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-test-victims-'));
  const file = path.join(victims, 'victim.txt');
  const dir = path.join(victims, 'victim-dir');
  fs.writeFileSync(file, 'original\n', { mode: 0o644 });
  fs.chmodSync(file, 0o644);
  fs.mkdirSync(dir, { mode: 0o755 });
  fs.chmodSync(dir, 0o755);
  fs.writeFileSync(path.join(dir, 'keep'), 'keep\n');
  const snapshot = () =>
    JSON.stringify(
      [file, dir, ...fs.readdirSync(dir).map((n) => path.join(dir, n))].map((p) => {
        const st = fs.lstatSync(p);
        return [p, st.mode, st.uid, st.isFile() ? fs.readFileSync(p, 'utf8') : fs.readdirSync(p)];
      }),
    );
  return { file, dir, snapshot };
}

const row = (id: string, harness: string): AgentRow => ({
  id,
  slug: 'links',
  name: 'Links',
  emoji: '🤖',
  harness,
  runtime: 'docker',
  model: 'scripted/gpt-test-mini',
  fallbacks: '[]',
  memory_mib: 256,
  cpus: 1,
  phase: 'restoring',
  phase_reason: null,
  phase_at: 0,
  failed_log: '[]',
  container: 'agentdesk-test-links',
  runtime_port: null,
  key_id: null,
  created_at: 0,
  running_since: null,
  archive_dir: null,
  runtime_endpoint: null,
  pids_limit: 512,
  folders: '[]',
  engine: 'local',
});

describe('links planted in an agent home', () => {
  const skip = skipUnlessReal(runtimeReachable('docker'), 'docker');
  const rt = new DockerRuntime({ env: process.env });
  const harnesses = loadHarnesses();
  beforeAll(() => {
    sandbox = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-test-links-'));
  });
  afterEach(() => fs.rmSync(victims, { recursive: true, force: true }));
  afterAll(async () => {
    fs.rmSync(sandbox, { recursive: true, force: true });
    await rt.close();
  });

  const deployer = () =>
    new Deployer({
      dataDir: sandbox,
      runtime: () => rt,
      keys: { mint: () => ({ key: KEY, record: { id: 'k1' } }), revokeOwner: () => 0 },
      images: { present: () => Promise.resolve(true), build: () => null },
      gateway: { port: () => 4100, addBind: () => Promise.resolve({ ok: true as const }) },
      harnesses,
      runtimeBundleDir: () => null,
      phases: { set: () => ({}) as AgentRow },
      progress: () => {},
      log: { info() {}, warn() {}, error() {}, debug() {} } as never,
      instanceId: 'test',
    });

  // What restore and the redeploy of a failed agent do on the host before the container starts: write
  // the gateway URL, the virtual key and the harness's config for the agent.
  it.skipIf(skip).each([
    [
      'home/.agentdesk/env → a victim file',
      'builtin',
      (h: string, v: ReturnType<typeof plantVictims>) => {
        fs.mkdirSync(path.join(h, '.agentdesk'), { recursive: true });
        fs.symlinkSync(v.file, path.join(h, '.agentdesk', 'env'));
      },
    ],
    [
      'home/.agentdesk → a victim folder (like /etc)',
      'builtin',
      (h: string, v: ReturnType<typeof plantVictims>) => {
        fs.symlinkSync(v.dir, path.join(h, '.agentdesk'));
      },
    ],
    [
      'home/.openclaw → a victim folder',
      'openclaw',
      (h: string, v: ReturnType<typeof plantVictims>) => {
        fs.symlinkSync(v.dir, path.join(h, '.openclaw'));
      },
    ],
    [
      'home/.openclaw/openclaw.json → a victim file',
      'openclaw',
      (h: string, v: ReturnType<typeof plantVictims>) => {
        fs.mkdirSync(path.join(h, '.openclaw'), { recursive: true });
        fs.symlinkSync(v.file, path.join(h, '.openclaw', 'openclaw.json'));
        fs.symlinkSync(v.file, path.join(h, '.openclaw', 'agentdesk-virtual-key'));
      },
    ],
  ])('writing the agent config with %s leaves the victim untouched', async (_what, fw, plant) => {
    const v = plantVictims();
    const id = `links-${Math.random().toString(36).slice(2)}`;
    const f = agentFolder(sandbox, id);
    fs.mkdirSync(f.home, { recursive: true });
    plant(f.home, v);
    const before = v.snapshot();
    await deployer().writeEnv(row(id, fw), KEY);
    expect(v.snapshot()).toBe(before);
    expect(fs.readFileSync(v.file, 'utf8')).not.toContain(KEY);
  });

  it.skipIf(skip)(
    'a link on a path component the host creates (home/workspace) is refused with a clear error',
    () => {
      const v = plantVictims();
      const f = agentFolder(sandbox, `links-${Math.random().toString(36).slice(2)}`);
      fs.mkdirSync(f.home, { recursive: true });
      fs.symlinkSync(v.dir, f.workspace);
      const before = v.snapshot();
      expect(() => makeAgentFolder(f)).toThrow(
        /workspace is a symbolic link; Agent Desk does not follow links/,
      );
      expect(v.snapshot()).toBe(before);
    },
  );

  it('purge deletes links, not what they point at', () => {
    const v = plantVictims();
    const f = agentFolder(sandbox, `links-${Math.random().toString(36).slice(2)}`);
    fs.mkdirSync(path.join(f.home, 'workspace'), { recursive: true });
    fs.symlinkSync(v.dir, path.join(f.home, 'to-dir'));
    fs.symlinkSync(v.file, path.join(f.home, 'workspace', 'to-file'));
    const before = v.snapshot();
    expect(removeAgentFolder(f)).toBe(true);
    expect(fs.existsSync(f.root)).toBe(false);
    expect(v.snapshot()).toBe(before);
  });
});

describe('purge by a core that is not root', () => {
  const NOBODY = 65534;
  let bundle: string;
  let dir: string;
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-test-purge-'));
    fs.chmodSync(dir, 0o755);
    bundle = path.join(dir, 'agent-folder.cjs');
    const { build } = await import('rolldown');
    await build({
      input: path.join(__dirname, 'agent-folder.ts'),
      platform: 'node',
      output: { file: bundle, format: 'cjs' },
      logLevel: 'silent',
    });
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** Runs `script` (CommonJS) as uid/gid 65534 with `F` = the agent-folder module. */
  const asNobody = (script: string) =>
    spawnSync(process.execPath, ['-e', `const F = require(${JSON.stringify(bundle)}); ${script}`], {
      uid: NOBODY,
      gid: NOBODY,
      encoding: 'utf8',
      cwd: '/',
    });

  it.skipIf(process.getuid?.() !== 0)(
    'removes a tree with 0000 folders, read-only folders, setuid files, fifos and links; the link targets stay',
    () => {
      const v = plantVictims();
      fs.chmodSync(victims, 0o755);
      const data = path.join(dir, 'data');
      fs.mkdirSync(data, { mode: 0o755 });
      fs.chownSync(data, NOBODY, NOBODY);
      const made = asNobody(`
        const fs = require('node:fs'), path = require('node:path');
        const f = F.agentFolder(${JSON.stringify(data)}, 'odd');
        fs.mkdirSync(path.join(f.home, 'workspace', 'locked', 'deep'), { recursive: true });
        fs.writeFileSync(path.join(f.home, 'workspace', 'locked', 'deep', 'x'), 'x');
        fs.writeFileSync(path.join(f.home, 'workspace', 'setuid'), 'x');
        fs.chmodSync(path.join(f.home, 'workspace', 'setuid'), 0o4755);
        fs.mkdirSync(path.join(f.home, 'ro'));
        fs.writeFileSync(path.join(f.home, 'ro', 'f'), 'x', { mode: 0 });
        fs.chmodSync(path.join(f.home, 'ro'), 0o555);
        fs.symlinkSync(${JSON.stringify(v.dir)}, path.join(f.home, 'to-dir'));
        fs.symlinkSync(${JSON.stringify(v.file)}, path.join(f.home, 'ro-link'));
        require('node:child_process').execFileSync('mkfifo', [path.join(f.home, 'fifo')]);
        fs.chmodSync(path.join(f.home, 'workspace', 'locked', 'deep'), 0);
        fs.chmodSync(path.join(f.home, 'workspace', 'locked'), 0);
        fs.chmodSync(f.home, 0o500);
      `);
      expect(made.status, made.stderr).toBe(0);
      const before = v.snapshot();
      const purged = asNobody(
        `const f = F.agentFolder(${JSON.stringify(data)}, 'odd'); process.stdout.write(String(F.removeAgentFolder(f)));`,
      );
      expect(purged.status, purged.stderr).toBe(0);
      expect(purged.stdout).toBe('true');
      expect(fs.existsSync(path.join(data, 'agents', 'odd'))).toBe(false);
      expect(v.snapshot()).toBe(before);
    },
  );
});
