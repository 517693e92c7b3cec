// The onboarding checks built from health: the right state, steps and one-click fix for each situation.
import { describe, expect, it } from 'vitest';
import type { ComponentHealth, HealthReport } from '../../../contract/health';
import { IDLE_PROVISION } from '../../../contract/setup';
import { buildSetupChecks } from './setup-checks';

const OK = (name: ComponentHealth['name'], detail = `${name} fine`): ComponentHealth => ({
  name,
  state: 'ok',
  detail,
  fix: '',
});
const DOWN = (
  name: ComponentHealth['name'],
  state: ComponentHealth['state'],
  fix: string,
): ComponentHealth => ({
  name,
  state,
  detail: `${name} ${state}`,
  fix,
});
const IDLE = IDLE_PROVISION;

function report(...components: ComponentHealth[]): HealthReport {
  return { components, checked_at: 1 };
}

describe('buildSetupChecks', () => {
  it('is all ok when the chosen engine, the keychain and LiteLLM work', () => {
    const checks = buildSetupChecks({
      report: report(OK('docker'), OK('incus'), OK('keychain'), OK('litellm'), OK('gateway')),
      runtime: 'docker',
      provision: IDLE,
      platform: 'linux',
    });
    expect(checks.map((c) => [c.id, c.state, c.action])).toEqual([
      ['engine', 'ok', null],
      ['keychain', 'ok', null],
      ['litellm', 'ok', null],
    ]);
  });

  it('offers the other engine when only it works', () => {
    const [engine] = buildSetupChecks({
      report: report(
        DOWN('docker', 'missing', 'Start Docker Desktop'),
        OK('incus'),
        OK('keychain'),
        OK('litellm'),
      ),
      runtime: 'docker',
      provision: IDLE,
      platform: 'linux',
    });
    expect(engine).toMatchObject({ state: 'warn', action: { id: 'use-incus', label: 'Use Incus' } });
    expect(engine!.steps).toEqual(['To use Docker: Start Docker Desktop.']);
  });

  it('gives install steps per platform when no engine exists at all', () => {
    const input = {
      report: report(
        DOWN('docker', 'missing', 'Start Docker Desktop'),
        DOWN('incus', 'missing', 'Install Incus'),
        OK('keychain'),
        OK('litellm'),
      ),
      runtime: 'docker' as const,
      provision: IDLE,
    };
    const linux = buildSetupChecks({ ...input, platform: 'linux' })[0]!;
    expect(linux.state).toBe('fail');
    expect(linux.steps.join('\n')).toMatch(/apt install docker\.io[\s\S]*usermod -aG docker[\s\S]*Incus/);
    const mac = buildSetupChecks({ ...input, platform: 'darwin' })[0]!;
    expect(mac.steps.join('\n')).toMatch(/Docker Desktop/);
  });

  it('keeps a permission problem specific instead of generic install steps', () => {
    const [engine] = buildSetupChecks({
      report: report(
        DOWN('docker', 'error', 'Add yourself to the docker group: `sudo usermod -aG docker $USER`'),
        DOWN('incus', 'missing', 'Install Incus'),
        OK('keychain'),
        OK('litellm'),
      ),
      runtime: 'docker',
      provision: IDLE,
      platform: 'linux',
    });
    expect(engine!.steps).toEqual([
      'Docker: Add yourself to the docker group: `sudo usermod -aG docker $USER`.',
    ]);
  });

  it('warns about a missing keychain and names the env-var path', () => {
    const [, keychain] = buildSetupChecks({
      report: report(
        OK('docker'),
        OK('incus'),
        DOWN('keychain', 'missing', 'Install gnome-keyring'),
        OK('litellm'),
      ),
      runtime: 'docker',
      provision: IDLE,
      platform: 'linux',
    });
    expect(keychain!.state).toBe('warn');
    expect(keychain!.steps.join('\n')).toMatch(/Install gnome-keyring[\s\S]*AGENTDESK_KEY_<PROVIDER_ID>/);
    // A fix that already names the env-var path is not repeated.
    const [, again] = buildSetupChecks({
      report: report(
        OK('docker'),
        OK('incus'),
        DOWN('keychain', 'missing', 'or pass keys as AGENTDESK_KEY_<PROVIDER_ID> env vars'),
        OK('litellm'),
      ),
      runtime: 'docker',
      provision: IDLE,
      platform: 'linux',
    });
    expect(again!.steps).toHaveLength(1);
  });

  it('offers "Install LiteLLM" when missing, shows progress while running, and "Try again" with the error after a failure', () => {
    const base = {
      report: report(OK('docker'), OK('incus'), OK('keychain'), DOWN('litellm', 'missing', 'Install it')),
      runtime: 'docker' as const,
      platform: 'linux' as const,
    };
    expect(buildSetupChecks({ ...base, provision: IDLE })[2]).toMatchObject({
      state: 'fail',
      action: { id: 'provision-litellm', label: 'Install LiteLLM' },
    });
    const running = buildSetupChecks({
      ...base,
      provision: {
        ...IDLE,
        state: 'running',
        step: 'install',
        percent: 40,
        message: 'Fetching packages (50)',
      },
    })[2]!;
    expect(running).toMatchObject({
      state: 'warn',
      action: null,
      detail: 'Installing: Fetching packages (50)',
    });
    const failed = buildSetupChecks({
      ...base,
      provision: { ...IDLE, state: 'failed', error: 'PyPI could not be reached.' },
    })[2]!;
    expect(failed.action).toEqual({ id: 'provision-litellm', label: 'Try again' });
    expect(failed.steps[0]).toBe('The last attempt failed: PyPI could not be reached.');
    const done = buildSetupChecks({
      ...base,
      provision: { ...IDLE, state: 'done', percent: 100, message: 'LiteLLM 1.0 installed in /d' },
    })[2]!;
    expect(done).toMatchObject({ state: 'ok', detail: 'LiteLLM 1.0 installed in /d' });
  });
});
