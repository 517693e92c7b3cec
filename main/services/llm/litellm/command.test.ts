// Finding the litellm command: configured path first, then the venvs, then PATH; honest health.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { probeLitellmInstall, resolveLitellmCommand } from './command';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
function tmp(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-llm-'));
  dirs.push(d);
  return d;
}
function fakeVenv(root: string, version: string): string {
  const bin = path.join(root, 'bin', 'litellm');
  fs.mkdirSync(path.dirname(bin), { recursive: true });
  fs.writeFileSync(bin, '#!/bin/sh\n', { mode: 0o755 });
  fs.mkdirSync(path.join(root, 'lib', 'python3.11', 'site-packages', `litellm-${version}.dist-info`), {
    recursive: true,
  });
  return bin;
}

describe('resolveLitellmCommand', () => {
  it('prefers the setting, then AGENTDESK_LITELLM, then the app venv, then the data venv, then PATH', () => {
    const app = tmp();
    const data = tmp();
    const appBin = fakeVenv(path.join(app, '.venv', 'litellm'), '1.2.3');
    const dataBin = fakeVenv(path.join(data, 'litellm', 'venv'), '9.9.9');
    fs.writeFileSync(path.join(data, 'litellm', 'venv', '.agentdesk-provisioned'), '{}');
    expect(
      resolveLitellmCommand({
        setting: '/opt/x/litellm',
        appRoot: app,
        dataDir: data,
        env: { AGENTDESK_LITELLM: '/y' },
      })?.source,
    ).toBe('setting');
    expect(
      resolveLitellmCommand({ setting: null, appRoot: app, dataDir: data, env: { AGENTDESK_LITELLM: '/y' } })
        ?.source,
    ).toBe('env');
    expect(resolveLitellmCommand({ setting: null, appRoot: app, dataDir: data, env: {} })).toEqual({
      command: appBin,
      source: 'app-venv',
      version: '1.2.3',
    });
    fs.rmSync(path.join(app, '.venv'), { recursive: true });
    expect(resolveLitellmCommand({ setting: null, appRoot: app, dataDir: data, env: {} })).toEqual({
      command: dataBin,
      source: 'data-venv',
      version: '9.9.9',
    });
    // A venv whose provisioning did not finish (no marker) is never used.
    fs.rmSync(path.join(data, 'litellm', 'venv', '.agentdesk-provisioned'));
    expect(
      resolveLitellmCommand({ setting: null, appRoot: app, dataDir: data, env: { PATH: '' } }),
    ).toBeNull();
    fs.rmSync(path.join(data, 'litellm'), { recursive: true });
    expect(
      resolveLitellmCommand({ setting: null, appRoot: app, dataDir: data, env: { PATH: '' } }),
    ).toBeNull();
  });

  it('reports missing with the install hint, and a bad configured path as an error', () => {
    const empty = tmp();
    const missing = probeLitellmInstall({ setting: null, appRoot: empty, dataDir: empty, env: { PATH: '' } });
    expect(missing.state).toBe('missing');
    expect(missing.fix).toContain('bootstrap-linux.sh');
    const bad = probeLitellmInstall({
      setting: '/nonexistent/litellm',
      appRoot: empty,
      dataDir: empty,
      env: {},
    });
    expect(bad.state).toBe('error');
    expect(bad.detail).toContain('not an executable');
  });
});
