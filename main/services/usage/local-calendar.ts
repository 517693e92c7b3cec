// Local calendar days and months of the core's machine: budgets reset at local midnight and on the first of the month.

const pad = (n: number) => String(n).padStart(2, '0');

/** The last day {@link localDay} formatted: `[from, to)` in UTC ms (asked on every gateway call). */
let lastDay = { from: 0, to: 0, day: '' };

/** The local day of `ms` (UTC ms), `YYYY-MM-DD`, in the core's time zone (`TZ`, else the system's). */
export function localDay(ms: number): string {
  if (ms >= lastDay.from && ms < lastDay.to) return lastDay.day;
  const d = new Date(ms);
  const day = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
  const from = new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime();
  lastDay = { from, to: new Date(d.getFullYear(), d.getMonth(), d.getDate() + 1).getTime(), day };
  return day;
}

/** The local month of `ms`, `YYYY-MM`. */
export function localMonth(ms: number): string {
  return localDay(ms).slice(0, 7);
}

/** UTC ms of the next local midnight after `ms` (when a daily budget resets); DST changes included. */
export function nextLocalMidnight(ms: number): number {
  const d = new Date(ms);
  return new Date(d.getFullYear(), d.getMonth(), d.getDate() + 1).getTime();
}

/** UTC ms of local midnight on the first of the month after `ms` (when a monthly budget resets). */
export function nextLocalMonth(ms: number): number {
  const d = new Date(ms);
  return new Date(d.getFullYear(), d.getMonth() + 1, 1).getTime();
}

/** The first local day of the month of `ms`, `YYYY-MM-01`. */
export function firstDayOfMonth(ms: number): string {
  return `${localMonth(ms)}-01`;
}

/** "3 h 12 min", "45 s": a duration in ms for messages. */
export function humanDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const min = Math.round(s / 60);
  if (min < 60) return `${min} min`;
  const h = Math.floor(min / 60);
  if (h < 48) return `${h} h ${min % 60} min`;
  return `${Math.round(h / 24)} d`;
}
