// Reading an HTTP answer's body from a peer that may be hostile: never more than a given number of bytes.

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
