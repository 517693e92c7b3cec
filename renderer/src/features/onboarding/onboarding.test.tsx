// The onboarding view in a DOM per situation, and the setup store against a fake core.
// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest';
import { IDLE_PROVISION } from '../../../../contract/setup';
import type { SetupStatus } from '../../../../contract/setup';
import { createSetupStore } from '../../stores/setup';
import { render, within } from '../../test/dom';
import { createFakeCore } from '../../test/fake-client';
import { OnboardingView } from './OnboardingView';
import type { OnboardingViewProps } from './OnboardingView';

const IDLE = IDLE_PROVISION;

const MISSING_LITELLM: SetupStatus = {
  onboarding_done: false,
  provision: IDLE,
  checks: [
    {
      id: 'engine',
      title: 'Container engine',
      state: 'ok',
      detail: 'Docker: Docker 20.10',
      steps: [],
      action: null,
    },
    {
      id: 'keychain',
      title: 'Keychain for provider keys',
      state: 'warn',
      detail: 'No Secret Service',
      steps: ['Install it: `sudo apt install gnome-keyring`.'],
      action: null,
    },
    {
      id: 'litellm',
      title: 'LiteLLM proxy',
      state: 'fail',
      detail: 'LiteLLM is not installed',
      steps: [],
      action: { id: 'provision-litellm', label: 'Install LiteLLM' },
    },
  ],
};

/** Renders the view in its own container; its queries look only there. */
function show(over: Partial<OnboardingViewProps>) {
  const { container } = render(
    <OnboardingView
      status={MISSING_LITELLM}
      checking={false}
      fixing={null}
      completing={false}
      error={null}
      onRecheck={() => undefined}
      onFix={() => undefined}
      onContinue={() => undefined}
      {...over}
    />,
  );
  const q = within(container);
  return { ...q, container, state: (id: string) => q.getByTestId(id).getAttribute('data-state') };
}

const disabled = (el: HTMLElement): boolean => (el as HTMLButtonElement).disabled;

describe('OnboardingView', () => {
  it('shows each check with its state, commands as code, the one-click fix, and "Continue anyway" while one fails', () => {
    const view = show({});
    expect(view.state('setup-engine')).toBe('ok');
    expect(view.state('setup-keychain')).toBe('warn');
    expect(view.state('setup-litellm')).toBe('fail');
    expect(view.getByText('sudo apt install gnome-keyring').tagName).toBe('CODE');
    expect(view.getByRole('button', { name: 'Install LiteLLM' })).toBe(
      view.getByTestId('setup-action-provision-litellm'),
    );
    expect(view.getByTestId('setup-continue').textContent).toBe('Continue anyway');
  });

  it('shows the progress bar while LiteLLM installs and does not let the user continue', () => {
    const view = show({
      status: {
        ...MISSING_LITELLM,
        provision: {
          ...IDLE,
          state: 'running',
          step: 'install',
          percent: 42.4,
          message: 'Fetching packages (50)',
          source: 'wheelhouse',
        },
      },
    });
    const bar = view.container.querySelector('progress')!;
    expect(bar.getAttribute('max')).toBe('100');
    expect(bar.getAttribute('value')).toBe('42');
    expect(view.container.textContent).toContain(
      '42% · Fetching packages (50) (offline, from the bundled wheels)',
    );
    expect(disabled(view.getByTestId('setup-continue'))).toBe(true);
    expect(view.queryByTestId('setup-action-provision-litellm')).toBeNull();
  });

  it('shows a failure with pip’s last lines', () => {
    const view = show({
      status: {
        ...MISSING_LITELLM,
        provision: { ...IDLE, state: 'failed', error: 'PyPI could not be reached.', log_tail: ['ERROR: x'] },
      },
    });
    expect(view.getByTestId('provision-error').textContent).toBe('PyPI could not be reached.');
    expect(view.container.textContent).toContain('ERROR: x');
  });

  it('says Continue when every check passes', () => {
    const view = show({
      status: {
        ...MISSING_LITELLM,
        checks: MISSING_LITELLM.checks.map((c) => ({ ...c, state: 'ok' as const })),
      },
    });
    expect(view.getByRole('button', { name: 'Continue' })).toBe(view.getByTestId('setup-continue'));
  });
});

describe('setup store', () => {
  it('loads with refresh, runs a fix, follows progress, and reloads the checks when provisioning ends', async () => {
    const core = createFakeCore();
    let status = MISSING_LITELLM;
    core.handle('setup.status', () => status);
    core.handle('setup.fix', () => ({
      ...status,
      provision: { ...IDLE, state: 'running', step: 'python', percent: 1 },
    }));
    const store = createSetupStore(() => core.client);
    const off = store.getState().follow();
    await store.getState().load(true);
    expect(core.calls.at(-1)).toEqual({ channel: 'setup.status', input: { refresh: true } });
    await store.getState().fix('provision-litellm');
    expect(core.calls.at(-1)).toEqual({ channel: 'setup.fix', input: { action: 'provision-litellm' } });
    expect(store.getState().status?.provision.state).toBe('running');

    core.emit('setup.progress', { ...IDLE, state: 'running', step: 'install', percent: 50, message: 'half' });
    expect(store.getState().status?.provision.percent).toBe(50);

    status = {
      ...MISSING_LITELLM,
      checks: MISSING_LITELLM.checks.map((c) => ({ ...c, state: 'ok' as const, action: null })),
    };
    core.emit('setup.progress', { ...IDLE, state: 'done', percent: 100, message: 'LiteLLM 1 installed' });
    await new Promise((r) => setTimeout(r, 0));
    expect(core.calls.at(-1)).toEqual({ channel: 'setup.status', input: { refresh: false } });
    expect(store.getState().status?.checks.every((c) => c.state === 'ok')).toBe(true);
    off();
    expect(core.listenerCount('setup.progress')).toBe(0);
  });

  it('keeps an error from complete and reports failure', async () => {
    const core = createFakeCore();
    const store = createSetupStore(() => core.client);
    expect(await store.getState().complete()).toBe(false);
    expect(store.getState().error?.message).toMatch(/setup\.complete/);
  });
});
