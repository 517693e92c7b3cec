// Feeds the recorder from the gateway: its llm_call records (a tee of the LlmCallSink) and the runtimes' posted tool events.
import type { TraceEvent } from '../../../contract/traces';
import type { Logger } from '../../platform/logging';
import type { AgentTraceEvent } from '../llm/agent-trace';
import type { AgentTraceSink } from '../llm/agent-trace-sink';
import type { LlmCall, LlmCallSink } from '../llm/llm-calls';
import type { TraceRecorder } from './trace-recorder';
import type { TurnWindows } from './turn-windows';
import type { VerifyWindows } from './verify-windows';
import { NO_MODEL_CALL } from './no-model-call';

const count = (n: number | null): number | null => (n === null ? null : Math.max(0, Math.round(n)));

/**
 * The `llm_call` trace event of a gateway record of agent `call.owner`, or `null` when the key had no
 * owner. `turn` = the relayed turn the call fell in (its trace and thread), when exactly one did;
 * `verify` = it arrived while the agent was `verifying` (payload `purpose: "verify"`).
 * Payload: `{path, stream, status, ttft_ms, finish_reason}`, plus `requested_model` and `usage_estimated`
 * when set (see contract/traces.ts).
 */
export function llmCallEvent(
  call: LlmCall,
  turn: { traceId: string; threadId: string } | null = null,
  verify = false,
): TraceEvent | null {
  if (!call.owner) return null;
  // `finish_reason` is not in the gateway's record yet; taken when it appears.
  const finish = (call as LlmCall & { finish_reason?: string | null }).finish_reason ?? null;
  return {
    v: 1,
    id: call.id,
    trace_id: turn?.traceId ?? null,
    parent_id: null,
    created_at: call.created_at,
    agent_id: call.owner,
    kind: 'llm_call',
    channel_id: null,
    thread_id: turn?.threadId ?? null,
    provider: call.provider,
    model: call.model,
    duration_ms: count(call.duration_ms),
    tokens_in: count(call.tokens_in),
    tokens_out: count(call.tokens_out),
    cost_usd: call.cost_usd === null ? null : Math.max(0, call.cost_usd),
    error: call.error,
    payload: {
      path: call.path,
      stream: call.stream,
      status: call.status,
      ttft_ms: count(call.ttft_ms),
      finish_reason: finish,
      ...(turn ? { turn_match: 'time' as const } : {}),
      ...(call.requested_model ? { requested_model: call.requested_model } : {}),
      ...(call.usage_estimated ? { usage_estimated: true } : {}),
      // Made by the deploy's verify step (see VerifyWindows): not counted among the day's model calls.
      ...(verify ? { purpose: 'verify' as const } : {}),
    },
  };
}

/** A trace event of agent `owner` from one event its runtime posted to `POST /v1/agentdesk/trace`. */
export function runtimeEvent(owner: string, e: AgentTraceEvent): TraceEvent {
  const base = {
    v: 1 as const,
    id: e.id,
    trace_id: e.trace_id,
    parent_id: e.parent_id,
    created_at: e.created_at,
    agent_id: owner,
    channel_id: null,
    thread_id: e.thread_id,
    ...NO_MODEL_CALL,
  };
  switch (e.kind) {
    case 'tool_call':
      return { ...base, kind: 'tool_call', error: null, payload: e.payload };
    case 'tool_result':
      return { ...base, kind: 'tool_result', error: null, payload: e.payload };
    case 'error':
      return {
        ...base,
        kind: 'error',
        error: e.payload.message.split('\n')[0]!.slice(0, 500),
        payload: e.payload,
      };
  }
}

/**
 * An {@link LlmCallSink} that passes every record to `inner` (the gateway's own log) and records the
 * calls of agents as `llm_call` trace events, tied to a relayed turn by time when exactly one matches.
 * Never throws and never blocks the request path (the recorder batches).
 */
export class TracingLlmCallSink implements LlmCallSink {
  constructor(
    private readonly inner: LlmCallSink,
    private readonly recorder: TraceRecorder,
    private readonly turns: TurnWindows,
    private readonly log: Logger,
    private readonly verifies?: VerifyWindows,
  ) {}

  record(call: LlmCall): void {
    this.inner.record(call);
    try {
      const event = call.owner
        ? llmCallEvent(
            call,
            this.turns.match(call.owner, call.created_at),
            this.verifies?.holds(call.owner, call.created_at) ?? false,
          )
        : null;
      if (event) this.recorder.record(event);
    } catch (err) {
      this.log.error({ err, call: call.id }, 'llm_call could not be traced');
    }
  }

  async flush(): Promise<void> {
    await Promise.all([this.inner.flush(), this.recorder.flush()]);
  }

  async close(): Promise<void> {
    await (this.inner.close?.() ?? this.inner.flush());
    await this.recorder.flush();
  }
}

/**
 * The gateway's {@link AgentTraceSink} backed by the recorder: the runtime's tool events land in the
 * agent's trace (the agent = the key's owner), and `append` resolves only once they are fsync'd, so the
 * gateway answers 2xx after commit and the runtime retries otherwise.
 */
export class RecorderAgentTraceSink implements AgentTraceSink {
  constructor(private readonly recorder: TraceRecorder) {}

  append(owner: string, events: readonly AgentTraceEvent[]): Promise<void> {
    return this.recorder.append(events.map((e) => runtimeEvent(owner, e)));
  }

  close(): Promise<void> {
    return this.recorder.flush();
  }
}
