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

/** A run of key-like characters at the end of a text (base62, `-`, `_`, `.`), up to 512 of them. */
const TRAILING_TOKEN = /[0-9A-Za-z_.-]{1,512}$/;

/**
 * Turns a stream of text chunks into complete lines (without the newline, ANSI removed, `\r` dropped).
 * A line longer than `maxLine` characters is cut there (a runaway child cannot grow memory). With
 * `scrub` (secret redaction), every line is scrubbed **before** it is cut, and a line cut for its length
 * is cut before a key-like token that reaches the cut (the token starts the next piece): a secret is
 * never split in two, so no prefix of it survives the redaction.
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
      let cut = this.maxLine;
      const token = this.scrub ? TRAILING_TOKEN.exec(this.partial.slice(0, cut)) : null;
      if (token && token.index > 0) cut = token.index;
      parts.push(this.partial.slice(0, cut));
      this.partial = this.scrub ? this.partial.slice(cut) : '';
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
