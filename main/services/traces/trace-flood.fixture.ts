// Test fixture (run as a child process by trace-crash.test.ts): floods a real recorder and prints each event id once its append is acknowledged.
import crypto from 'node:crypto';
import path from 'node:path';
import pino from 'pino';
import type { TraceEvent } from '../../../contract/traces';
import { TraceRecorder } from './trace-recorder';
import { NO_MODEL_CALL } from './no-model-call';

const [data, workerFile, agent] = process.argv.slice(2);
if (!data || !workerFile || !agent) throw new Error('usage: trace-flood DATA_DIR WORKER_FILE AGENT_ID');

const recorder = new TraceRecorder({
  traceDirOf: (id) => path.join(data, 'agents', id, 'trace'),
  allTraceDirs: () => [path.join(data, 'agents', agent, 'trace')],
  log: pino({ level: 'silent' }),
  workerFile,
  maintenanceMs: 0,
});

const event = (i: number): TraceEvent => ({
  v: 1,
  id: crypto.randomUUID(),
  trace_id: `turn-${i % 7}`,
  parent_id: null,
  created_at: Date.now(),
  agent_id: agent,
  kind: 'tool_result',
  channel_id: null,
  thread_id: 'flood',
  ...NO_MODEL_CALL,
  error: null,
  payload: { name: 'shell', output: `line ${i} `.repeat(20), exit_code: 0, size: 200, truncated: false },
});

let n = 0;
// Batches of 20 as a runtime posts them, several in flight, until the parent kills this process.
setInterval(() => {
  for (let b = 0; b < 5; b++) {
    const events = Array.from({ length: 20 }, () => event(n++));
    recorder.append(events).then(
      () => process.stdout.write(events.map((e) => e.id).join('\n') + '\n'), // synchronous on a pipe (Linux)
      (err: Error) => process.stderr.write(`append failed: ${err.message}\n`),
    );
  }
}, 2);
