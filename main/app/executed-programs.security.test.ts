// Attacker's side: no API caller can make the core run a program of its choice, and the core refuses a data dir others can reach.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../../test/agents';
import { buildChildCore, startChildCore } from '../../test/faults/child-core';
import type { ChildCore } from '../../test/faults/child-core';
import { ScriptedUpstream } from '../../test/fixtures/scripted-upstream';

const execFileAsync = promisify(execFile);
const isRoot = process.getuid?.() === 0;
/** `nobody` on Debian; any uid other than ours serves. */
const OTHER_UID = 65534;

type Envelope<T = unknown> = { ok: boolean; value?: T; error?: { code: string; message: string } };

let entry = '';
let removeBundle = () => {};
let upstream: ScriptedUpstream;
const dirs: string[] = [];

beforeAll(async () => {
  const bundle = await buildChildCore();
  entry = bundle.entry;
  removeBundle = bundle.remove;
  upstream = await new ScriptedUpstream({ models: ['gpt-test-mini'] }).start();
}, 180_000);

afterAll(async () => {
  removeBundle();
  await upstream?.stop();
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

function tempDir(prefix: string): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  dirs.push(d);
  return d;
}

/**
 * A stand-in for `litellm` that leaves `marker` behind when it is ever run, in a private folder.
 * @returns the script's path.
 */
function markerProgram(marker: string): string {
  const dir = tempDir('agentdesk-test-prog-');
  const file = path.join(dir, 'litellm');
  fs.writeFileSync(file, `#!/bin/sh\necho ran > '${marker}'\nexec sleep 60\n`, { mode: 0o755 });
  return file;
}

/** Runs the `agentdesk` CLI of the bundle; never rejects. */
async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  try {
    const { stdout, stderr } = await execFileAsync(process.execPath, [entry, ...args], { timeout: 60_000 });
    return { code: 0, out: stdout, err: stderr };
  } catch (e) {
    const x = e as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof x.code === 'number' ? x.code : -1, out: x.stdout ?? '', err: x.stderr ?? '' };
  }
}

describe('litellm_command cannot be changed over HTTP', () => {
  let home: string;
  let core: ChildCore;
  beforeAll(async () => {
    home = tempDir('agentdesk-test-exec-http-');
    core = await startChildCore(entry, home, {});
  }, 120_000);
  afterAll(async () => {
    core?.kill();
    await core?.exited;
  });

  it('settings.update with a litellm_command over HTTP is FORBIDDEN, names where to change it, and changes nothing', async () => {
    const marker = path.join(home, 'ran');
    const program = markerProgram(marker);
    const r = (await core.call('settings', 'update', { litellm_command: program })) as Envelope;
    expect(r.ok).toBe(false);
    expect(r.error?.code).toBe('FORBIDDEN');
    expect(r.error?.message).toContain('desktop app');
    expect(r.error?.message).toContain('agentdesk settings set litellm_command');
    // Nothing changed, also not together with an allowed field.
    const mixed = (await core.call('settings', 'update', {
      trace_retention_days: 12,
      litellm_command: program,
    })) as Envelope;
    expect(mixed.error?.code).toBe('FORBIDDEN');
    const now = (await core.call('settings', 'get', {})) as Envelope<{
      litellm_command: string | null;
      trace_retention_days: number;
    }>;
    expect(now.value?.litellm_command).toBeNull();
    expect(now.value?.trace_retention_days).toBe(30);
    // Other settings still change over HTTP, and the unchanged command may be sent along.
    const ok = (await core.call('settings', 'update', {
      trace_retention_days: 12,
      litellm_command: null,
    })) as Envelope;
    expect(ok.ok).toBe(true);
    expect(fs.existsSync(marker)).toBe(false);
  });

  it('agentdesk settings set is refused while the core runs, naming its pid', async () => {
    const program = markerProgram(path.join(home, 'ran-cli'));
    const r = await cli('--home', home, 'settings', 'set', 'litellm_command', program);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`pid ${core.pid}`);
    expect(r.err).toContain('only be changed while none runs');
  });
});

