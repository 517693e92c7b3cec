// The main thread's handle on the trace worker: starts it, sends requests, matches answers, restarts it after a crash.
import { Worker } from 'node:worker_threads';
import type { WorkerRequest, WorkerResponse, WorkerValues } from './trace-worker-protocol';

type Op = WorkerRequest['op'];
type Body<O extends Op> = Omit<Extract<WorkerRequest, { op: O }>, 'id' | 'op'>;

interface Waiter {
  resolve: (v: unknown) => void;
  reject: (err: Error) => void;
}

/** Thrown for a request whose worker died (crash, out of memory) before it answered. */
export class TraceWorkerGoneError extends Error {
  constructor(detail: string) {
    super(`The trace worker stopped before answering (${detail})`);
    this.name = 'TraceWorkerGoneError';
  }
}

/**
 * A trace worker started on first use from `file()` (trace-worker-file.ts). Requests are answered in
 * the order sent. When the worker exits unexpectedly, its unanswered requests reject with
 * {@link TraceWorkerGoneError} and the next request starts a new worker. `onError` hears crashes.
 */
export class TraceWorkerClient {
  private worker: Promise<Worker> | null = null;
  private readonly waiting = new Map<number, Waiter>();
  private nextId = 1;
  private closing = false;

  constructor(
    private readonly file: () => Promise<string>,
    private readonly onError: (err: Error) => void,
  ) {}

  /** Sends one request; resolves with the worker's value. @throws the worker's error (message kept), or TraceWorkerGoneError. */
  async call<O extends Op>(op: O, body: Body<O>): Promise<WorkerValues[O]> {
    const w = await this.start();
    const id = this.nextId++;
    return new Promise<WorkerValues[O]>((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      w.ref(); // an answer is awaited: keep the process alive until it comes
      w.postMessage({ id, op, ...body });
    });
  }

  /** Asks the worker to close its files, then ends it. Safe to call twice. */
  async close(): Promise<void> {
    if (!this.worker) return;
    const w = this.worker;
    try {
      await this.call('close', {});
    } catch {
      // already gone
    }
    this.closing = true;
    await (await w.catch(() => null))?.terminate();
    this.worker = null;
    this.closing = false;
  }

  private start(): Promise<Worker> {
    this.worker ??= this.file().then((file) => {
      const w = new Worker(file);
      w.unref(); // an idle worker never keeps the process alive
      w.on('message', (m: WorkerResponse) => {
        const waiter = this.waiting.get(m.id);
        if (!waiter) return;
        this.waiting.delete(m.id);
        if (this.waiting.size === 0) w.unref();
        if (m.ok) waiter.resolve(m.value);
        else waiter.reject(Object.assign(new Error(m.error.message), { name: m.error.name }));
      });
      w.on('error', (err) => this.onError(err));
      w.on('exit', (code) => {
        if (this.closing) return;
        this.worker = null;
        const gone = new TraceWorkerGoneError(`exit code ${code}`);
        for (const waiter of this.waiting.values()) waiter.reject(gone);
        this.waiting.clear();
        if (code !== 0) this.onError(gone);
      });
      return w;
    });
    void this.worker.catch(() => (this.worker = null));
    return this.worker;
  }
}
