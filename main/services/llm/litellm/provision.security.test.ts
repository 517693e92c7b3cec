// Supply chain: provisioning installs only what the hashed lock names; a tampered wheel, hash or lock fails clearly and leaves nothing behind.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { makeWheelhouse, sha256Of } from '../../../../test/fixtures/wheelhouse';
import { resolveLitellmCommand } from './command';
import { LitellmProvisioner } from './provision';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
function tmp(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-provision-sec-'));
  dirs.push(d);
  return d;
}

/** Provisions into `<home>/litellm/venv` from `files` and returns the final progress. */
async function provision(home: string, files: { requirementsFile: string; wheelhouseDir: string | null }) {
  const p = new LitellmProvisioner({
    parentEnv: process.env,
    venvDir: path.join(home, 'litellm', 'venv'),
    ...files,
    log: pino({ level: 'silent' }),
    onProgress: () => {},
  });
  p.start();
  await p.settled();
  return p.progress();
}

/** Nothing was left that the core would run. */
function expectNothingInstalled(home: string): void {
  expect(fs.existsSync(path.join(home, 'litellm', 'venv'))).toBe(false);
  expect(
    resolveLitellmCommand({ setting: null, appRoot: tmp(), dataDir: home, env: { PATH: '' } }),
  ).toBeNull();
}

describe('LiteLLM provisioning from the hashed lock', () => {
  it('refuses a wheel that was swapped after the lock was made', async () => {
    const home = tmp();
    const files = makeWheelhouse(tmp(), '0.0.1');
    // A look-alike wheel with other code under the same file name (as a tampered installer would ship).
    const evil = makeWheelhouse(tmp(), '0.0.1');
    fs.appendFileSync(evil.litellmWheel, Buffer.from('\n# tampered\n'));
    fs.copyFileSync(evil.litellmWheel, files.litellmWheel);
    const last = await provision(home, files);
    expect(last.state).toBe('failed');
    expect(last.error).toMatch(
      /does not match the hash in the LiteLLM lock \(litellm==0\.0\.1\).*altered or damaged, so nothing was installed/,
    );
    expectNothingInstalled(home);
  });

  it('refuses a lock whose hash was changed', async () => {
    const home = tmp();
    const files = makeWheelhouse(tmp(), '0.0.1');
    const lock = fs.readFileSync(files.requirementsFile, 'utf8');
    fs.writeFileSync(files.requirementsFile, lock.replace(sha256Of(files.depWheel), 'f'.repeat(64)));
    const last = await provision(home, files);
    expect(last.error).toMatch(
      /does not match the hash in the LiteLLM lock \(agentdesk[-_]fake[-_]dep==1\.0\)/,
    );
    expectNothingInstalled(home);
  });

  it('refuses a lock with an unhashed requirement, one that leaves a dependency out, or no hashes at all', async () => {
    const home = tmp();
    const files = makeWheelhouse(tmp(), '0.0.1');
    // The dependency's line loses its hash: pip would install whatever file carries that name.
    const lock = fs.readFileSync(files.requirementsFile, 'utf8');
    const stripped = lock.replace(` \\\n    --hash=sha256:${sha256Of(files.depWheel)}`, '');
    expect(stripped).not.toBe(lock);
    fs.writeFileSync(files.requirementsFile, stripped);
    const unhashed = await provision(home, files);
    expect(unhashed.error).toMatch(/not a complete hashed lock .*reinstall Agent Desk/);
    expectNothingInstalled(home);

    const partial = makeWheelhouse(tmp(), '0.0.1');
    fs.writeFileSync(
      partial.requirementsFile,
      `litellm==0.0.1 --hash=sha256:${sha256Of(partial.litellmWheel)}\n`,
    );
    const missingDep = await provision(home, partial);
    expect(missingDep.error).toMatch(/not a complete hashed lock/);
    expectNothingInstalled(home);

    // A plain pinned file with no hash at all (what the requirements file used to be) is refused too.
    const plain = makeWheelhouse(tmp(), '0.0.1');
    fs.writeFileSync(plain.requirementsFile, 'litellm==0.0.1\nagentdesk-fake-dep==1.0\n');
    const unchecked = await provision(home, plain);
    expect(unchecked.error).toMatch(/not a complete hashed lock/);
    expectNothingInstalled(home);
  });

  it('the shipped lock pins every package with == and at least one sha256 hash', () => {
    const lock = fs.readFileSync(
      path.resolve(__dirname, '../../../../resources/litellm/requirements.txt'),
      'utf8',
    );
    // Requirements are logical lines: a backslash at the end continues the line.
    const reqs = lock
      .replace(/\\\n/g, ' ')
      .split('\n')
      .map((l) => l.replace(/#.*$/, '').trim())
      .filter(Boolean);
    expect(reqs.length).toBeGreaterThan(100);
    for (const r of reqs) {
      expect(r, r).toMatch(/^[A-Za-z0-9._-]+(\[[a-z,]+\])?==[^\s;]+/);
      expect(r, r).toMatch(/--hash=sha256:[0-9a-f]{64}/);
    }
    expect(reqs.some((r) => /^litellm==1\.106\.2\b/.test(r))).toBe(true);
  });
});
