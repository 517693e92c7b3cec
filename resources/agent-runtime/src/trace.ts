// Posts tool_call / tool_result / error events to the gateway's trace endpoint in the background, with retries.
import { randomUUID } from 'node:crypto';
import { errorMessageOf } from './llm';
import { logError, messageOf } from './log';

/** One trace event as `POST {baseUrl}/agentdesk/trace` takes it (PROTOCOL.md "Trace"). Times are UTC ms. */
export interface TraceEvent {
  /** UUID v4. */
  id: string;
  /** The turn id: every event of one turn shares it. */
  trace_id: string;
  /** A `tool_result` names its `tool_call`'s id; otherwise `null`. */
  parent_id: string | null;
  created_at: number;
  kind: 'tool_call' | 'tool_result' | 'error';
  thread_id: string | null;
  /** `call_id` is the model's tool call id (`call_…`), as in the SSE events. */
  payload:
    | { name: string; arguments: string; call_id: string }
    | { name: string; output: string; exit_code: number; size: number; truncated: boolean; call_id: string }
    | { message: string; stack?: string };
}

/** Settings of {@link TraceClient}. */
export interface TraceClientOptions {
  baseUrl: string;
  apiKey: string;
  /** Delays before retries 1, 2, 3, ms. Default 250, 1000, 3000. */
  backoffMs?: number[];
  /** Deadline of one POST, ms. Default 5000. */
  requestTimeoutMs?: number;
}

/** Events sent in one POST at most (the gateway takes 1–256). */
const BATCH = 256;
/** Serialised events per POST at most, bytes (the gateway takes bodies ≤ 1 MiB; one event is ≤ ~400 KiB). */
const BATCH_BYTES = 768 * 1024;
/** Events kept while the gateway is unreachable; older ones are dropped (and logged) beyond this. */
const MAX_QUEUED = 10_000;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * A background sender of trace events. {@link send} only queues, so a turn never waits for the gateway;
 * one loop posts the queue in batches with `Authorization: Bearer <virtual key>`. A failed POST (network
 * error, 408, 429 or 5xx) is retried 3 times with backoff; a final failure or any other 4xx drops the
 * batch with one stderr line giving the reason. The agent is never in the body: the gateway takes it
 * from the key.
 */
export class TraceClient {
  private readonly queue: TraceEvent[] = [];
  private running: Promise<void> | null = null;
  private readonly backoff: number[];
  private readonly timeoutMs: number;

  constructor(private readonly opts: TraceClientOptions) {
    this.backoff = opts.backoffMs ?? [250, 1000, 3000];
    this.timeoutMs = opts.requestTimeoutMs ?? 5000;
  }

  /** A new event (fresh UUID, `created_at` = now); queues it and returns it (its `id` is a parent id). */
  send(init: Omit<TraceEvent, 'id' | 'created_at'>): TraceEvent {
    const event: TraceEvent = { id: randomUUID(), created_at: Date.now(), ...init };
    this.queue.push(event);
    if (this.queue.length > MAX_QUEUED) {
      const dropped = this.queue.splice(0, this.queue.length - MAX_QUEUED);
      logError('trace.dropped', { events: dropped.length, reason: `more than ${MAX_QUEUED} events queued` });
    }
    this.running ??= this.drain().finally(() => {
      this.running = null;
    });
    return event;
  }

  /** Waits until the queue is empty or `deadlineMs` passed (shutdown). Never throws. */
  async flush(deadlineMs = 2000): Promise<void> {
    if (!this.running) return;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((r) => (timer = setTimeout(r, deadlineMs)));
    await Promise.race([this.running, deadline]);
    clearTimeout(timer);
  }

  private async drain(): Promise<void> {
    while (this.queue.length) {
      let n = 0;
      let bytes = 0;
      while (n < this.queue.length && n < BATCH) {
        bytes += Buffer.byteLength(JSON.stringify(this.queue[n]));
        if (n > 0 && bytes > BATCH_BYTES) break;
        n++;
      }
      await this.post(this.queue.splice(0, n));
    }
  }

  private async post(batch: TraceEvent[]): Promise<void> {
    const url = `${this.opts.baseUrl}/agentdesk/trace`;
    let reason = '';
    for (let attempt = 0; attempt <= this.backoff.length; attempt++) {
      if (attempt > 0) await sleep(this.backoff[attempt - 1]!);
      let retry = true;
      try {
        const res = await fetch(url, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${this.opts.apiKey}` },
          body: JSON.stringify({ events: batch }),
          signal: AbortSignal.timeout(this.timeoutMs),
        });
        if (res.ok) {
          await res.body?.cancel();
          return;
        }
        reason = `HTTP ${res.status}: ${await errorMessageOf(res)}`;
        retry = res.status >= 500 || res.status === 408 || res.status === 429;
      } catch (err) {
        reason = messageOf(err);
      }
      if (!retry) break;
    }
    logError('trace.failed', {
      url,
      events: batch.length,
      kinds: [...new Set(batch.map((e) => e.kind))].join(','),
      trace_id: batch[0]?.trace_id,
      reason,
    });
  }
}
