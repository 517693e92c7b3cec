// Unit tests of the SSE parser: framing, comments, line endings and chunk boundaries.
import { describe, expect, it } from 'vitest';
import { SseFrameTooLongError, SseParser } from './sse-parser';
import type { SseEvent } from './sse-parser';

function parseAll(chunks: string[]): { events: SseEvent[]; parser: SseParser } {
  const events: SseEvent[] = [];
  const parser = new SseParser((e) => events.push(e));
  for (const c of chunks) parser.feed(c);
  return { events, parser };
}

const STREAM =
  ': ping\n\n' +
  'event: health.changed\ndata: {"components":[],"checked_at":1}\n\n' +
  ': ping\n' +
  'event: settings.changed\ndata: {"theme":\ndata: "dark"}\n\n';

describe('SseParser', () => {
  it('parses named events and ignores ping comments', () => {
    const { events } = parseAll([STREAM]);
    expect(events).toEqual([
      { event: 'health.changed', data: '{"components":[],"checked_at":1}', id: '' },
      { event: 'settings.changed', data: '{"theme":\n"dark"}', id: '' },
    ]);
  });

  it('gives the same events whatever the chunk boundaries', () => {
    const whole = parseAll([STREAM]).events;
    for (let size = 1; size <= 7; size++) {
      const chunks: string[] = [];
      for (let i = 0; i < STREAM.length; i += size) chunks.push(STREAM.slice(i, i + size));
      expect(parseAll(chunks).events).toEqual(whole);
    }
  });

  it('accepts CRLF and CR line endings, including a CRLF split across chunks', () => {
    expect(parseAll(['event: a\r\ndata: 1\r\n\r\n']).events).toEqual([{ event: 'a', data: '1', id: '' }]);
    expect(parseAll(['event: a\rdata: 1\r\r']).events).toEqual([{ event: 'a', data: '1', id: '' }]);
    const split = parseAll(['event: a\r', '\ndata: 1\r', '\n\r', '\n']).events;
    expect(split).toEqual([{ event: 'a', data: '1', id: '' }]);
  });

  it('defaults the event name to "message" and strips only one leading space', () => {
    expect(parseAll(['data:  two spaces\n\n']).events).toEqual([
      { event: 'message', data: ' two spaces', id: '' },
    ]);
    expect(parseAll(['data:nospace\n\n']).events).toEqual([{ event: 'message', data: 'nospace', id: '' }]);
  });

  it('does not dispatch an event without data, nor a half-received one', () => {
    expect(parseAll(['event: empty\n\n']).events).toEqual([]);
    expect(parseAll(['event: a\ndata: 1\n']).events).toEqual([]);
  });

  it('keeps the last event id and the retry hint, and drops a leading BOM', () => {
    const { events, parser } = parseAll(['\uFEFFid: 7\nretry: 2500\ndata: x\n\ndata: y\n\n']);
    expect(events).toEqual([
      { event: 'message', data: 'x', id: '7' },
      { event: 'message', data: 'y', id: '7' },
    ]);
    expect(parser.retryMs).toBe(2500);
  });

  it('treats a field line without a colon as a field with an empty value', () => {
    expect(parseAll(['data\n\n']).events).toEqual([{ event: 'message', data: '', id: '' }]);
  });

  it('forgets a partial event on reset', () => {
    const events: SseEvent[] = [];
    const parser = new SseParser((e) => events.push(e));
    parser.feed('event: a\ndata: 1\n');
    parser.reset();
    parser.feed('data: 2\n\n');
    expect(events).toEqual([{ event: 'message', data: '2', id: '' }]);
  });

  it('refuses to buffer a frame longer than its limit, then parses again after reset', () => {
    const events: SseEvent[] = [];
    const parser = new SseParser((e) => events.push(e), 100);
    // Many small events and pings add up past the limit without any one frame reaching it.
    for (let i = 0; i < 20; i++) parser.feed(`: ping\n\nevent: a\ndata: ${i}\n\n`);
    expect(events).toHaveLength(20);
    // One unfinished line past it, even when split over chunks: refused, the half frame dropped.
    parser.feed(`data: ${'x'.repeat(60)}`);
    expect(() => parser.feed('x'.repeat(60))).toThrow(SseFrameTooLongError);
    parser.reset();
    parser.feed('event: b\ndata: ok\n\n');
    expect(events.at(-1)).toEqual({ event: 'b', data: 'ok', id: '' });
    // Many data lines of one event that never ends count too.
    expect(() => {
      for (let i = 0; i < 20; i++) parser.feed(`data: ${'y'.repeat(10)}\n`);
    }).toThrow(/more than 100 characters without ending an event/);
  });
});
