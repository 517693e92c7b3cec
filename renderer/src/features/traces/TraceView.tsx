// A trace timeline grouped by turn: kind filter, turns with their totals, events with expandable payloads, older pages.
import type { ReactElement } from 'react';
import type { Agent } from '../../../../contract/agents';
import { TraceKind } from '../../../../contract/traces';
import { formatUsd, groupByTrace, KIND_LABELS, tracesStore, useTraces } from '../../stores/traces';
import { TraceEventRow } from './TraceEventRow';

/**
 * The events of the traces store, grouped by trace_id (one group per turn; lifecycle and untied events
 * stand alone), oldest first with live events appended. `agents` names the agent of each group when
 * the view shows every agent.
 */
export function TraceView({ agents }: { agents?: Agent[] }): ReactElement {
  const s = useTraces((x) => x);
  const groups = groupByTrace(s.events);
  const nameOf = (id: string) => {
    const a = agents?.find((x) => x.id === id);
    return a ? `${a.emoji} ${a.name}` : undefined;
  };
  const toggle = (k: TraceKind) => {
    const next = s.kinds.includes(k) ? s.kinds.filter((x) => x !== k) : [...s.kinds, k];
    void tracesStore.getState().setKinds(next);
  };
  return (
    <div className="trace-view" data-testid="trace-view" data-loaded={s.loaded ? 'true' : 'false'}>
      <div className="trace-filters" role="group" aria-label="Kinds shown">
        {TraceKind.options.map((k) => (
          <button
            key={k}
            type="button"
            className={`trace-chip trace-kind--${k}`}
            aria-pressed={s.kinds.includes(k)}
            onClick={() => toggle(k)}
            data-testid={`trace-filter-${k}`}
          >
            {KIND_LABELS[k]}
          </button>
        ))}
        {s.kinds.length ? (
          <button
            type="button"
            className="button button--small"
            onClick={() => void tracesStore.getState().setKinds([])}
          >
            Show all
          </button>
        ) : null}
      </div>
      {s.error ? (
        <p className="inline-error" role="alert" data-testid="trace-error">
          {s.error.message}
        </p>
      ) : null}
      {s.olderCursor ? (
        <button
          type="button"
          className="button button--small trace-older"
          onClick={() => void tracesStore.getState().loadOlder()}
          disabled={s.loading}
          data-testid="trace-older"
        >
          Load older events
        </button>
      ) : null}
      {groups.length === 0 ? (
        <p
          className="muted"
          data-testid="trace-empty"
          data-loading={s.loading || !s.loaded ? 'true' : 'false'}
        >
          No traces yet.{' '}
          {s.loading || !s.loaded
            ? 'Loading…'
            : 'Messages, model calls, tool calls, results, errors and phase changes appear here as they happen.'}
        </p>
      ) : (
        <ol className="trace-groups">
          {groups.map((g) => (
            <li
              key={g.key}
              className="trace-group"
              data-testid="trace-group"
              data-trace-id={g.trace_id ?? ''}
            >
              {g.trace_id ? (
                <div className="trace-group__head">
                  <span className="trace-group__title">{g.title}</span>
                  <span className="muted small" data-testid="trace-group-totals">
                    {g.events.length} events
                    {g.tokens_in || g.tokens_out ? ` · ${g.tokens_in} in · ${g.tokens_out} out tokens` : ''}
                    {g.cost_usd ? ` · ${formatUsd(g.cost_usd)}` : ''}
                    {g.duration_ms !== null ? ` · ${(g.duration_ms / 1000).toFixed(1)} s` : ''}
                    {g.errors ? ` · ${g.errors} error${g.errors > 1 ? 's' : ''}` : ''}
                  </span>
                </div>
              ) : null}
              {g.events.map((e) => (
                <TraceEventRow
                  key={e.id}
                  event={e}
                  showAgent={agents && g.events[0] === e ? nameOf(e.agent_id) : undefined}
                />
              ))}
            </li>
          ))}
        </ol>
      )}
    </div>
  );
}
