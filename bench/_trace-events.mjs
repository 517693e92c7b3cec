// Trace events for bench/trace.mjs: a realistic mix of kinds (mostly tool calls and results, some model calls, 1% errors).
import crypto from 'node:crypto';

/** The i-th event of agent `agent`, created at `createdAt` (UTC ms). About 300–400 bytes of JSON. */
export function benchEvent(agent, i, createdAt) {
  const base = {
    v: 1,
    id: crypto.randomUUID(),
    trace_id: `turn-${Math.floor(i / 20)}`,
    parent_id: null,
    created_at: createdAt,
    agent_id: agent,
    channel_id: null,
    thread_id: `thread-${i % 5}`,
    provider: null,
    model: null,
    duration_ms: null,
    tokens_in: null,
    tokens_out: null,
    cost_usd: null,
    error: null,
  };
  const r = i % 100;
  if (r === 0)
    return {
      ...base,
      kind: 'error',
      error: `step ${i} failed`,
      payload: { message: `step ${i} failed: exit 2` },
    };
  if (r < 15)
    return {
      ...base,
      kind: 'llm_call',
      provider: 'scripted',
      model: 'scripted/gpt-test-mini',
      duration_ms: 420,
      tokens_in: 1200 + (i % 300),
      tokens_out: 80 + (i % 50),
      cost_usd: 0.00021,
      payload: {
        path: '/v1/chat/completions',
        stream: true,
        status: 200,
        ttft_ms: 90,
        finish_reason: 'tool_calls',
      },
    };
  if (r < 55)
    return {
      ...base,
      kind: 'tool_call',
      payload: {
        name: 'shell',
        arguments: `{"command":"ls -la /home/agent/workspace/src/module-${i % 97}"}`,
      },
    };
  const output = `total ${i % 64}\ndrwxr-xr-x 2 agent agent 4096 index-${i}.ts\n-rw-r--r-- 1 agent agent 1234 notes.md\n`;
  return {
    ...base,
    kind: 'tool_result',
    payload: { name: 'shell', output, exit_code: 0, size: output.length, truncated: false },
  };
}
