// followEvents against a local SSE server: events delivered, an unreadable event skipped, an endless frame refused.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { EVENT_FRAME_MAX_CHARS } from '../../contract/events';
import { followEvents } from './http-client';

let server: http.Server | null = null;

/** A server whose `/api/events` runs `write` on the response; resolves to its endpoint. */
async function sseServer(write: (res: http.ServerResponse) => void): Promise<{ url: string; token: string }> {
  server = http.createServer((req, res) => {
    if (req.url !== '/api/events' || req.headers.authorization !== 'Bearer tok') {
      res.writeHead(401).end();
      return;
    }
    res.writeHead(200, { 'Content-Type': 'text/event-stream' });
    write(res);
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, token: 'tok' };
}

afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r));
  server = null;
});

describe('followEvents', () => {
  it('delivers each event and skips one whose data is not JSON', async () => {
    const endpoint = await sseServer((res) =>
      res.end('event: a\ndata: {"n":1}\n\nevent: b\ndata: {not json\n\n: ping\n\nevent: c\ndata: 3\n\n'),
    );
    const got: [string, unknown][] = [];
    await followEvents(endpoint, (name, payload) => got.push([name, payload]), new AbortController().signal);
    expect(got).toEqual([
      ['a', { n: 1 }],
      ['c', 3],
    ]);
  });

  it('closes a stream that sends more than EVENT_FRAME_MAX_CHARS without ending an event', async () => {
    let written = 0;
    let closed = false;
    const endpoint = await sseServer((res) => {
      res.on('close', () => (closed = true));
      const slab = 'x'.repeat(1024 * 1024);
      res.write('event: a\ndata: ');
      const more = (): void => {
        // Endless: only the client's limit stops it (bounded here at twice the limit so a failing test ends).
        while (!closed && written < 2 * EVENT_FRAME_MAX_CHARS) {
          written += slab.length;
          if (!res.write(slab)) return void res.once('drain', more);
        }
        res.end();
      };
      more();
    });
    const ended = await followEvents(endpoint, () => undefined, new AbortController().signal).then(
      () => 'returned',
      (e: Error) => e.message,
    );
    expect(ended).toMatch(
      /sent more than 16777216 characters without ending an event: the stream was closed/,
    );
    await expect.poll(() => closed, { timeout: 10_000 }).toBe(true);
    expect(written).toBeLessThan(2 * EVENT_FRAME_MAX_CHARS);
  });
});
