// Reading what an agent's runtime sends or writes, defensively: capped SSE parsing, capped bodies, files confined to its home, thread titles.
import fs from 'node:fs';
import path from 'node:path';
import { createParser } from 'eventsource-parser';
import { readBodyUpTo } from '../../platform/http-body';

/** Largest thread file or runtime answer read, bytes (16 MiB): the agent writes them, the core only reads. */
const THREAD_MAX_BYTES = 16 * 1024 * 1024;

/**
 * Reads a file the agent wrote in its home, refusing what would leave it: the home is writable from
 * inside the container, so a symlink there could point at any host file. The file's real path must lie
 * under the home's real path, the file is opened without following a final symlink and must be the
 * one checked (same device and inode), a regular file of at most 16 MiB.
 * @throws Error (ENOENT for a missing file; a refusal message otherwise)
 */
export async function readInside(home: string, file: string): Promise<string> {
  const [base, real] = await Promise.all([fs.promises.realpath(home), fs.promises.realpath(file)]);
  if (!real.startsWith(base + path.sep)) throw new Error(`${file} leads outside the agent's home`);
  const h = await fs.promises.open(real, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
  try {
    const [st, checked] = await Promise.all([h.stat(), fs.promises.stat(real)]);
    if (!st.isFile() || st.ino !== checked.ino || st.dev !== checked.dev)
      throw new Error(`${file} is not a regular file`);
    if (st.size > THREAD_MAX_BYTES) throw new Error(`${file} is larger than ${THREAD_MAX_BYTES} bytes`);
    return await h.readFile('utf8');
  } finally {
    await h.close();
  }
}

/** Most thread files listed: the newest by modification time. */
export const THREADS_LISTED_MAX = 500;
/** Most names looked at in a threads folder (the agent can create millions of files there). */
export const THREADS_SCANNED_MAX = 10_000;
/** Bytes read in all to list threads (64 MiB): older files past it are left out. */
export const THREADS_READ_MAX_BYTES = 64 * 1024 * 1024;

/**
 * The thread files of a threads folder worth reading, newest first: of the first
 * {@link THREADS_SCANNED_MAX} names that `accept`, the {@link THREADS_LISTED_MAX} newest regular files
 * (by mtime, not following links) whose sizes add up to at most {@link THREADS_READ_MAX_BYTES}.
 * @returns absolute paths; `[]` when the folder cannot be read.
 */
export async function newestThreadFiles(dir: string, accept: (name: string) => boolean): Promise<string[]> {
  const names: string[] = [];
  try {
    const d = await fs.promises.opendir(dir);
    for await (const entry of d) {
      if (entry.isFile() && accept(entry.name)) names.push(entry.name);
      if (names.length >= THREADS_SCANNED_MAX) break; // leaving the loop closes the folder
    }
  } catch {
    return [];
  }
  const stats: { file: string; mtime: number; size: number }[] = [];
  for (let i = 0; i < names.length; i += 200) {
    const batch = names.slice(i, i + 200).map(async (n) => {
      const file = path.join(dir, n);
      const st = await fs.promises.lstat(file).catch(() => null);
      if (st?.isFile()) stats.push({ file, mtime: st.mtimeMs, size: st.size });
    });
    await Promise.all(batch);
  }
  stats.sort((a, b) => b.mtime - a.mtime);
  const out: string[] = [];
  let budget = THREADS_READ_MAX_BYTES;
  for (const s of stats) {
    if (out.length >= THREADS_LISTED_MAX) break;
    if (s.size > budget) continue;
    budget -= s.size;
    out.push(s.file);
  }
  return out;
}

/** The body of a runtime answer, at most 16 MiB. @throws Error when it is larger. */
export async function cappedText(res: Response): Promise<string> {
  const body = await readBodyUpTo(res, THREAD_MAX_BYTES);
  if (body.over) throw new Error('the runtime answered more than 16 MiB');
  return body.text;
}

/** A title from the first user message: one line, at most 80 characters. */
export function titleOf(messages: readonly Record<string, unknown>[]): string {
  const first = messages.find((m) => m.role === 'user' && typeof m.content === 'string');
  const text = typeof first?.content === 'string' ? first.content.replace(/\s+/g, ' ').trim() : '';
  if (!text) return '(no message)';
  return text.length > 80 ? `${text.slice(0, 79)}…` : text;
}

/** The most telling part of a fetch error: the cause's code (ECONNREFUSED …) or message. */
export function causeOf(err: unknown): string {
  const e = err as Error & { cause?: { code?: string; message?: string } };
  return e.cause?.code ?? e.cause?.message ?? e.message ?? String(err);
}

/** The runtime's error message of a refused request (`{error:{message}}`), else the start of its body (read: 64 KiB at most). */
export async function runtimeMessage(res: Response): Promise<string> {
  const text = await readBodyUpTo(res, 64 * 1024).then(
    (b) => b.text,
    () => '',
  );
  try {
    const m = (JSON.parse(text) as { error?: { message?: string } }).error?.message;
    if (typeof m === 'string' && m) return m.slice(0, 300);
  } catch {
    /* not JSON */
  }
  return text.slice(0, 300) || res.statusText;
}

/** Longest SSE line accepted from a runtime, characters (8 Mi): a `write_file` call of 1 MiB, escaped twice, fits. */
export const SSE_MAX_LINE_CHARS = 8 * 1024 * 1024;
/** Largest data of one SSE event (its `data:` lines joined), characters (8 Mi). */
export const SSE_MAX_EVENT_CHARS = 8 * 1024 * 1024;

/** A runtime's stream passed one of the relay's limits; `message` says which, for the user. */
export class SseLimitError extends Error {}

/**
 * A Server-Sent Events parser fed text chunks (eventsource-parser: WHATWG HTML "event stream
 * interpretation"; `:` comments are skipped without being held). Data that is not a JSON object is
 * passed as `{text}`; an event without a name is `message`; names are cut at 200 characters. What it
 * holds is bounded: the feeder throws {@link SseLimitError} as soon as a line passes `maxLine`
 * characters without ending, or an event's data (its unfinished line included) passes `maxEvent`
 * (defaults {@link SSE_MAX_LINE_CHARS}, {@link SSE_MAX_EVENT_CHARS}); the caller then drops the stream.
 */
export function sseParser(
  onEvent: (event: string, data: Record<string, unknown>) => void,
  limits: { maxLine?: number; maxEvent?: number } = {},
): (chunk: string) => void {
  const maxLine = limits.maxLine ?? SSE_MAX_LINE_CHARS;
  const maxEvent = limits.maxEvent ?? SSE_MAX_EVENT_CHARS;
  const tooLong = () => new SseLimitError(`a line longer than ${maxLine / 1024 / 1024} Mi characters`);
  const tooBig = () =>
    new SseLimitError(`an event with more than ${maxEvent / 1024 / 1024} Mi characters of data`);
  const parser = createParser({
    maxBufferSize: maxEvent,
    onError: (err) => {
      if (err.type === 'max-buffer-size-exceeded') throw tooBig();
    },
    onEvent: (e) => {
      if (e.data.length > maxEvent) throw tooBig();
      let parsed: unknown;
      try {
        parsed = JSON.parse(e.data);
      } catch {
        parsed = { text: e.data };
      }
      const obj = parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? parsed : { value: parsed };
      onEvent((e.event ?? '').slice(0, 200) || 'message', obj as Record<string, unknown>);
    },
  });
  /** Characters of the line not yet ended at the end of the last chunk. */
  let open = 0;
  return (chunk) => {
    const last = Math.max(chunk.lastIndexOf('\n'), chunk.lastIndexOf('\r'));
    if (last < 0) {
      open += chunk.length;
      if (open > maxLine) throw tooLong();
    } else {
      const first = chunk.search(/[\r\n]/);
      if (open + first > maxLine) throw tooLong();
      open = chunk.length - last - 1;
    }
    parser.feed(chunk);
  };
}
