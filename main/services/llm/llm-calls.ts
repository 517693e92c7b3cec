// One `llm_call` record per gateway request, and its sinks (a JSONL log, which the trace store tees).
import fs from 'node:fs';
import path from 'node:path';

/**
 * What the gateway records for every request, accepted or refused (fields follow the trace envelope
 * of contract/traces.ts, so the trace store keeps them as `llm_call` events).
 */
export interface LlmCall {
  v: 1;
  /** Random UUID. */
  id: string;
  kind: 'llm_call';
  /** UTC ms when the request arrived. */
  created_at: number;
  /** Owner of the virtual key (the agent id), `null` when the key was missing or unknown. */
  owner: string | null;
  /** Virtual key id (`vk_…`), `null` when unknown. */
  key_id: string | null;
  /** Provider id (the part of `model` before the first `/`), `null` when there is no model. */
  provider: string | null;
  /**
   * The model that answered (`<provider>/<model>`): LiteLLM's `x-litellm-model-group` when it answered,
   * else the one asked for; `null` for listings and refused requests without one.
   */
  model: string | null;
  /** The model asked for, when LiteLLM answered with another one (set only then). */
  requested_model?: string;
  /** True when the tokens are an estimate (the answer did not complete; see estimateUsage). */
  usage_estimated?: boolean;
  /** Request path, e.g. `/v1/chat/completions`. */
  path: string;
  stream: boolean;
  /** HTTP status sent to the caller; 499 when the caller went away first. */
  status: number;
  /** Wall time from arrival to the last byte sent, ms. */
  duration_ms: number;
  /** Streams: time from arrival to the first body byte from LiteLLM, ms; `null` otherwise. */
  ttft_ms: number | null;
  tokens_in: number | null;
  tokens_out: number | null;
  /** USD; `null` when unknown (model not in LiteLLM's price map, or no usage). */
  cost_usd: number | null;
  /** Why it failed, one line (never a key); `null` on success. */
  error: string | null;
}

/** Where llm_call records go. `record` must not throw and must not block the request path. */
export interface LlmCallSink {
  record(call: LlmCall): void;
  /** Writes out anything pending. */
  flush(): Promise<void>;
  /** Writes out anything pending and releases the file (after the gateway stopped). */
  close?(): Promise<void>;
}

/** Longest time a record waits before it is written, ms. */
export const LLM_CALL_WRITE_MS = 100;
/** Pending bytes that start a write at once. */
const WRITE_AT_BYTES = 256 * 1024;

/**
 * Appends records as JSON lines to a file (mode 0600) kept open, batching writes: a record is written
 * within {@link LLM_CALL_WRITE_MS} (or at once when 256 KiB are pending), so a busy gateway costs one
 * write per batch rather than one per call (measured in bench/gateway.mjs). `flush` writes at once.
 */
export class JsonlLlmCallSink implements LlmCallSink {
  private pending: string[] = [];
  private pendingBytes = 0;
  private writing: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | null = null;
  private handle: Promise<fs.promises.FileHandle> | null = null;

  constructor(
    private readonly file: string,
    private readonly onError: (err: unknown) => void = () => {},
  ) {
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  }

  /** Queues one record; written within {@link LLM_CALL_WRITE_MS}. */
  record(call: LlmCall): void {
    const line = JSON.stringify(call) + '\n';
    this.pending.push(line);
    this.pendingBytes += line.length;
    if (this.pendingBytes >= WRITE_AT_BYTES) void this.flush();
    else
      this.timer ??= setTimeout(() => {
        this.timer = null;
        void this.flush();
      }, LLM_CALL_WRITE_MS);
  }

  /** Writes pending records; resolves when they are on disk (page cache). Write errors go to `onError`. */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const batch = this.pending.join('');
    this.pending = [];
    this.pendingBytes = 0;
    if (batch)
      this.writing = this.writing
        .then(async () => {
          this.handle ??= fs.promises.open(this.file, 'a', 0o600);
          await (await this.handle).appendFile(batch);
        })
        .catch((err: unknown) => {
          this.handle = null; // reopened at the next write
          this.onError(err);
        });
    return this.writing;
  }

  async close(): Promise<void> {
    await this.flush();
    const h = this.handle;
    this.handle = null;
    await h?.then((fh) => fh.close()).catch(() => {});
  }
}

/** A sink that keeps records in memory (tests, benchmarks). */
export class MemoryLlmCallSink implements LlmCallSink {
  readonly calls: LlmCall[] = [];
  record(call: LlmCall): void {
    this.calls.push(call);
  }
  flush(): Promise<void> {
    return Promise.resolve();
  }
}
