// The one way the UI writes times, in the viewer's time zone with a 24-hour clock: absolute ("14:02", "yesterday 14:02", "3 Dec 14:02"), relative ("5 min ago"), full (tooltips), and the trace's millisecond clock.

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const DAY_MS = 86_400_000;

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/** Local midnight of the day of UTC ms `at`. */
function dayStart(at: number): number {
  const d = new Date(at);
  return new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime();
}

/** How many local calendar days `at` is after `now`'s day (-1 = yesterday, 1 = tomorrow). */
function dayOffset(at: number, now: number): number {
  return Math.round((dayStart(at) - dayStart(now)) / DAY_MS);
}

/** `14:02`: the local time of UTC ms `at`, hours and minutes. */
export function clockTime(at: number): string {
  const d = new Date(at);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** `14:03:07.123`: the local time of UTC ms `at` to the millisecond (the trace timeline). */
export function preciseClock(at: number): string {
  const d = new Date(at);
  return `${clockTime(at)}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

/**
 * UTC ms `at` as a point in time seen from `now` (default: the current time): `14:02` today,
 * `yesterday 14:02`, `tomorrow 09:00`, `3 Dec 14:02` this year, `3 Dec 2025 14:02` otherwise.
 */
export function absoluteTime(at: number, now: number = Date.now()): string {
  const offset = dayOffset(at, now);
  if (offset === 0) return clockTime(at);
  if (offset === -1) return `yesterday ${clockTime(at)}`;
  if (offset === 1) return `tomorrow ${clockTime(at)}`;
  const d = new Date(at);
  const year = d.getFullYear() === new Date(now).getFullYear() ? '' : ` ${d.getFullYear()}`;
  return `${d.getDate()} ${MONTHS[d.getMonth()]}${year} ${clockTime(at)}`;
}

/**
 * How long ago UTC ms `at` was at `now`: `just now` (under a minute, or in the future: clock skew),
 * `5 min ago`, `3 h ago` (under a day), then the point in time ({@link absoluteTime}: `yesterday
 * 14:02`, `3 Dec 14:02`).
 */
export function timeAgo(at: number, now: number): string {
  const ago = now - at;
  if (ago < 60_000) return 'just now';
  if (ago < 3_600_000) return `${Math.floor(ago / 60_000)} min ago`;
  if (ago < DAY_MS) return `${Math.floor(ago / 3_600_000)} h ago`;
  return absoluteTime(at, now);
}

/** `Mon 7 Dec 2026 14:02:07`: UTC ms `at` in full, for a tooltip beside a shorter form. */
export function fullTime(at: number): string {
  const d = new Date(at);
  return `${DAYS[d.getDay()]} ${d.getDate()} ${MONTHS[d.getMonth()]} ${d.getFullYear()} ${clockTime(at)}:${pad(d.getSeconds())}`;
}
