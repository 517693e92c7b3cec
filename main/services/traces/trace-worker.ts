// Entry of the trace worker thread (built as out/main/trace-worker.js): owns every trace SQLite file, answers the recorder's requests in order.
import { parentPort } from 'node:worker_threads';
import { TraceStore } from './trace-store';
import type { WorkerRequest, WorkerResponse, WorkerValues } from './trace-worker-protocol';

const port = parentPort;
if (!port) throw new Error('trace-worker.js runs as a worker thread of the trace recorder, not on its own');
const store = new TraceStore();

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
    case 'close':
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
});