describe('the program must be owned by this user or root and writable by no one else', () => {
  it('agentdesk settings set refuses a world-writable program, one in a folder others can write, and one owned by another user', async () => {
    const home = tempDir('agentdesk-test-exec-set-');
    const writable = markerProgram(path.join(home, 'ran'));
    fs.chmodSync(writable, 0o777);
    const r1 = await cli('--home', home, 'settings', 'set', 'litellm_command', writable);
    expect(r1.code).toBe(1);
    expect(r1.err).toContain('writable by other users (mode 0777)');
    expect(r1.err).toContain(`chmod go-w ${writable}`);

    const open = tempDir('agentdesk-test-open-');
    fs.chmodSync(open, 0o777);
    const inOpen = path.join(open, 'litellm');
    fs.copyFileSync(markerProgram(path.join(home, 'ran')), inOpen);
    fs.chmodSync(inOpen, 0o755);
    const r2 = await cli('--home', home, 'settings', 'set', 'litellm_command', inOpen);
    expect(r2.code).toBe(1);
    expect(r2.err).toContain(`the folder ${open} is writable by other users`);

    if (isRoot) {
      const foreign = markerProgram(path.join(home, 'ran'));
      fs.chownSync(foreign, OTHER_UID, OTHER_UID);
      const r3 = await cli('--home', home, 'settings', 'set', 'litellm_command', foreign);
      expect(r3.code).toBe(1);
      expect(r3.err).toContain(`belongs to another user (uid ${OTHER_UID})`);
    }

    const good = markerProgram(path.join(home, 'ran'));
    const r4 = await cli('--home', home, 'settings', 'set', 'litellm_command', good);
    expect(r4.err).toBe('');
    expect(r4.code).toBe(0);
    expect(r4.out).toContain(`litellm_command set to ${good}`);
    const r5 = await cli('--home', home, 'settings', 'unset', 'litellm_command');
    expect(r5.code).toBe(0);
    expect(fs.existsSync(path.join(home, 'ran'))).toBe(false);
  });

  const spoilers: [string, (file: string) => void, string][] = [
    ['made writable by others', (file) => fs.chmodSync(file, 0o777), 'writable by other users'],
  ];
  if (isRoot)
    spoilers.push([
      'handed to another user',
      (file) => fs.chownSync(file, OTHER_UID, OTHER_UID),
      `belongs to another user (uid ${OTHER_UID})`,
    ]);
  it.each(spoilers)(
    'a program %s after it was set is never started: llm.status and health name the reason and the fix',
    async (_what, spoil, reason) => {
      const home = tempDir('agentdesk-test-exec-spawn-');
      const marker = path.join(home, 'ran');
      const program = markerProgram(marker);
      const set = await cli('--home', home, 'settings', 'set', 'litellm_command', program);
      expect(set.code, set.err).toBe(0);
      spoil(program);
      const core = await startChildCore(entry, home, {});
      try {
        const added = (await core.call('providers', 'add', {
          type: 'openai-compatible',
          name: 'Scripted',
          base_url: upstream.v1,
        })) as Envelope<{ status: string }>;
        expect(added.value?.status).toBe('ok');
        type Status = Envelope<{ litellm: { state: string; detail: string; last_error: string | null } }>;
        const st = await until(
          () => core.call('llm', 'status', {}) as Promise<Status>,
          (s) => s.value?.litellm.state === 'missing' && /Refusing to run/.test(s.value.litellm.detail),
          60_000,
          'LiteLLM refused',
        );
        expect(st.value?.litellm.detail).toContain(program);
        expect(st.value?.litellm.detail).toContain(reason);
        expect(st.value?.litellm.last_error).toContain(reason);
        type Health = Envelope<{
          components: { name: string; state: string; detail: string; fix: string }[];
        }>;
        const health = (await core.call('system', 'health', { refresh: true })) as Health;
        const litellm = health.value?.components.find((c) => c.name === 'litellm');
        expect(litellm?.state).toBe('error');
        expect(litellm?.detail).toContain(reason);
        expect(litellm?.fix).toMatch(/chmod go-w|owned by you or root/);
        expect(fs.existsSync(marker)).toBe(false);
      } finally {
        core.kill();
        await core.exited;
      }
    },
    120_000,
  );
});

describe('the data dir must be private (0700, this user)', () => {
  const serveFails = async (home: string) => {
    const r = await cli('serve', '--port', '0', '--home', home);
    expect(r.out).not.toContain('serving at');
    expect(r.code).toBe(1);
    return r.err;
  };

  it('agentdesk serve refuses a data dir with mode 0755, naming chmod 700', async () => {
    const home = tempDir('agentdesk-test-datadir-');
    fs.chmodSync(home, 0o755);
    const err = await serveFails(home);
    expect(err).toContain(`The data dir ${home} has mode 0755`);
    expect(err).toContain(`chmod 700 ${home}`);
    expect(fs.existsSync(path.join(home, 'agentdesk.db'))).toBe(false);
    expect(fs.existsSync(path.join(home, 'control.json'))).toBe(false);
  });

  it.skipIf(!isRoot)('agentdesk serve refuses a data dir owned by another user, naming the fix', async () => {
    const home = tempDir('agentdesk-test-datadir-');
    fs.chownSync(home, OTHER_UID, OTHER_UID);
    const err = await serveFails(home);
    expect(err).toContain(`belongs to another user (uid ${OTHER_UID})`);
    expect(err).toContain(`chown -R`);
    expect(fs.existsSync(path.join(home, 'agentdesk.db'))).toBe(false);
  });

  it('a fresh data dir is created 0700 and serve starts', async () => {
    const parent = tempDir('agentdesk-test-datadir-');
    const home = path.join(parent, 'new', 'data');
    const core = await startChildCore(entry, home, {});
    try {
      expect(fs.statSync(home).mode & 0o777).toBe(0o700);
      expect(((await core.call('system', 'info', {})) as Envelope).ok).toBe(true);
    } finally {
      core.kill();
      await core.exited;
    }
  });
});
