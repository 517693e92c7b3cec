// One trace event in the timeline: time, a coloured kind label, a one-line summary; opened, its payload (long ones cut) and a copy button.
import { createContext, useContext, useState } from 'react';
import type { ReactElement } from 'react';
import { allowEntryFor } from '../../../../contract/egress';
import type { TraceEvent, TraceEventOf } from '../../../../contract/traces';
import type { Agent } from '../../../../contract/agents';
import { Time } from '../../components/Time';
import { useAgents } from '../../stores/agents';
import type { AgentsStore } from '../../stores/agents';
import type { ShownError } from '../../stores/errors';
import { KIND_LABELS, summaryOf } from '../../stores/traces';

/** Lines of an open payload shown before "Show all". */
export const PAYLOAD_PREVIEW_LINES = 40;
/** Characters of an open payload shown before "Show all". */
export const PAYLOAD_PREVIEW_CHARS = 4000;

/** The envelope fields worth showing beside the payload (nulls left out), then the payload. */
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

/** A tool result with a non-zero exit code, or any event with an error (a failed model call): shown red. */
export function failedEvent(e: TraceEvent): boolean {
  if (e.error !== null) return true;
  if (e.kind !== 'tool_result') return false;
  const code = (e.payload as { exit_code?: unknown }).exit_code;
  return typeof code === 'number' && code !== 0;
}

/** `text` cut to the preview size, or `null` when it fits. */
export function previewOf(text: string): string | null {
  const lines = text.split('\n');
  if (lines.length <= PAYLOAD_PREVIEW_LINES && text.length <= PAYLOAD_PREVIEW_CHARS) return null;
  return lines.slice(0, PAYLOAD_PREVIEW_LINES).join('\n').slice(0, PAYLOAD_PREVIEW_CHARS);
}

/**
 * "Allow this host" of a refused connection or lookup: adds the entry {@link allowEntryFor} proposes to
 * the agent's allowlist (an agent in `none` is switched to `allowlist`); nothing when no entry can open it
 * (the host's own services, other agents, link-local) or the agent is not in the list.
 */
export function AllowHost({ event }: { event: TraceEventOf<'egress'> }): ReactElement | null {
  const agent = useAgents((s) => s.agents.find((a) => a.id === event.agent_id));
  const setPolicy = useAgents((s) => s.setPolicy);
  return <AllowHostButton event={event} agent={agent} setPolicy={setPolicy} />;
}

/** {@link AllowHost} given the agent (as the store has it) and the store's `setPolicy`. */
export function AllowHostButton({
  event,
  agent,
  setPolicy,
}: {
  event: TraceEventOf<'egress'>;
  agent: Agent | undefined;
  setPolicy: AgentsStore['setPolicy'];
}): ReactElement | null {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ShownError | null>(null);
  const entry = allowEntryFor(event.payload);
  if (!entry || !agent || agent.phase === 'archived') return null;
  const allowed =
    agent.egress.mode === 'open' || (agent.egress.mode === 'allowlist' && agent.egress.allow.includes(entry));
  if (allowed)
    return (
      <span className="trace-event__allow small muted" data-testid="trace-allowed">
        {agent.egress.mode === 'open' ? 'The agent is in open mode now' : `${entry} is allowed now`}
      </span>
    );
  const allow = async () => {
    setBusy(true);
    setError(
      await setPolicy(agent.id, {
        allow: [entry],
        ...(agent.egress.mode === 'none' ? { egress: 'allowlist' as const } : {}),
      }),
    );
    setBusy(false);
  };
  return (
    <span className="trace-event__allow">
      <button
        type="button"
        className="button button--small button--primary"
        disabled={busy}
        onClick={() => void allow()}
        title={agent.egress.mode === 'none' ? 'Switches the agent from None to Allowlist' : undefined}
        data-testid="trace-allow-host"
      >
        Allow {entry}
      </button>
      {agent.egress.mode === 'none' ? (
        <span className="small muted">(network access becomes Allowlist)</span>
      ) : null}
      {error ? (
        <span className="small inline-error" role="alert" data-testid="trace-allow-error">
          {error.message}
        </span>
      ) : null}
    </span>
  );
}

/** The pretty JSON of an open event: cut to a preview with a "Show all" button when long. */
function Payload({ event }: { event: TraceEvent }): ReactElement {
  const [all, setAll] = useState(false);
  const [copied, setCopied] = useState<'yes' | 'failed' | null>(null);
  const text = JSON.stringify(detailsOf(event), null, 2);
  const preview = all ? null : previewOf(text);
  const copy = () => {
    navigator.clipboard.writeText(JSON.stringify(event, null, 2)).then(
      () => setCopied('yes'),
      () => setCopied('failed'),
    );
  };
  return (
    <div className="trace-event__body">
      <div className="trace-event__actions">
        <button type="button" className="button button--small" onClick={copy} data-testid="trace-copy">
          Copy JSON
        </button>
        {copied ? (
          <span className="small muted" role="status">
            {copied === 'yes' ? 'Copied' : 'Copy failed: the clipboard is not available'}
          </span>
        ) : null}
        {event.kind === 'egress' ? <AllowHost event={event} /> : null}
      </div>
      <pre className="trace-event__payload" data-testid="trace-payload">
        {preview ?? text}
      </pre>
      {preview !== null ? (
        <button
          type="button"
          className="button button--small"
          onClick={() => setAll(true)}
          data-testid="trace-show-all"
        >
          Show all ({text.split('\n').length} lines, {text.length.toLocaleString()} characters)
        </button>
      ) : null}
    </div>
  );
}

/**
 * A `<details>` row, opened from the store (`open`/`onToggle`) so it stays open when scrolled out and
 * back. The summary line is the kind (colour and text, never colour alone), the time and what happened;
 * `depth` indents what answers another event (a tool_result under its tool_call).
 */
/**
 * The ids of the providers that are servers on this machine (catalog kind `local`), for "$0 (local)" on
 * their unpriced model calls; the timeline provides it once for all its rows.
 */
export const LocalProviders = createContext<ReadonlySet<string>>(new Set());

export function TraceEventRow({
  event,
  depth = 0,
  open = false,
  onToggle,
  showAgent,
}: {
  event: TraceEvent;
  depth?: number;
  open?: boolean;
  onToggle?: (id: string, open: boolean) => void;
  showAgent?: string;
}): ReactElement {
  const localProviders = useContext(LocalProviders);
  return (
    <details
      className={`trace-event trace-kind--${event.kind}${failedEvent(event) ? ' trace-event--failed' : ''}`}
      data-failed={failedEvent(event) ? 'true' : undefined}
      style={depth ? { marginLeft: `${Math.min(depth, 6) * 16}px` } : undefined}
      data-testid="trace-event"
      data-kind={event.kind}
      data-id={event.id}
      data-depth={depth}
      open={open}
      onToggle={(e) => {
        const now = e.currentTarget.open;
        if (now !== open) onToggle?.(event.id, now);
      }}
    >
      <summary className="trace-event__summary">
        <Time at={event.created_at} form="precise" className="trace-event__time muted small" />
        <span className="trace-event__kind">{KIND_LABELS[event.kind]}</span>
        {showAgent ? <span className="trace-event__agent small">{showAgent}</span> : null}
        <span className="trace-event__text">{summaryOf(event, localProviders)}</span>
      </summary>
      {open ? <Payload event={event} /> : null}
    </details>
  );
}
