// Test helper for key-leak scans: an HTTP client of a served core that keeps the text of every answer and SSE event.
import { createClient } from '../contract/client';
import type { Client, Transport } from '../contract/client';
import { httpTransport } from '../main/cli/http-client';
import type { Served } from '../main/cli/serve';

/** A client whose every answer, and every chunk of `GET /api/events`, is appended to `seen`. */
export interface RecordedClient {
  client: Client;
  /** Answers as JSON text and SSE chunks as received, in order. */
  seen: string[];
  /** Closes the event stream. */
  stop: () => void;
}

/**
 * Connects to `served` over HTTP with its token and starts reading `/api/events`.
 * @param seen the array to append to (pass one to keep recording across core restarts).
 */
export async function recordedClient(served: Served, seen: string[] = []): Promise<RecordedClient> {
  const inner = httpTransport({ url: served.http.url, token: served.token });
  const recording: Transport = {
    async invoke(channel, input) {
      const r = await inner.invoke(channel, input);
      seen.push(JSON.stringify(r));
      return r;
    },
    on: (event, listener) => inner.on(event, listener),
  };
  const ac = new AbortController();
  const res = await fetch(`${served.http.url}/api/events`, {
    headers: { Authorization: `Bearer ${served.token}` },
    signal: ac.signal,
  });
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  void (async () => {
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        seen.push(new TextDecoder().decode(value));
      }
    } catch {
      /* aborted */
    }
  })();
  return { client: createClient(recording), seen, stop: () => ac.abort() };
}
