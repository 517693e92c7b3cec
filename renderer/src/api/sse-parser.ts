// Incremental Server-Sent Events parser (WHATWG HTML §9.2 "event stream interpretation"), fed text chunks.

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
 * dropped; an event with no data is not dispatched, as the spec says.
 */
export class SseParser {
  private buffer = '';
  private started = false;
  private pendingCr = false;
  private eventName = '';
  private dataLines: string[] = [];
  private hasData = false;
  private lastEventId = '';
  /** Last `retry:` value in ms, or `undefined` when the stream never sent one. */
  retryMs: number | undefined;

  constructor(private readonly onEvent: (event: SseEvent) => void) {}

  /** Feeds the next decoded text chunk; dispatches every event it completes. */
  feed(chunk: string): void {
    let text = chunk;
    if (!this.started && text.length > 0) {
      this.started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    if (this.pendingCr && text.startsWith('\n')) text = text.slice(1);
    this.pendingCr = false;
    this.buffer += text;

    let start = 0;
    for (let i = 0; i < this.buffer.length; i++) {
      const ch = this.buffer.charCodeAt(i);
      if (ch !== 10 && ch !== 13) continue;
      this.processLine(this.buffer.slice(start, i));
      if (ch === 13) {
        if (i + 1 < this.buffer.length) {
          if (this.buffer.charCodeAt(i + 1) === 10) i++;
        } else {
          this.pendingCr = true;
        }
      }
      start = i + 1;
    }
    this.buffer = this.buffer.slice(start);
  }

  /** Drops any half-received line and event (call when the connection is replaced). */
  reset(): void {
    this.buffer = '';
    this.started = false;
    this.pendingCr = false;
    this.eventName = '';
    this.dataLines = [];
    this.hasData = false;
  }

  private processLine(line: string): void {
    if (line === '') {
      this.dispatch();
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'event':
        this.eventName = value;
        break;
      case 'data':
        this.dataLines.push(value);
        this.hasData = true;
        break;
      case 'id':
        if (!value.includes('\0')) this.lastEventId = value;
        break;
      case 'retry':
        if (/^\d+$/.test(value)) this.retryMs = Number(value);
        break;
      default:
        break;
    }
  }

  private dispatch(): void {
    const name = this.eventName === '' ? 'message' : this.eventName;
    const hasData = this.hasData;
    const data = this.dataLines.join('\n');
    this.eventName = '';
    this.dataLines = [];
    this.hasData = false;
    if (!hasData) return;
    this.onEvent({ event: name, data, id: this.lastEventId });
  }
}
