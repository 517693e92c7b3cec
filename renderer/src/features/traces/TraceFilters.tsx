// The timeline's filter bar: kinds, time range, thread, text, and the JSONL export of what is shown.
import { useEffect, useState } from 'react';
import type { ReactElement } from 'react';
import { TraceKind } from '../../../../contract/traces';
import { KIND_LABELS } from '../../stores/traces';
import type { TracesStore } from '../../stores/traces';

/** Pause after the last keystroke before the text filter asks the core again, in ms. */
const TEXT_DEBOUNCE_MS = 300;

/** The time ranges offered (ms back from now; `null` = all time). */
export const TRACE_RANGES: { label: string; ms: number | null }[] = [
  { label: 'All time', ms: null },
  { label: 'Last 15 minutes', ms: 15 * 60_000 },
  { label: 'Last hour', ms: 3_600_000 },
  { label: 'Last 24 hours', ms: 86_400_000 },
  { label: 'Last 7 days', ms: 7 * 86_400_000 },
];

/**
 * Kind chips (toggle; none pressed = all), range and thread selects, a text box (applied
 * {@link TEXT_DEBOUNCE_MS} ms after the last keystroke) — each reloads from the core — and "Export
 * JSONL" of the `shown` events.
 */
export function TraceFilters({
  s,
  threads,
  shown,
  onExport,
}: {
  s: TracesStore;
  threads: string[];
  shown: number;
  onExport: () => void;
}): ReactElement {
  const [draft, setDraft] = useState(s.text);
  const text = s.text;
  useEffect(() => {
    if (draft === text) return;
    const t = setTimeout(() => void s.setText(draft), TEXT_DEBOUNCE_MS);
    return () => clearTimeout(t);
    // `s` changes on every store update; the timer restarts only when the draft or the applied text does.
  }, [draft, text]);
  const toggle = (k: TraceKind) => {
    const next = s.kinds.includes(k) ? s.kinds.filter((x) => x !== k) : [...s.kinds, k];
    void s.setKinds(next);
  };
  const threadOptions = s.threadId && !threads.includes(s.threadId) ? [s.threadId, ...threads] : threads;
  return (
    <div className="trace-toolbar">
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
          <button type="button" className="button button--small" onClick={() => void s.setKinds([])}>
            Show all kinds
          </button>
        ) : null}
      </div>
      <div className="trace-filters">
        <label className="trace-filter">
          <span className="small muted">Time</span>
          <select
            value={s.rangeMs ?? ''}
            onChange={(e) => void s.setRange(e.target.value ? Number(e.target.value) : null)}
            data-testid="trace-range"
          >
            {TRACE_RANGES.map((r) => (
              <option key={r.label} value={r.ms ?? ''}>
                {r.label}
              </option>
            ))}
          </select>
        </label>
        <label className="trace-filter">
          <span className="small muted">Thread</span>
          <select
            value={s.threadId ?? ''}
            onChange={(e) => void s.setThread(e.target.value || null)}
            data-testid="trace-thread"
          >
            <option value="">All threads</option>
            {threadOptions.map((t) => (
              <option key={t} value={t}>
                {t.length > 14 ? `${t.slice(0, 13)}…` : t}
              </option>
            ))}
          </select>
        </label>
        <label className="trace-filter trace-filter--text">
          <span className="small muted">Text</span>
          <input
            type="search"
            value={draft}
            placeholder="Search messages, tool calls and outputs, errors"
            onChange={(e) => setDraft(e.target.value)}
            data-testid="trace-text"
          />
        </label>
        <span className="small muted" data-testid="trace-count">
          {shown.toLocaleString()} {shown === 1 ? 'event' : 'events'}
        </span>
        <button
          type="button"
          className="button button--small"
          onClick={onExport}
          disabled={shown === 0}
          data-testid="trace-export"
        >
          Export JSONL
        </button>
      </div>
    </div>
  );
}
