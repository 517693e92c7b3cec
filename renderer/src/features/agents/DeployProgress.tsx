// Deploy progress of one agent: the five phase names as steps, a progress bar, the latest message; on failure the reason, log lines and Retry.
import type { ReactElement } from 'react';
import type { Agent } from '../../../../contract/agents';
import type { DeployView } from '../../stores/agents';

const MARK = { done: '✓', failed: '!', todo: '', current: '' } as const;

/**
 * The deploy of `agent` as `view` describes it (stores/agents `deployView`). `data-phase` and
 * `data-outcome` (deploying, running, failed, other) on the root say where it is; the message line is a
 * polite live region. A failure shows `phase_reason`, the container's last lines (`failed_log`) and,
 * with `onRetry`, a Retry button.
 */
export function DeployProgress({
  agent,
  view,
  onRetry,
  retrying = false,
  compact = false,
  logOpen = true,
}: {
  agent: Pick<Agent, 'slug' | 'name' | 'phase' | 'failed_log'>;
  view: DeployView;
  onRetry?: () => void;
  retrying?: boolean;
  /** One-line form for the list: bar and message only. */
  compact?: boolean;
  /** Whether the failure's log lines start unfolded. */
  logOpen?: boolean;
}): ReactElement {
  const percent = Math.round(view.fraction * 100);
  const current = view.steps.findIndex((s) => s.state === 'current' || s.state === 'failed');
  const stepText =
    current >= 0 ? `${view.steps[current]!.label}, step ${current + 1} of ${view.steps.length}` : '';
  return (
    <div
      className={`deploy${compact ? ' deploy--compact' : ''} deploy--${view.outcome}`}
      data-testid={`deploy-${agent.slug}`}
      data-phase={agent.phase}
      data-outcome={view.outcome}
    >
      {compact ? null : (
        <ol className="deploy__steps" aria-label="Deploy steps">
          {view.steps.map((s, i) => (
            <li
              key={s.phase}
              className={`deploy__step deploy__step--${s.state}`}
              data-step={s.phase}
              data-state={s.state}
              aria-current={s.state === 'current' ? 'step' : undefined}
            >
              <span className="deploy__marker" aria-hidden="true">
                {s.state === 'current' ? <span className="badge__spinner" /> : MARK[s.state] || i + 1}
              </span>
              <span className="deploy__label">
                {s.label}
                <span className="visually-hidden">
                  {s.state === 'done' ? ' (done)' : s.state === 'failed' ? ' (failed)' : ''}
                </span>
              </span>
            </li>
          ))}
        </ol>
      )}
      <progress
        className="deploy__bar"
        max={100}
        value={percent}
        aria-label={`Deploy of ${agent.name}`}
        aria-valuetext={
          view.outcome === 'running' ? 'Running' : `${percent} %${stepText ? `, ${stepText}` : ''}`
        }
        data-testid={`deploy-bar-${agent.slug}`}
      />
      <p
        className={`deploy__message${view.outcome === 'failed' ? ' deploy__message--failed' : ''}`}
        aria-live="polite"
        data-testid={`deploy-message-${agent.slug}`}
      >
        {view.message}
      </p>
      {view.outcome === 'failed' && !compact ? (
        <>
          {agent.failed_log.length > 0 ? (
            <details className="deploy__log" open={logOpen}>
              <summary>Last {agent.failed_log.length} log lines</summary>
              <pre data-testid={`deploy-log-${agent.slug}`}>{agent.failed_log.join('\n')}</pre>
            </details>
          ) : (
            <p className="muted small">The container wrote no log lines.</p>
          )}
          {onRetry ? (
            <div className="deploy__actions">
              <button
                type="button"
                className="button button--primary"
                onClick={onRetry}
                disabled={retrying}
                aria-busy={retrying}
                data-testid={`deploy-retry-${agent.slug}`}
              >
                {retrying ? 'Retrying…' : 'Retry'}
              </button>
            </div>
          ) : null}
        </>
      ) : null}
    </div>
  );
}
