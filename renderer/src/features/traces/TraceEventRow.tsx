// One trace event in the timeline: time, a coloured kind label, a one-line summary, and its payload on demand.
import type { ReactElement } from 'react';
import type { TraceEvent } from '../../../../contract/traces';
import { KIND_LABELS, summaryOf } from '../../stores/traces';

/** `14:03:07.123` in local time. */
function clock(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

/** The envelope fields worth showing beside the payload (nulls left out). */
function detailsOf(e: TraceEvent): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of [
    'id',
    'trace_id',
    'parent_id',
    'thread_id',
    'provider',
    'model',
    'duration_ms',
    'tokens_in',
    'tokens_out',
    'cost_usd',
    'error',
  ] as const)
    if (e[k] !== null) out[k] = e[k];
  out.payload = e.payload;
  return out;
}

/**
 * A `<details>` row: the summary line is the kind (colour and text, never colour alone), the time and
 * what happened; opened, it shows the payload and envelope as JSON.
 */
export function TraceEventRow({ event, showAgent }: { event: TraceEvent; showAgent?: string }): ReactElement {
  return (
    <details
      className={`trace-event trace-kind--${event.kind}`}
      data-testid="trace-event"
      data-kind={event.kind}
      data-id={event.id}
    >
      <summary className="trace-event__summary">
        <time className="trace-event__time muted small" dateTime={new Date(event.created_at).toISOString()}>
          {clock(event.created_at)}
        </time>
        <span className="trace-event__kind">{KIND_LABELS[event.kind]}</span>
        {showAgent ? <span className="trace-event__agent small">{showAgent}</span> : null}
        <span className="trace-event__text">{summaryOf(event)}</span>
      </summary>
      <pre className="trace-event__payload" data-testid="trace-payload">
        {JSON.stringify(detailsOf(event), null, 2)}
      </pre>
    </details>
  );
}
