// The virtualized timeline: one item per turn (or lone event); only the items in view are in the DOM.
import { useVirtualizer } from '@tanstack/react-virtual';
import type { Rect } from '@tanstack/react-virtual';
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import type { ReactElement } from 'react';
import { formatUsd } from '../../stores/traces';
import type { TraceGroup, TracesStore } from '../../stores/traces';
import { LocalProviders, TraceEventRow } from './TraceEventRow';
import { useProviderList } from '../agents/use-provider-list';

/** Most events of one turn rendered before "Show all N events" (a runaway tool loop stays cheap). */
export const TURN_EVENTS_SHOWN = 50;
/** Distance from the bottom (px) still counted as "at the bottom" for follow mode. */
const BOTTOM_SLACK_PX = 24;
/** Distance from the top (px) at which the next older page is loaded. */
const OLDER_TRIGGER_PX = 200;

function Group({
  g,
  s,
  agentName,
  showAll,
  onShowAll,
}: {
  g: TraceGroup;
  s: TracesStore;
  agentName?: string;
  showAll: boolean;
  onShowAll: () => void;
}): ReactElement {
  const rows = showAll ? g.rows : g.rows.slice(0, TURN_EVENTS_SHOWN);
  return (
    <div className="trace-group" data-testid="trace-group" data-trace-id={g.trace_id ?? ''}>
      {g.trace_id ? (
        <div className="trace-group__head" data-testid="trace-turn">
          <span className="trace-group__title">{g.title}</span>
          {agentName ? <span className="small">{agentName}</span> : null}
          <span className="muted small" data-testid="trace-group-totals">
            {g.events.length} {g.events.length === 1 ? 'event' : 'events'}
            {g.tokens_in || g.tokens_out ? ` · ${g.tokens_in} in · ${g.tokens_out} out tokens` : ''}
            {g.cost_usd ? ` · ${formatUsd(g.cost_usd)}` : ''}
            {g.duration_ms !== null ? ` · ${(g.duration_ms / 1000).toFixed(1)} s` : ''}
            {g.errors ? ` · ${g.errors} error${g.errors > 1 ? 's' : ''}` : ''}
          </span>
        </div>
      ) : null}
      {rows.map((r) => (
        <TraceEventRow
          key={r.event.id}
          event={r.event}
          depth={g.trace_id ? r.depth + 1 : 0}
          open={Boolean(s.expanded[r.event.id])}
          onToggle={(id, open) => s.setExpanded(id, open)}
          showAgent={!g.trace_id ? agentName : undefined}
        />
      ))}
      {rows.length < g.rows.length ? (
        <button type="button" className="button button--small trace-group__more" onClick={onShowAll}>
          Show all {g.rows.length} events of this turn
        </button>
      ) : null}
    </div>
  );
}

/**
 * The groups in a scroll box of fixed height, virtualized with @tanstack/react-virtual (measured
 * heights). Follow mode: while at the bottom, each new event scrolls into view; otherwise a "N new"
 * pill jumps there. Scrolling near the top loads the next older page and keeps the view in place.
 * `initialRect` = the size assumed before the box is measured (what a server render shows).
 */
export function TraceTimeline({
  groups,
  s,
  nameOf,
  initialRect = { width: 800, height: 560 },
}: {
  groups: TraceGroup[];
  s: TracesStore;
  nameOf: (agentId: string) => string | undefined;
  initialRect?: Rect;
}): ReactElement {
  const scrollRef = useRef<HTMLDivElement>(null);
  const providers = useProviderList();
  const localProviders = useMemo(
    () => new Set((providers ?? []).filter((p) => p.kind === 'local').map((p) => p.id)),
    [providers],
  );
  const [allShown, setAllShown] = useState<Record<string, true>>({});
  const anchor = useRef<string | null>(null);
  const estimate = (i: number) => 30 + Math.min(groups[i]?.rows.length ?? 1, TURN_EVENTS_SHOWN) * 28;
  const virtualizer = useVirtualizer({
    count: groups.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: estimate,
    // Follow mode opens at the newest turn (the first render, before any effect, already shows it).
    initialOffset: () => (s.atBottom ? groups.reduce((sum, _, i) => sum + estimate(i), 0) : 0),
    getItemKey: (i) => groups[i]?.key ?? i,
    overscan: 4,
    initialRect,
  });

  // Follow: stay at the newest group while at the bottom; after an older page, keep the anchor in view.
  const lastKey = groups.at(-1)?.key;
  const lastSize = groups.at(-1)?.rows.length;
  useLayoutEffect(() => {
    if (anchor.current !== null) {
      const i = groups.findIndex((g) => g.key === anchor.current);
      anchor.current = null;
      if (i > 0) virtualizer.scrollToIndex(i, { align: 'start' });
      return;
    }
    if (s.atBottom && groups.length) virtualizer.scrollToIndex(groups.length - 1, { align: 'end' });
    // Only when the newest group changes or grows (or a page lands), not on every render.
  }, [lastKey, lastSize, groups.length]);

  useEffect(() => {
    const el = scrollRef.current;
    if (!el) return;
    const onScroll = () => {
      s.setAtBottom(el.scrollHeight - el.scrollTop - el.clientHeight <= BOTTOM_SLACK_PX);
      if (el.scrollTop < OLDER_TRIGGER_PX && s.olderCursor && !s.loading) {
        anchor.current = groups[virtualizer.getVirtualItems()[0]?.index ?? 0]?.key ?? null;
        void s.loadOlder();
      }
    };
    el.addEventListener('scroll', onScroll, { passive: true });
    return () => el.removeEventListener('scroll', onScroll);
  }, [s, groups, virtualizer]);

  const items = virtualizer.getVirtualItems();
  return (
    <LocalProviders.Provider value={localProviders}>
      <div className="trace-timeline">
        <div className="trace-scroll" ref={scrollRef} data-testid="trace-scroll">
          <div className="trace-scroll__inner" style={{ height: `${virtualizer.getTotalSize()}px` }}>
            {items.map((item) => {
              const g = groups[item.index]!;
              return (
                <div
                  key={item.key}
                  data-index={item.index}
                  ref={virtualizer.measureElement}
                  className="trace-scroll__item"
                  style={{ transform: `translateY(${item.start}px)` }}
                >
                  <Group
                    g={g}
                    s={s}
                    agentName={nameOf(g.agent_id)}
                    showAll={Boolean(allShown[g.key])}
                    onShowAll={() => setAllShown((x) => ({ ...x, [g.key]: true }))}
                  />
                </div>
              );
            })}
          </div>
        </div>
        {!s.atBottom && s.newCount > 0 ? (
          <button
            type="button"
            className="trace-new-pill"
            data-testid="trace-new-pill"
            onClick={() => {
              s.setAtBottom(true);
              virtualizer.scrollToIndex(groups.length - 1, { align: 'end' });
            }}
          >
            {s.newCount} new
          </button>
        ) : null}
      </div>
    </LocalProviders.Provider>
  );
}
