// Where the gateway hands the tool events of runtimes: an interface, and a durable JSONL file until the trace store exists.
import fs from 'node:fs';
import path from 'node:path';
import type { AgentTraceEvent } from './agent-trace';

/** Keeps the tool events posted by runtimes. */
export interface AgentTraceSink {
  /**
   * Stores `events` of agent `owner` (the owner of the virtual key that posted them, never a field of
   * the body). Resolves only once they are durable; the gateway answers 200 after that.
   * @throws Error when they could not be stored (the gateway answers 503 and the runtime retries).
   */
  append(owner: string, events: readonly AgentTraceEvent[]): Promise<void>;
  /** Waits for pending appends and releases the file. */
  close?(): Promise<void>;
}

interface Pending {
  data: string;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * Appends one JSON line per event, `{v: 1, agent_id, ...event}`, to one file (mode 0600) and
 * fdatasyncs it before resolving. Appends that arrive while a write is in progress are written and
 * synced together (group commit), so a burst costs one fsync. Replaced by the trace store later.
 */
export class JsonlAgentTraceSink implements AgentTraceSink {
  private handle: fs.promises.FileHandle | null = null;
  private queue: Pending[] = [];
  private draining: Promise<void> | null = null;

  constructor(readonly file: string) {}

  append(owner: string, events: readonly AgentTraceEvent[]): Promise<void> {
    let data = '';
    for (const e of events) data += JSON.stringify({ v: 1, agent_id: owner, ...e }) + '\n';
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ data, resolve, reject });
      this.draining ??= this.drain();
    });
  }

  async close(): Promise<void> {
    await this.draining;
    const h = this.handle;
    this.handle = null;
    await h?.close();
  }

  private async drain(): Promise<void> {
    while (this.queue.length) {
      const batch = this.queue.splice(0);
      try {
        const h = await this.open();
        await h.appendFile(batch.map((p) => p.data).join(''));
        await h.datasync();
        for (const p of batch) p.resolve();
      } catch (err) {
        for (const p of batch) p.reject(err);
        const h = this.handle;
        this.handle = null; // reopen at the next append (the file may have been moved or its disk remounted)
        await h?.close().catch(() => {});
      }
    }
    this.draining = null;
  }

  private async open(): Promise<fs.promises.FileHandle> {
    if (this.handle) return this.handle;
    const dir = path.dirname(this.file);
    await fs.promises.mkdir(dir, { recursive: true, mode: 0o700 });
    const created = !fs.existsSync(this.file);
    const h = await fs.promises.open(this.file, 'a', 0o600);
    if (created) {
      // A new file is durable only once its directory entry is (fsync(2), "NOTES").
      const d = await fs.promises.open(dir, 'r');
      await d.sync().finally(() => d.close());
    }
    this.handle = h;
    return h;
  }
}
