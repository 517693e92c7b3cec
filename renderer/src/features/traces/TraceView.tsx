// A trace timeline grouped by turn: filters, the virtualized list of turns, paging back, follow mode and export.
import { useMemo, useSyncExternalStore } from 'react';
import type { ReactElement } from 'react';
import type { StoreApi } from 'zustand/vanilla';
import type { Rect } from '@tanstack/react-virtual';
import type { Agent } from '../../../../contract/agents';
import { filterEvents, groupByTrace, threadsOf } from '../../stores/traces';
import type { TracesStore } from '../../stores/traces';
import { downloadJsonl, exportFileName } from './export-jsonl';
import { TraceFilters } from './TraceFilters';
import { TraceTimeline } from './TraceTimeline';

/**
 * The events of `store` that pass its filters, grouped by trace_id (one group per turn; lifecycle and
 * untied events stand alone), oldest first with live events appended. `agents` names the agent of
 * each group while the view shows every agent (no agent picked); `initialRect` is passed to the virtual list.
 */
export function TraceView({
  store,
  agents,
  initialRect,
}: {
  store: StoreApi<TracesStore>;
  agents?: Agent[];
  initialRect?: Rect;
}): ReactElement {
  // The server snapshot is the live state too (zustand's would be the initial one): no hydration here.
  const s = useSyncExternalStore(store.subscribe, store.getState, store.getState);
  const { events, agentId, kinds, sinceMs, threadId, text } = s;
  const shown = useMemo(
    () => filterEvents(events, { agentId, kinds, sinceMs, threadId, text, rangeMs: null }),
    [events, agentId, kinds, sinceMs, threadId, text],
  );
  const groups = useMemo(() => groupByTrace(shown), [shown]);
  const threads = useMemo(() => threadsOf(events), [events]);
  const nameOf = (id: string) => {
    const a = agents?.find((x) => x.id === id);
    return a ? `${a.emoji} ${a.name}` : undefined;
  };
  const onExport = () => {
    const who = agentId ? (agents?.find((a) => a.id === agentId)?.slug ?? agentId) : 'all';
    downloadJsonl(shown, exportFileName(who));
  };
  return (
    <div className="trace-view" data-testid="trace-view" data-loaded={s.loaded ? 'true' : 'false'}>
      <TraceFilters s={s} threads={threads} shown={shown.length} onExport={onExport} />
      {s.error ? (
        <p className="inline-error" role="alert" data-testid="trace-error">
          {s.error.message}
        </p>
      ) : null}
      {s.olderCursor ? (
        <button
          type="button"
          className="button button--small trace-older"
          onClick={() => void s.loadOlder()}
          disabled={s.loading}
          data-testid="trace-older"
        >
          {s.loading ? 'Loading older events…' : 'Load older events'}
        </button>
      ) : null}
      {groups.length === 0 ? (
        <p
          className="muted"
          data-testid="trace-empty"
          data-loading={s.loading || !s.loaded ? 'true' : 'false'}
        >
          {s.loading || !s.loaded
            ? 'Loading…'
            : events.length || kinds.length || s.rangeMs !== null || threadId !== null || text.trim()
              ? 'No event matches these filters.'
              : 'No traces yet. Messages, model calls, tool calls, results, errors and phase changes appear here as they happen.'}
        </p>
      ) : (
        <TraceTimeline
          groups={groups}
          s={s}
          nameOf={agents && agentId === null ? nameOf : () => undefined}
          initialRect={initialRect}
        />
      )}
    </div>
  );
}
