// Per-container transcript of the Incus console log, because reading it while a container runs consumes it.
import { LineSplitter, RingBuffer } from '../../../platform/output-lines';
import type { IncusClient } from './incus-client';

/** Lines kept per container (the tail callers can ask for). */
export const TRANSCRIPT_LINES = 5000;

interface Transcript {
  lines: RingBuffer<string>;
  splitter: LineSplitter;
  /** `last_used_at` of the run whose stopped-console file was already read (it is re-served unchanged). */
  stoppedRun: string | null;
  listeners: Set<(line: string) => void>;
  /** Serialises reads: two concurrent reads of a consuming log would reorder lines. */
  chain: Promise<void>;
}

/**
 * The output of a container's init (its /dev/console) as lines, kept in memory per container.
 *
 * Facts (Incus 6.0.4, measured; lxc/incus#3467): `GET /1.0/instances/<name>/console?type=log` returns
 * the console ring buffer *since the last read* while the container runs (LXC moves its read pointer),
 * so every read must be kept; once stopped it returns the on-disk copy written at stop (the unread rest)
 * every time, so that is appended once per run (keyed by the run's `last_used_at`). Output is CRLF.
 * Consequences: lines read before this process started, or drained by another client
 * (`incus console --show-log`), are not seen here.
 */
export class ConsoleTranscripts {
  private readonly byName = new Map<string, Transcript>();

  constructor(private readonly client: IncusClient) {}

  /**
   * Reads what is new on the console of `name` into its transcript and hands new lines to followers.
   * @param running whether the instance runs now; @param run its `last_used_at` (identifies the run).
   * @throws RuntimeOperationError from the API (404 when the instance is gone).
   */
  read(name: string, running: boolean, run: string): Promise<void> {
    const t = this.entry(name);
    const next = t.chain.then(async () => {
      if (!running && t.stoppedRun === run) return;
      const text = await this.client.text(
        `/1.0/instances/${encodeURIComponent(name)}/console?type=log`,
        'console log',
      );
      t.splitter.push(text);
      if (!running) {
        t.splitter.end();
        t.stoppedRun = run;
      }
    });
    t.chain = next.catch(() => undefined);
    return next;
  }

  /** The last `n` lines of `name` (oldest first). */
  tail(name: string, n: number): string[] {
    const lines = this.byName.get(name)?.lines.toArray() ?? [];
    return n >= lines.length ? lines : lines.slice(lines.length - Math.max(0, n));
  }

  /** Calls `onLine` for every line read from now on; returns the unsubscribe function. */
  follow(name: string, onLine: (line: string) => void): () => void {
    const t = this.entry(name);
    t.listeners.add(onLine);
    return () => t.listeners.delete(onLine);
  }

  /** Moves a transcript to a container's new name. */
  rename(from: string, to: string): void {
    const t = this.byName.get(from);
    if (!t) return;
    this.byName.delete(from);
    this.byName.set(to, t);
  }

  /** Forgets a removed container. */
  forget(name: string): void {
    this.byName.delete(name);
  }

  private entry(name: string): Transcript {
    let t = this.byName.get(name);
    if (!t) {
      const lines = new RingBuffer<string>(TRANSCRIPT_LINES);
      const listeners = new Set<(line: string) => void>();
      const splitter = new LineSplitter((line) => {
        lines.push(line);
        for (const l of listeners) l(line);
      });
      t = { lines, splitter, stoppedRun: null, listeners, chain: Promise.resolve() };
      this.byName.set(name, t);
    }
    return t;
  }
}
