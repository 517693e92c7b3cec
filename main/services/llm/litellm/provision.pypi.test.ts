// Provisioning the real LiteLLM lock (resources/litellm/requirements.txt, hashes required) from PyPI into a data dir, as a first run does.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import type { ProvisionProgress } from '../../../../contract/setup';
import { skipUnlessReal } from '../../../../test/real';
import { resolveLitellmCommand } from './command';
import { LitellmProvisioner } from './provision';

const REQUIREMENTS = path.resolve(__dirname, '../../../../resources/litellm/requirements.txt');
// The lock pins `litellm==X` (with the proxy extra's dependencies listed beside it).
const PINNED = /^litellm==([\d.]+)/m.exec(fs.readFileSync(REQUIREMENTS, 'utf8'))![1]!;

/** PyPI answers (the only package index this machine may reach). */
function pypiReachable(): boolean {
  try {
    execFileSync(
      'python3',
      ['-c', 'import urllib.request; urllib.request.urlopen("https://pypi.org/simple/pip/", timeout=10)'],
      {
        stdio: 'ignore',
        timeout: 15_000,
      },
    );
    return true;
  } catch {
    return false;
  }
}

const home = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-pypi-'));
afterAll(() => fs.rmSync(home, { recursive: true, force: true }));

describe.skipIf(skipUnlessReal(pypiReachable(), 'PyPI'))('LiteLLM provisioning from PyPI', () => {
  it(
    `installs litellm[proxy]==${PINNED} into <data>/litellm/venv, which the core then uses`,
    { timeout: 600_000 },
    async () => {
      const events: ProvisionProgress[] = [];
      const p = new LitellmProvisioner({
        parentEnv: process.env,
        venvDir: path.join(home, 'litellm', 'venv'),
        requirementsFile: REQUIREMENTS,
        wheelhouseDir: null,
        log: pino({ level: 'silent' }),
        onProgress: (e) => events.push(e),
      });
      p.start();
      await p.settled();
      expect(p.progress().error).toBeNull();
      expect(p.progress()).toMatchObject({ state: 'done', source: 'index', percent: 100 });
      // The bar moved through the download and install phases, not straight from 5 to 100.
      expect(
        events.filter((e) => e.step === 'install' && e.percent > 5 && e.percent < 95).length,
      ).toBeGreaterThan(10);
      const found = resolveLitellmCommand({ setting: null, appRoot: home, dataDir: home, env: { PATH: '' } });
      expect(found).toMatchObject({ source: 'data-venv', version: PINNED });
      // The installed command runs (its --help prints the proxy's options).
      const help = execFileSync(found!.command, ['--help'], {
        encoding: 'utf8',
        timeout: 120_000,
        env: { ...process.env, LITELLM_LOCAL_MODEL_COST_MAP: 'True' },
      });
      expect(help).toMatch(/--port/);
    },
  );
});
