// Built entry `out/main/llm-kit.js`: the LLM pieces (gateway, LiteLLM supervisor, virtual keys) for benchmarks and tools.
// It starts nothing by itself; bench/gateway.mjs drives it. Never imports electron.
export { Gateway } from './services/llm/gateway/gateway';
export { loadUpstreamClient, upstreamAgent } from './services/llm/gateway/upstream';
export type { GatewayTarget } from './services/llm/gateway/target';
export { LlmService } from './services/llm/llm-service';
export { JsonlLlmCallSink, MemoryLlmCallSink } from './services/llm/llm-calls';
export { VirtualKeys } from './services/llm/virtual-keys';
export { wireBudgets } from './app/tasks-wiring';
export { AgentRepository, callRefusal } from './services/agents/agent-repository';
export { SettingsStore } from './services/settings/settings-store';
export { EventBus } from './platform/event-bus';
export { TraceRecorder } from './services/traces/trace-recorder';
export { TracingLlmCallSink, RecorderAgentTraceSink } from './services/traces/trace-ingest';
export { TurnWindows } from './services/traces/turn-windows';
export { resolveLitellmCommand } from './services/llm/litellm/command';
export { openDatabase } from './services/storage/database';
export { createLogger } from './platform/logging';
export { SecretRedactor } from './platform/secret-redactor';
export { appRoot } from './platform/paths';
