// Test helper: one HTTP/1.1 request written byte for byte on a TCP socket (no client normalises the target).
import net from 'node:net';

/** What came back on the socket. */
export interface RawAnswer {
  /** Status code of the first response line; 0 when none arrived. */
  status: number;
  /** Everything received (head and body), as latin1 text. */
  text: string;
  /** True when the server closed the connection before the deadline. */
  closed: boolean;
}

/**
 * Sends `head` (request line and headers, CRLF-separated, without the blank line) and `body` to
 * 127.0.0.1:`port` with `Connection: close`, and reads until the server closes the connection or
 * `deadlineMs` passes (then the socket is destroyed: an event stream never closes by itself).
 * `whileOpen` runs once the first bytes arrived and the socket is still open (e.g. to cause an event).
 * @returns what arrived; rejects only when the connection fails before any byte.
 */
export function rawRequest(
  port: number,
  head: string,
  body = '',
  opts: {
    deadlineMs?: number;
    whileOpen?: () => Promise<unknown>;
    /** Stops reading as soon as the text received so far satisfies it (e.g. an event arrived). */
    doneWhen?: (text: string) => boolean;
  } = {},
): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let poked = false;
    let done = false;
    const finish = (closed: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      const text = Buffer.concat(chunks).toString('latin1');
      resolve({ status: Number(/^HTTP\/1\.[01] (\d{3})/.exec(text)?.[1] ?? 0), text, closed });
    };
    const timer = setTimeout(() => finish(false), opts.deadlineMs ?? 5000);
    socket.on('data', (c: Buffer) => {
      chunks.push(c);
      if (opts.doneWhen?.(Buffer.concat(chunks).toString('latin1'))) return finish(false);
      if (!poked && opts.whileOpen) {
        poked = true;
        opts.whileOpen().catch(reject);
      }
    });
    socket.on('close', () => finish(true));
    socket.on('error', (err) => (chunks.length ? finish(true) : reject(err)));
    const length = Buffer.byteLength(body);
    socket.write(
      `${head}\r\nConnection: close\r\n${length ? `Content-Length: ${length}\r\n` : ''}\r\n${body}`,
    );
  });
}
