// State of a trace timeline: which agent (or all), the events loaded (oldest first), paging back, filters, follow mode.
import type { TraceEvent, TraceKind } from '../../../../contract/traces';
import type { ShownError } from '../errors';

/** What the timeline shows; every filter is sent to the core (`traces.list`) and applied to live events. */
export interface TraceFilters {
  kinds: TraceKind[];
  /** The time range shown, in ms back from now (`null` = all time); sent as `since` = now − range. */
  rangeMs: number | null;
  /** Case-insensitive text searched in the payload (`traces.list` `text`; live events are matched the same way). */
  text: string;
  /** Only this conversation thread; `null` = every thread. */
  threadId: string | null;
}

export interface TracesState extends TraceFilters {
  /** The agent whose trace is shown; `null` = every agent (the Traces page). */
  agentId: string | null;
  /** True once a first page arrived for the current view. */
  loaded: boolean;
  /** Events loaded, oldest first, unique by id, at most {@link TRACE_EVENTS_KEPT}. */
  events: TraceEvent[];
  loading: boolean;
  error: ShownError | null;
  /** Cursor of the next older page (`traces.list` with order `desc`); `null` when there is none. */
  olderCursor: string | null;
  /** The `since` (UTC ms) the current view was loaded with, so live events older than the range stay out. */
  sinceMs: number | null;
  /** Follow mode: the list sits at its newest event and scrolls to each new one. */
  atBottom: boolean;
  /** Live events that arrived while the list was not at the bottom (the "N new" pill). */
  newCount: number;
  /** Events whose payload is open, by id (kept here so a row scrolled out and back stays open). */
  expanded: Record<string, true>;
}

/** Most events kept in memory; the list is virtualized, so this bounds memory only. */
export const TRACE_EVENTS_KEPT = 200_000;

/** Events per page (the newest first, then older pages on scroll up). */
export const TRACE_PAGE_SIZE = 500;

export const initialFilters: TraceFilters = { kinds: [], rangeMs: null, text: '', threadId: null };

export const initialTracesState: TracesState = {
  ...initialFilters,
  agentId: null,
  loaded: false,
  events: [],
  loading: false,
  error: null,
  olderCursor: null,
  sinceMs: null,
  atBottom: true,
  newCount: 0,
  expanded: {},
};
