// Human forms of the numbers the LiteLLM/gateway panel shows: durations, counts and test figures.

/**
 * A duration in ms as people say it, two units at most: "0 s", "45 s", "12 min 5 s", "3 h 12 min",
 * "2 d 4 h". Rounds down to whole seconds; negative or non-finite input reads as "0 s".
 */
export function formatDuration(ms: number): string {
  const total = Number.isFinite(ms) && ms > 0 ? Math.floor(ms / 1000) : 0;
  const d = Math.floor(total / 86_400);
  const h = Math.floor((total % 86_400) / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const pair = (a: number, ua: string, b: number, ub: string): string =>
    b > 0 ? `${a} ${ua} ${b} ${ub}` : `${a} ${ua}`;
  if (d > 0) return pair(d, 'd', h, 'h');
  if (h > 0) return pair(h, 'h', m, 'min');
  if (m > 0) return pair(m, 'min', s, 's');
  return `${s} s`;
}

/** "1 model", "3 models": `count` with the noun in singular or plural (`plural` defaults to noun + "s"). */
export function plural(count: number, noun: string, pluralNoun = `${noun}s`): string {
  return `${count} ${count === 1 ? noun : pluralNoun}`;
}

/** Tokens of a test as one line: "12 in · 1 out"; "not reported" when LiteLLM gave no usage. */
export function formatTokens(tokensIn: number | null, tokensOut: number | null): string {
  if (tokensIn === null && tokensOut === null) return 'not reported';
  return `${tokensIn ?? '?'} in · ${tokensOut ?? '?'} out`;
}

/** The HTTP status of a failed test as a user reads it: "HTTP 401", or that LiteLLM was not reached. */
export function formatHttpStatus(status: number | null): string {
  return status === null ? 'LiteLLM not reached' : `HTTP ${status}`;
}
