// Entry of the trace worker thread (built as out/main/trace-worker.js): owns every trace SQLite file, answers the recorder's requests in order.
import { parentPort } from 'node:worker_threads';
import { TraceStore } from './trace-store';
import type { WorkerRequest, WorkerResponse, WorkerValues } from './trace-worker-protocol';

const port = parentPort;
if (!port) throw new Error('trace-worker.js runs as a worker thread of the trace recorder, not on its own');
const store = new TraceStore();

/**
 * Text indexing runs only while no request has come for {@link IDLE_MS}, in slices of {@link SLICE_MS}:
 * writes and reads always go first, and a busy worker leaves indexing for its quiet moments (events not
 * yet indexed are found by scanning; sealing completes an hour's index).
 */
const IDLE_MS = 250;
const SLICE_MS = 10;
let idle: NodeJS.Timeout | null = null;

function indexWhileIdle(): void {
  idle = null;
  if (store.indexSome(SLICE_MS)) idle = setTimeout(indexWhileIdle, 0);
}

function handle(m: WorkerRequest): WorkerValues[keyof WorkerValues] {
  switch (m.op) {
    case 'write':
      return store.write(m.dirs, m.batch);
    case 'query':
      return store.query(m.q, m.after, m.dirs, m.pending);
    case 'totals':
      return store.totals(m.day, m.agents);
    case 'maintain':
      return store.maintain(m.dirs, m.now, m.retentionDays);
    case 'index':
      return store.indexSome(m.budgetMs);
    case 'close':
      if (idle) clearTimeout(idle);
      idle = null;
      store.close();
      return null;
  }
}

port.on('message', (m: WorkerRequest) => {
  let res: WorkerResponse;
  try {
    res = { id: m.id, ok: true, value: handle(m) };
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err));
    res = { id: m.id, ok: false, error: { name: e.name, message: e.message } };
  }
  port.postMessage(res);
  if (m.op === 'close') return;
  if (idle) clearTimeout(idle);
  idle = setTimeout(indexWhileIdle, IDLE_MS);
});
