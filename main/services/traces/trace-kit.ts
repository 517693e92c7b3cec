// Built entry `out/main/trace-kit.js`: the trace store pieces for bench/trace.mjs (the recorder with its worker, the query schema). Starts nothing.
export { TraceRecorder } from './trace-recorder';
export { TraceStore } from './trace-store';
export { encodeBatch, encodeEvent } from './trace-wire';
export { readJsonlEvents } from './trace-files';
export { TraceQuery, TraceEvent, traceEvent } from '../../../contract/traces';
