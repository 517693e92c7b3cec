// Reading an HTTP body (an answer's, or a request's) from a peer that may be hostile: never more than a given number of bytes.
import type http from 'node:http';

/**
 * Reads at most `limit` bytes of a fetch response body, as UTF-8 text. A body announcing more with
 * Content-Length is not read at all; a longer stream is cancelled as soon as it passes the limit, so the
 * peer cannot make this process hold more than `limit` bytes of it (plus one network chunk).
 * @param limit bytes
 * @returns the text read (the first `limit` bytes when `over`) and whether the body was longer.
 * @throws what reading the body throws (a reset connection, the request's abort signal).
 */
export async function readBodyUpTo(res: Response, limit: number): Promise<{ text: string; over: boolean }> {
  if (Number(res.headers.get('content-length') ?? 0) > limit) {
    await res.body?.cancel().catch(() => {});
    return { text: '', over: true };
  }
  if (!res.body) return { text: '', over: false };
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    if (size + value.byteLength > limit) {
      chunks.push(value.subarray(0, limit - size));
      await reader.cancel().catch(() => {});
      return { text: Buffer.concat(chunks).toString('utf8'), over: true };
    }
    chunks.push(value);
    size += value.byteLength;
  }
  return { text: Buffer.concat(chunks, size).toString('utf8'), over: false };
}

/**
 * Reads a request body of at most `limit` bytes.
 * @param limit bytes
 * @returns the body, or `null` as soon as it exceeds `limit` (the rest is read and dropped).
 * @throws the request's stream error (a reset connection).
 */
export function readRequestUpTo(req: http.IncomingMessage, limit: number): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (c: Buffer) => {
      if (over) return;
      size += c.length;
      if (size > limit) {
        over = true;
        chunks.length = 0;
        resolve(null);
      } else chunks.push(c);
    });
    req.on('end', () => !over && resolve(Buffer.concat(chunks, size)));
    req.on('error', reject);
  });
}
