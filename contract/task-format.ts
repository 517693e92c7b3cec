// How a task's interval is written, shared by the core's trigger descriptions and the Tasks page.

/** "every 2 h", "every 15 min" or "every 45 s": `every_s` seconds in the largest whole unit. */
export function describeInterval(every_s: number): string {
  return every_s % 3600 === 0
    ? `every ${every_s / 3600} h`
    : every_s % 60 === 0
      ? `every ${every_s / 60} min`
      : `every ${every_s} s`;
}
