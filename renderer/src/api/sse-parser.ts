// Incremental Server-Sent Events parser (WHATWG HTML §9.2 "event stream interpretation", by eventsource-parser), fed text chunks.
import { createParser } from 'eventsource-parser';
import type { EventSourceParser } from 'eventsource-parser';
import { EVENT_FRAME_MAX_CHARS } from '../../../contract/events';

/** One dispatched event: its name (`message` when the stream gave none), data, and last event id. */
export interface SseEvent {
  event: string;
  data: string;
  id: string;
}

/** The stream sent more than the longest frame a client buffers without ending one (see {@link SseParser.feed}). */
export class SseFrameTooLongError extends Error {
  constructor(max: number) {
    super(`The event stream sent more than ${max} characters without ending an event`);
    this.name = 'SseFrameTooLongError';
  }
}

/**
 * Parses an SSE stream that arrives in arbitrary text chunks (split anywhere, even inside a
 * `\r\n`). Lines end with CRLF, LF or CR; `:` lines are comments (e.g. `: ping`) and are ignored;
 * a blank line dispatches the buffered event; `data` lines are joined with `\n`; a leading BOM is
 * dropped; an event with no data is not dispatched, as the spec says. The last event id is kept
 * across events until the stream sets another.
 */
export class SseParser {
  private readonly parser: EventSourceParser;
  private lastEventId = '';
  private overflowed = false;
  /** Last `retry:` value in ms, or `undefined` when the stream never sent one. */
  retryMs: number | undefined;

  /** @param maxFrameChars most characters buffered for one unfinished line and event (default {@link EVENT_FRAME_MAX_CHARS}). */
  constructor(
    private readonly onEvent: (event: SseEvent) => void,
    private readonly maxFrameChars = EVENT_FRAME_MAX_CHARS,
  ) {
    this.parser = createParser({
      maxBufferSize: maxFrameChars,
      onError: (e) => {
        if (e.type === 'max-buffer-size-exceeded') this.overflowed = true;
      },
      onId: (id) => (this.lastEventId = id),
      onRetry: (ms) => (this.retryMs = ms),
      onEvent: (e) => {
        if (e.id !== undefined) this.lastEventId = e.id;
        this.onEvent({ event: e.event || 'message', data: e.data, id: this.lastEventId });
      },
    });
  }

  /**
   * Feeds the next decoded text chunk; dispatches every event it completes.
   * @throws SseFrameTooLongError when the unfinished line and event would buffer more than
   *   `maxFrameChars` characters (eventsource-parser's `maxBufferSize`; the half-received frame is
   *   dropped and the parser reset: the caller closes the connection).
   */
  feed(chunk: string): void {
    try {
      this.parser.feed(chunk);
    } catch (err) {
      if (!this.overflowed) throw err;
    }
    if (this.overflowed) {
      this.reset();
      throw new SseFrameTooLongError(this.maxFrameChars);
    }
  }

  /** Drops any half-received line and event (call when the connection is replaced). */
  reset(): void {
    this.overflowed = false;
    this.parser.reset();
  }
}
