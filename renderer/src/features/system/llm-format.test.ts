// Unit tests of the human forms shown by the LiteLLM/gateway panel.
import { describe, expect, it } from 'vitest';
import { formatDuration, formatHttpStatus, formatTokens, plural } from './llm-format';

describe('formatDuration', () => {
  it('says durations with at most two units', () => {
    expect(formatDuration(0)).toBe('0 s');
    expect(formatDuration(999)).toBe('0 s');
    expect(formatDuration(45_400)).toBe('45 s');
    expect(formatDuration(12 * 60_000 + 5_000)).toBe('12 min 5 s');
    expect(formatDuration(12 * 60_000)).toBe('12 min');
    expect(formatDuration(3 * 3_600_000 + 12 * 60_000 + 59_000)).toBe('3 h 12 min');
    expect(formatDuration(2 * 86_400_000 + 4 * 3_600_000)).toBe('2 d 4 h');
    expect(formatDuration(86_400_000 + 30_000)).toBe('1 d');
  });

  it('reads negative and non-finite input as zero', () => {
    expect(formatDuration(-5_000)).toBe('0 s');
    expect(formatDuration(Number.NaN)).toBe('0 s');
  });
});

describe('panel figures', () => {
  it('pluralises, and describes tokens and HTTP statuses', () => {
    expect(plural(1, 'model')).toBe('1 model');
    expect(plural(3, 'model')).toBe('3 models');
    expect(plural(2, 'crash', 'crashes')).toBe('2 crashes');
    expect(formatTokens(12, 1)).toBe('12 in · 1 out');
    expect(formatTokens(null, null)).toBe('not reported');
    expect(formatTokens(7, null)).toBe('7 in · ? out');
    expect(formatHttpStatus(401)).toBe('HTTP 401');
    expect(formatHttpStatus(null)).toBe('LiteLLM not reached');
  });
});
