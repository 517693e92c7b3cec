// Trace events for bench/trace.mjs: a realistic mix of kinds (mostly tool calls and results, some model calls, 1% errors).

/**
 * The bench's event maker over `traceEvent` (contract/traces.ts, from the built trace kit):
 * `(agent, i, createdAt)` → the i-th event of agent `agent`, created at `createdAt` (UTC ms). About
 * 300–400 bytes of JSON.
 */
export function makeBenchEvent(traceEvent) {
  return function benchEvent(agent, i, createdAt) {
    const base = {
      trace_id: `turn-${Math.floor(i / 20)}`,
      created_at: createdAt,
      agent_id: agent,
      thread_id: `thread-${i % 5}`,
    };
    const r = i % 100;
    if (r === 0)
      return traceEvent('error', {
        ...base,
        error: `step ${i} failed`,
        payload: { message: `step ${i} failed: exit 2` },
      });
    if (r < 15)
      return traceEvent('llm_call', {
        ...base,
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
      });
    if (r < 55)
      return traceEvent('tool_call', {
        ...base,
        payload: {
          name: 'shell',
          arguments: `{"command":"ls -la /home/agent/workspace/src/module-${i % 97}"}`,
        },
      });
    const output = `total ${i % 64}\ndrwxr-xr-x 2 agent agent 4096 index-${i}.ts\n-rw-r--r-- 1 agent agent 1234 notes.md\n`;
    return traceEvent('tool_result', {
      ...base,
      payload: { name: 'shell', output, exit_code: 0, size: output.length, truncated: false },
    });
  };
}
