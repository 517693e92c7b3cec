// Splits a child's output into lines, keeps the last N in a ring buffer, and forwards each line to a sink.

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;?]*[ -/]*[@-~]/g;

/** Removes ANSI colour and cursor sequences (LiteLLM colours its banner and warnings). */
export function stripAnsi(text: string): string {
  return text.replace(ANSI, '');
}

/** The last `capacity` items pushed, oldest first. */
export class RingBuffer<T> {
  private readonly items: T[] = [];

  constructor(readonly capacity: number) {}

  /** Adds an item, dropping the oldest when full. */
  push(item: T): void {
    this.items.push(item);
    if (this.items.length > this.capacity) this.items.shift();
  }

  /** A copy of the items, oldest first. */
  toArray(): T[] {
    return [...this.items];
  }

  /** Forgets every item. */
  clear(): void {
    this.items.length = 0;
  }
}

/** Key-like characters (base62, `-`, `_`, `.`) at the start of a text. */
const LEADING_TOKEN = /^[0-9A-Za-z_.-]*/;
/** How far past the length limit a line is extended so as not to split a key-like token. */
const TOKEN_SLACK = 512;

/**
 * Turns a stream of text chunks into complete lines (without the newline, ANSI removed, `\r` dropped).
 * A line longer than `maxLine` characters is cut there (a runaway child cannot grow memory). With
 * `scrub` (secret redaction), every line is scrubbed **before** it is cut, and a piece cut from an
 * overlong line ends after the key-like token that reaches the limit (up to 512 characters more, waiting
 * for the next chunk if need be): a secret is never split in two, so no prefix of it survives.
 */
export class LineSplitter {
  private partial = '';

  constructor(
    private readonly onLine: (line: string) => void,
    private readonly maxLine = 8192,
    private readonly scrub?: (line: string) => string,
  ) {}

  /** Feeds a chunk; calls `onLine` for each line it completes. */
  push(chunk: string): void {
    const text = this.partial + chunk;
    const parts = text.split('\n');
    this.partial = parts.pop() ?? '';
    while (this.partial.length > this.maxLine) {
      if (!this.scrub) {
        parts.push(this.partial.slice(0, this.maxLine));
        this.partial = '';
        break;
      }
      const tail = this.partial.slice(this.maxLine, this.maxLine + TOKEN_SLACK);
      const cut = this.maxLine + LEADING_TOKEN.exec(tail)![0].length;
      if (cut === this.partial.length && cut < this.maxLine + TOKEN_SLACK) break; // the token may go on
      parts.push(this.partial.slice(0, cut));
      this.partial = this.partial.slice(cut);
    }
    for (const p of parts) this.emit(p);
  }

  /** Emits what is left (the stream ended without a final newline). */
  end(): void {
    if (this.partial) this.emit(this.partial);
    this.partial = '';
  }

  private emit(raw: string): void {
    const clean = stripAnsi(raw.replace(/\r$/, ''));
    const line = (this.scrub ? this.scrub(clean) : clean).slice(0, this.maxLine);
    if (line.trim()) this.onLine(line);
  }
}
