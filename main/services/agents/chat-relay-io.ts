// Reading what an agent's runtime sends or writes, defensively: SSE parsing, capped bodies, files confined to its home, thread titles.
import fs from 'node:fs';
import path from 'node:path';

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

/** The body of a runtime answer, at most 16 MiB. @throws Error when it is larger. */
export async function cappedText(res: Response): Promise<string> {
  if (Number(res.headers.get('content-length') ?? 0) > THREAD_MAX_BYTES)
    throw new Error('the runtime answered more than 16 MiB');
  if (!res.body) return '';
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let text = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return text;
    text += value;
    if (text.length > THREAD_MAX_BYTES) {
      await reader.cancel();
      throw new Error('the runtime answered more than 16 MiB');
    }
  }
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

/** The runtime's error message of a refused request (`{error:{message}}`), else the start of its body. */
export async function runtimeMessage(res: Response): Promise<string> {
  const text = await res.text().catch(() => '');
  try {
    const m = (JSON.parse(text) as { error?: { message?: string } }).error?.message;
    if (m) return m;
  } catch {
    /* not JSON */
  }
  return text.slice(0, 300) || res.statusText;
}

/**
 * A Server-Sent Events parser fed text chunks (WHATWG HTML "event stream interpretation", the subset the
 * runtime writes: `event:`/`data:` lines, `:` comments, blank line = dispatch). Data that is not a JSON
 * object is passed as `{text}`.
 */
export function sseParser(
  onEvent: (event: string, data: Record<string, unknown>) => void,
): (chunk: string) => void {
  let buffer = '';
  let name = '';
  let data: string[] = [];
  return (chunk) => {
    buffer += chunk;
    let nl: number;
    while ((nl = buffer.search(/\r\n|\n|\r/)) >= 0) {
      if (nl === buffer.length - 1 && buffer.endsWith('\r')) break; // maybe the first half of a CRLF
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + (buffer.startsWith('\r\n', nl) ? 2 : 1));
      if (line === '') {
        if (data.length) {
          const raw = data.join('\n');
          let parsed: unknown;
          try {
            parsed = JSON.parse(raw);
          } catch {
            parsed = { text: raw };
          }
          const obj =
            parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? parsed : { value: parsed };
          onEvent(name || 'message', obj as Record<string, unknown>);
        }
        name = '';
        data = [];
      } else if (line.startsWith(':')) {
        continue;
      } else {
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'event') name = value;
        else if (field === 'data') data.push(value);
      }
    }
  };
}
