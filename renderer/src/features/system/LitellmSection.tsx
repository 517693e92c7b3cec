// The LiteLLM half of the "LiteLLM & gateway" card: state, process facts, models, notes, files and stderr.
import { useId, useState } from 'react';
import type { ReactElement } from 'react';
import type { LlmStatus } from '../../../../contract/llm';
import { Badge } from '../../components/Badge';
import { litellmBadge, selectRestartInMs, selectUptimeMs } from '../../stores/llm';
import { CopyText } from './CopyText';
import { formatDuration, plural } from './llm-format';
import { StderrTail } from './StderrTail';
import { useNow } from './use-now';

type Litellm = LlmStatus['litellm'];

/** What the tickers read: the status and the renderer time it arrived (UTC ms). */
interface Timed {
  status: LlmStatus;
  receivedAt: number | null;
}

/** Time since LiteLLM became ready, ticking every second. */
function Uptime({ timed }: { timed: Timed }): ReactElement {
  const now = useNow(timed.status.litellm.state === 'ready');
  const ms = selectUptimeMs(timed, now);
  return <dd data-testid="litellm-uptime">{ms === null ? '—' : formatDuration(ms)}</dd>;
}

/** Seconds until the next restart attempt, ticking while LiteLLM is restarting. */
function NextRestart({ timed }: { timed: Timed }): ReactElement | null {
  const now = useNow(timed.status.litellm.state === 'restarting');
  const ms = selectRestartInMs(timed, now);
  if (ms === null) return null;
  return (
    <>
      <dt>Next restart</dt>
      <dd data-testid="litellm-next-restart">{ms > 0 ? `in ${Math.ceil(ms / 1000)} s` : 'now'}</dd>
    </>
  );
}

/** The model count with a button that shows or hides the full list. */
function ModelsFact({ models }: { models: readonly string[] }): ReactElement {
  const [shown, setShown] = useState(false);
  const listId = useId();
  return (
    <>
      <dt>Models served</dt>
      <dd>
        <span className="llm-models__head">
          <span data-testid="litellm-model-count" data-count={models.length}>
            {plural(models.length, 'model')}
          </span>
          {models.length > 0 ? (
            <button
              type="button"
              className="link-button"
              aria-expanded={shown}
              aria-controls={listId}
              onClick={() => setShown((v) => !v)}
              data-testid="litellm-models-toggle"
            >
              {shown ? 'Hide list' : 'Show list'}
            </button>
          ) : null}
        </span>
        {shown && models.length > 0 ? (
          <ul id={listId} className="llm-models" data-testid="litellm-model-list">
            {models.map((m) => (
              <li key={m} className="llm-models__item" data-testid="litellm-model">
                <code>{m}</code>
              </li>
            ))}
          </ul>
        ) : null}
      </dd>
    </>
  );
}

/** Restarts since start and crashes in the last 5 minutes, one line. */
function restartsLine(l: Litellm): string {
  return `${plural(l.restarts, 'restart')} · ${plural(l.recent_crashes, 'crash', 'crashes')} in the last 5 min`;
}

/**
 * The LiteLLM section of `status`; `receivedAt` (renderer UTC ms) lets the uptime tick between pushes.
 * `data-state` carries the raw state for tests and styling.
 */
export function LitellmSection({
  status,
  receivedAt,
}: {
  status: LlmStatus;
  receivedAt: number | null;
}): ReactElement {
  const l = status.litellm;
  const timed = { status, receivedAt };
  const badge = litellmBadge(l.state);
  return (
    <div className={`llm-section llm-section--${l.state}`} data-testid="litellm" data-state={l.state}>
      <div className="llm-section__head">
        <h3 className="llm-section__name">LiteLLM</h3>
        <span className="llm-section__badges">
          <Badge tone={badge.tone} label={badge.label} testId="litellm-state" />
          {l.reloading ? <Badge tone="progress" label="Reloading" testId="litellm-reloading" /> : null}
        </span>
      </div>
      <p className="component__detail" data-testid="litellm-detail">
        {l.detail}
      </p>
      {l.last_error ? (
        <p className="llm-last-error" data-testid="litellm-last-error">
          <span className="llm-last-error__label">Last error</span> {l.last_error}
        </p>
      ) : null}
      <dl className="facts">
        <dt>Port</dt>
        <dd data-testid="litellm-port">{l.port === null ? '—' : `127.0.0.1:${l.port}`}</dd>
        <dt>PID</dt>
        <dd data-testid="litellm-pid">{l.pid ?? '—'}</dd>
        <dt>Version</dt>
        <dd data-testid="litellm-version">{l.version ?? 'unknown'}</dd>
        <dt>Uptime</dt>
        <Uptime timed={timed} />
        <dt>Restarts</dt>
        <dd data-testid="litellm-restarts">{restartsLine(l)}</dd>
        <NextRestart timed={timed} />
        <ModelsFact models={l.models} />
        {l.command ? (
          <>
            <dt>Command</dt>
            <dd>
              <CopyText text={l.command} label="LiteLLM command path" testId="litellm-command" />
            </dd>
          </>
        ) : null}
        <dt>Config file</dt>
        <dd>
          {l.config_file ? (
            <CopyText text={l.config_file} label="config file path" testId="litellm-config-file" />
          ) : (
            <span className="muted">none (LiteLLM is not running)</span>
          )}
        </dd>
        <dt>Log file</dt>
        <dd>
          <CopyText text={l.log_file} label="log file path" testId="litellm-log-file" />
        </dd>
      </dl>
      {l.notes.length > 0 ? (
        <div className="llm-notes" data-testid="litellm-notes">
          <p className="llm-notes__title">Providers left out</p>
          <ul className="llm-notes__list">
            {l.notes.map((n) => (
              <li key={n}>{n}</li>
            ))}
          </ul>
        </div>
      ) : null}
      <StderrTail lines={l.stderr_tail} state={l.state} />
    </div>
  );
}
