// State of the trace pane: which agent (or all), the events shown (oldest first), paging back, kind filter.
import type { TraceEvent, TraceKind } from '../../../../contract/traces';
import type { ShownError } from '../errors';

export interface TracesState {
  /** The agent whose trace is shown; `null` = every agent (the Traces page). */
  agentId: string | null;
  /** True once a first page arrived for the current agent. */
  loaded: boolean;
  /** Events shown, oldest first, unique by id, at most {@link TRACE_EVENTS_KEPT}. */
  events: TraceEvent[];
  loading: boolean;
  error: ShownError | null;
  /** Cursor of the next older page (`traces.list` with order `desc`); `null` when there is none. */
  olderCursor: string | null;
  /** Kinds shown; empty = all. */
  kinds: TraceKind[];
}

/** Most events kept in the pane (issue 7 brings a virtualized list for more). */
export const TRACE_EVENTS_KEPT = 2000;

/** Events per page. */
export const TRACE_PAGE_SIZE = 200;

export const initialTracesState: TracesState = {
  agentId: null,
  loaded: false,
  events: [],
  loading: false,
  error: null,
  olderCursor: null,
  kinds: [],
};
