// The first-run onboarding, as a pure view: three checks with their fixes, LiteLLM provisioning progress, Continue.
import type { ReactElement } from 'react';
import type { ProvisionProgress, SetupActionId, SetupCheck, SetupStatus } from '../../../../contract/setup';
import { Badge } from '../../components/Badge';
import type { BadgeTone } from '../../components/Badge';
import type { ShownError } from '../../stores/errors';
import { splitFix } from '../system/fix-line';

const TONE: Record<SetupCheck['state'], { tone: BadgeTone; label: string }> = {
  ok: { tone: 'ok', label: 'Ready' },
  warn: { tone: 'warn', label: 'Needs attention' },
  fail: { tone: 'danger', label: 'Not ready' },
};

/** One instruction line; `backticked` commands in monospace. */
function Step({ text }: { text: string }): ReactElement {
  return (
    <li>
      {splitFix(text).map((s, i) =>
        s.command ? <code key={i}>{s.text}</code> : <span key={i}>{s.text}</span>,
      )}
    </li>
  );
}

/** Progress bar and failure details of LiteLLM provisioning. */
export function ProvisionBlock({ p }: { p: ProvisionProgress }): ReactElement | null {
  if (p.state === 'idle') return null;
  return (
    <div className={`provision provision--${p.state}`} data-testid="provision" data-state={p.state}>
      {p.state === 'running' && (
        <>
          <progress
            className="deploy__bar"
            max={100}
            value={Math.round(p.percent)}
            aria-label="Installing LiteLLM"
            data-testid="provision-bar"
          />
          <p className="muted" data-testid="provision-message">
            {Math.round(p.percent)}% · {p.message}
            {p.source === 'wheelhouse' ? ' (offline, from the bundled wheels)' : ''}
          </p>
        </>
      )}
      {p.state === 'failed' && (
        <>
          <p className="inline-error" role="alert" data-testid="provision-error">
            {p.error}
          </p>
          {p.log_tail.length > 0 && (
            <details className="llm-stderr">
              <summary className="llm-stderr__summary">Last lines of pip</summary>
              <pre className="log-lines">{p.log_tail.join('\n')}</pre>
            </details>
          )}
        </>
      )}
    </div>
  );
}

function CheckCard({
  check,
  provision,
  fixing,
  onFix,
}: {
  check: SetupCheck;
  provision: ProvisionProgress;
  fixing: SetupActionId | null;
  onFix: (a: SetupActionId) => void;
}): ReactElement {
  const tone =
    check.id === 'litellm' && provision.state === 'running'
      ? { tone: 'progress' as const, label: 'Installing' }
      : TONE[check.state];
  return (
    <li
      className={`setup-check setup-check--${check.state}`}
      data-testid={`setup-${check.id}`}
      data-state={check.state}
    >
      <div className="setup-check__head">
        <h2 className="setup-check__title">{check.title}</h2>
        <Badge tone={tone.tone} label={tone.label} />
      </div>
      <p className="setup-check__detail" data-testid={`setup-${check.id}-detail`}>
        {check.detail}
      </p>
      {check.steps.length > 0 && (
        <ol className="setup-check__steps" data-testid={`setup-${check.id}-steps`}>
          {check.steps.map((s) => (
            <Step key={s} text={s} />
          ))}
        </ol>
      )}
      {check.id === 'litellm' && <ProvisionBlock p={provision} />}
      {check.action && !(check.id === 'litellm' && provision.state === 'running') && (
        <button
          type="button"
          className="button button--primary"
          data-testid={`setup-action-${check.action.id}`}
          disabled={fixing !== null}
          onClick={() => onFix(check.action!.id)}
        >
          {fixing === check.action.id ? 'Working…' : check.action.label}
        </button>
      )}
    </li>
  );
}

/** Props of {@link OnboardingView}. */
export interface OnboardingViewProps {
  status: SetupStatus | null;
  checking: boolean;
  fixing: SetupActionId | null;
  completing: boolean;
  error: ShownError | null;
  onRecheck: () => void;
  onFix: (a: SetupActionId) => void;
  onContinue: () => void;
}

/**
 * The whole onboarding screen. "Continue" is always possible (a user may fix things later from the
 * System view); it says "Continue anyway" while a check still fails, and waits while LiteLLM installs.
 */
export function OnboardingView(props: OnboardingViewProps): ReactElement {
  const { status } = props;
  const failing = status?.checks.some((c) => c.state === 'fail') ?? false;
  const installing = status?.provision.state === 'running';
  return (
    <div className="onboarding" data-testid="onboarding">
      <header className="page-header">
        <div>
          <h1 className="page-header__title">Welcome to Agent Desk</h1>
          <p className="page-header__description">
            Agents run in containers on this machine, reach models through LiteLLM, and keep provider keys in
            your keychain. Let&apos;s check that all three are ready.
          </p>
        </div>
      </header>
      {props.error && (
        <p className="inline-error" role="alert">
          {props.error.message}
        </p>
      )}
      {!status ? (
        <p className="muted">Checking this machine…</p>
      ) : (
        <ul className="setup-checks">
          {status.checks.map((c) => (
            <CheckCard
              key={c.id}
              check={c}
              provision={status.provision}
              fixing={props.fixing}
              onFix={props.onFix}
            />
          ))}
        </ul>
      )}
      <div className="onboarding__footer">
        <button
          type="button"
          className="button"
          onClick={props.onRecheck}
          disabled={props.checking}
          data-testid="setup-recheck"
        >
          {props.checking ? 'Checking…' : 'Check again'}
        </button>
        <button
          type="button"
          className="button button--primary"
          onClick={props.onContinue}
          disabled={!status || props.completing || installing}
          data-testid="setup-continue"
        >
          {failing ? 'Continue anyway' : 'Continue'}
        </button>
      </div>
    </div>
  );
}
