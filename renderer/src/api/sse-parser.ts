// Incremental Server-Sent Events parser (WHATWG HTML §9.2 "event stream interpretation", by eventsource-parser), fed text chunks.
import { createParser } from 'eventsource-parser';
import type { EventSourceParser } from 'eventsource-parser';

/** One dispatched event: its name (`message` when the stream gave none), data, and last event id. */
export interface SseEvent {
  event: string;
  data: string;
  id: string;
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
  /** Last `retry:` value in ms, or `undefined` when the stream never sent one. */
  retryMs: number | undefined;

  constructor(private readonly onEvent: (event: SseEvent) => void) {
    this.parser = createParser({
      onId: (id) => (this.lastEventId = id),
      onRetry: (ms) => (this.retryMs = ms),
      onEvent: (e) => {
        if (e.id !== undefined) this.lastEventId = e.id;
        this.onEvent({ event: e.event || 'message', data: e.data, id: this.lastEventId });
      },
    });
  }

  /** Feeds the next decoded text chunk; dispatches every event it completes. */
  feed(chunk: string): void {
    this.parser.feed(chunk);
  }

  /** Drops any half-received line and event (call when the connection is replaced). */
  reset(): void {
    this.parser.reset();
  }
}
