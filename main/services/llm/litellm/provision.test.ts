// LiteLLM provisioning with real Python and pip: offline wheelhouse, progress, failures that clean up, the marker.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { ProvisionProgress } from '../../../../contract/setup';
import { makeWheelhouse } from '../../../../test/fixtures/wheelhouse';
import { resolveLitellmCommand } from './command';
import { LitellmProvisioner, PROVISIONED_MARKER } from './provision';

const log = pino({ level: 'silent' });
const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
function tmp(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-provision-'));
  dirs.push(d);
  return d;
}

function provisioner(
  home: string,
  files: { requirementsFile: string; wheelhouseDir: string | null },
  extra: { pythonCandidates?: string[][] } = {},
): { p: LitellmProvisioner; events: ProvisionProgress[] } {
  const events: ProvisionProgress[] = [];
  const p = new LitellmProvisioner({
    parentEnv: process.env,
    venvDir: path.join(home, 'litellm', 'venv'),
    ...files,
    ...extra,
    log,
    onProgress: (e) => events.push(e),
  });
  return { p, events };
}

describe('LitellmProvisioner', () => {
  it('installs from the wheelhouse with no index, reports monotonic progress, and is then found as the data venv', async () => {
    const home = tmp();
    const files = makeWheelhouse(tmp(), '0.0.1');
    const { p, events } = provisioner(home, files);
    expect(p.start().state).toBe('running');
    await p.settled();

    const last = p.progress();
    expect(last).toMatchObject({ state: 'done', percent: 100, source: 'wheelhouse', error: null });
    expect(last.message).toContain('LiteLLM 0.0.1');
    expect(events.map((e) => e.step)).toEqual(
      expect.arrayContaining(['python', 'venv', 'install', 'verify']),
    );
    const running = events.filter((e) => e.state === 'running').map((e) => e.percent);
    expect(running).toEqual([...running].sort((a, b) => a - b));
    // Both wheels were fetched from the folder (pip's "Processing …whl" lines were counted).
    expect(events.some((e) => /Fetching packages \(2\)/.test(e.message))).toBe(true);
    expect(last.log_tail.join('\n')).toMatch(/Successfully installed .*litellm-0\.0\.1/);

    const marker = JSON.parse(
      fs.readFileSync(path.join(home, 'litellm', 'venv', PROVISIONED_MARKER), 'utf8'),
    ) as {
      version: string;
      source: string;
    };
    expect(marker).toMatchObject({ version: '0.0.1', source: 'wheelhouse' });
    const found = resolveLitellmCommand({ setting: null, appRoot: tmp(), dataDir: home, env: { PATH: '' } });
    expect(found).toMatchObject({ source: 'data-venv', version: '0.0.1' });
    expect(p.isProvisioned()).toBe(true);

    // A second run with the same requirements is a no-op that answers done.
    const again = provisioner(home, files);
    again.p.start();
    await again.p.settled();
    expect(again.p.progress()).toMatchObject({ state: 'done', percent: 100 });
    expect(again.events.some((e) => e.step === 'install')).toBe(false);
  });

  it('fails clearly when a package is not in the wheelhouse, and leaves no half-made venv behind', async () => {
    const home = tmp();
    const files = makeWheelhouse(tmp(), '0.0.1');
    // A hashed pin of a version the wheelhouse does not have.
    fs.writeFileSync(files.requirementsFile, `litellm==9.9.9 --hash=sha256:${'0'.repeat(64)}\n`);
    const { p } = provisioner(home, files);
    p.start();
    await p.settled();
    const last = p.progress();
    expect(last.state).toBe('failed');
    expect(last.error).toMatch(/A package was not found: .*litellm==9\.9\.9/);
    expect(last.error).toMatch(/LiteLLM command/);
    expect(last.log_tail.length).toBeGreaterThan(0);
    expect(fs.existsSync(path.join(home, 'litellm', 'venv'))).toBe(false);
    expect(
      resolveLitellmCommand({ setting: null, appRoot: tmp(), dataDir: home, env: { PATH: '' } }),
    ).toBeNull();
  });

  it('names what to install when no Python 3.10+ is found', async () => {
    const home = tmp();
    const files = makeWheelhouse(tmp(), '0.0.1');
    const { p } = provisioner(home, files, { pythonCandidates: [['/nonexistent/python3'], ['false']] });
    p.start();
    await p.settled();
    expect(p.progress()).toMatchObject({ state: 'failed', step: 'python' });
    expect(p.progress().error).toMatch(/Python 3\.10 or newer is needed .*(apt install python3|python\.org)/);
    expect(fs.existsSync(path.join(home, 'litellm', 'venv'))).toBe(false);
  });

  it('reports a missing requirements file as a damaged installation', async () => {
    const { p } = provisioner(tmp(), {
      requirementsFile: '/nonexistent/requirements.txt',
      wheelhouseDir: null,
    });
    p.start();
    await p.settled();
    expect(p.progress().error).toMatch(/requirements file .* is missing.*reinstall/);
  });

  it('cancel kills pip and removes the venv', async () => {
    const home = tmp();
    const files = makeWheelhouse(tmp(), '0.0.1');
    const { p, events } = provisioner(home, files);
    p.start();
    // Cancel once pip (the install step) is under way.
    while (!events.some((e) => e.step === 'install') && p.progress().state === 'running')
      await new Promise((r) => setTimeout(r, 5));
    await p.cancel();
    expect(p.progress()).toMatchObject({ state: 'failed', error: 'Installation cancelled.' });
    expect(fs.existsSync(path.join(home, 'litellm', 'venv'))).toBe(false);
  });
});
