// Turns the health report into the onboarding's three checks (engine, keychain, LiteLLM), with exact steps and one-click fixes.
import type { ComponentHealth, ComponentName, HealthReport } from '../../../contract/health';
import type { ProvisionProgress, SetupCheck } from '../../../contract/setup';

/** What the checks are built from. */
export interface SetupCheckInput {
  report: HealthReport;
  /** The `container_runtime` setting: the engine new agents use. */
  runtime: 'docker' | 'incus';
  provision: ProvisionProgress;
  /** `process.platform`; decides which install instructions are given. */
  platform: NodeJS.Platform;
}

function component(report: HealthReport, name: ComponentName): ComponentHealth {
  return (
    report.components.find((c) => c.name === name) ?? {
      name,
      state: 'missing',
      detail: `${name} was not probed`,
      fix: '',
    }
  );
}

/** A health state that means "works" (LiteLLM `starting` is installed and on its way). */
function works(c: ComponentHealth): boolean {
  return c.state === 'ok' || c.state === 'starting';
}

const LABEL = { docker: 'Docker', incus: 'Incus' } as const;

function installEngineSteps(platform: NodeJS.Platform): string[] {
  if (platform === 'darwin')
    return [
      'Install Docker Desktop (https://docs.docker.com/desktop/setup/install/mac-install/) and start it.',
    ];
  if (platform === 'win32')
    return [
      'Install Docker Desktop (https://docs.docker.com/desktop/setup/install/windows-install/) with the WSL 2 backend, and start it.',
    ];
  return [
    'Install Docker: `sudo apt install docker.io` (Debian/Ubuntu) or `sudo dnf install moby-engine` (Fedora), then `sudo systemctl enable --now docker`.',
    'Let your user use it: `sudo usermod -aG docker $USER`, then log out and back in.',
    'Or install Incus instead (`sudo apt install incus`, then `sudo incus admin init`) and choose it in Settings → Container runtime.',
  ];
}

function engineCheck(input: SetupCheckInput): SetupCheck {
  const chosen = input.runtime;
  const other = chosen === 'docker' ? 'incus' : 'docker';
  const mine = component(input.report, chosen);
  const theirs = component(input.report, other);
  const title = 'Container engine';
  if (mine.state === 'ok')
    return {
      id: 'engine',
      title,
      state: 'ok',
      detail: `${LABEL[chosen]}: ${mine.detail}`,
      steps: [],
      action: null,
    };
  if (theirs.state === 'ok')
    return {
      id: 'engine',
      title,
      state: 'warn',
      detail: `${LABEL[chosen]} (the engine in Settings) is not usable: ${mine.detail}. ${LABEL[other]} works: ${theirs.detail}.`,
      steps: mine.fix ? [`To use ${LABEL[chosen]}: ${mine.fix}.`] : [],
      action: { id: other === 'docker' ? 'use-docker' : 'use-incus', label: `Use ${LABEL[other]}` },
    };
  const steps =
    mine.state === 'missing' && theirs.state === 'missing' ? installEngineSteps(input.platform) : [];
  if (mine.fix && steps.length === 0) steps.push(`${LABEL[chosen]}: ${mine.fix}.`);
  if (theirs.fix && theirs.state !== 'missing') steps.push(`${LABEL[other]}: ${theirs.fix}.`);
  return {
    id: 'engine',
    title,
    state: 'fail',
    detail: `No container engine is usable. ${LABEL[chosen]}: ${mine.detail}. ${LABEL[other]}: ${theirs.detail}.`,
    steps,
    action: null,
  };
}

function keychainCheck(input: SetupCheckInput): SetupCheck {
  const k = component(input.report, 'keychain');
  const title = 'Keychain for provider keys';
  if (k.state === 'ok')
    return { id: 'keychain', title, state: 'ok', detail: k.detail, steps: [], action: null };
  return {
    id: 'keychain',
    title,
    state: 'warn',
    detail: `${k.detail}. Keys cannot be saved; they are never written anywhere else.`,
    steps: [
      ...(k.fix ? [`${k.fix}.`] : []),
      // The probe's fix often names the env-var path already; say it once.
      ...(k.fix.includes('AGENTDESK_KEY_')
        ? []
        : [
            'Meanwhile a key can be given for one run as an environment variable AGENTDESK_KEY_<PROVIDER_ID> (e.g. AGENTDESK_KEY_OPENAI).',
          ]),
    ],
    action: null,
  };
}

function litellmCheck(input: SetupCheckInput): SetupCheck {
  const l = component(input.report, 'litellm');
  const title = 'LiteLLM proxy';
  const p = input.provision;
  if (p.state === 'running')
    return {
      id: 'litellm',
      title,
      state: 'warn',
      detail: `Installing: ${p.message}`,
      steps: [],
      action: null,
    };
  if (works(l) || p.state === 'done')
    return {
      id: 'litellm',
      title,
      state: 'ok',
      detail: p.state === 'done' && !works(l) ? p.message : l.detail,
      steps: [],
      action: null,
    };
  const failed = p.state === 'failed' && p.error ? [`The last attempt failed: ${p.error}`] : [];
  if (l.state === 'missing')
    return {
      id: 'litellm',
      title,
      state: 'fail',
      detail: l.detail,
      steps: [
        ...failed,
        '"Install LiteLLM" makes a Python venv in the data dir and installs the pinned version (needs Python 3.10+; uses the wheels bundled with the app when there are any, otherwise PyPI).',
        'Or install it yourself (`pip install "litellm[proxy]"`) and set Settings → LiteLLM command to its path.',
      ],
      action: { id: 'provision-litellm', label: p.state === 'failed' ? 'Try again' : 'Install LiteLLM' },
    };
  return {
    id: 'litellm',
    title,
    state: 'fail',
    detail: l.detail,
    steps: [...failed, ...(l.fix ? [`${l.fix}.`] : [])],
    action: null,
  };
}

/**
 * The onboarding checks, in the order they are shown: engine, keychain, LiteLLM.
 * Engine: `ok` when the chosen runtime works, `warn` + "Use <other>" when only the other one does,
 * `fail` with install steps when none does. Keychain: `warn` (keys from env vars only) when absent or
 * locked. LiteLLM: `fail` + "Install LiteLLM" when missing; `ok` once installed (or provisioned).
 */
export function buildSetupChecks(input: SetupCheckInput): SetupCheck[] {
  return [engineCheck(input), keychainCheck(input), litellmCheck(input)];
}
