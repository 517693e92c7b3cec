// Push events from main to every UI (IPC `evt:<name>`, SSE on GET /api/events): name → zod payload.
import type { z } from 'zod';
import { AgentProgress, AgentsChanged, AgentTurnEvent, ImageProgress } from './agents';
import { LlmStatus } from './llm';
import { HealthReport } from './health';
import { ProvidersChanged } from './providers';
import { Settings } from './settings';
import { ProvisionProgress } from './setup';
import { TaskRun, TasksChanged } from './tasks';
import { TraceEvent } from './traces';
import { UsageAlert } from './usage';

/**
 * Longest event frame a client of the event stream buffers, in characters (16 Mi): far above any event
 * the core sends (an `agents.changed` of 1,000 agents is about 1 MB), so a stream that sends more without
 * ending a frame is broken or hostile (a remote core, something in the middle of a local socket) and is
 * dropped instead of growing the client's memory without bound.
 */
export const EVENT_FRAME_MAX_CHARS = 16 * 1024 * 1024;

/** Every push event. Each has one documented payload. */
export const events = {
  /** The health of a component changed (probes run every few seconds while a UI listens). */
  'health.changed': HealthReport,
  /** Settings were changed (by any UI or the CLI). */
  'settings.changed': Settings,
  /** A provider was added, edited, tested, refreshed or removed: every provider, as `providers.list` answers. */
  'providers.changed': ProvidersChanged,
  /** LiteLLM or the gateway changed state (also every ~2 s while LiteLLM starts): the full `llm.status`. */
  'llm.status': LlmStatus,
  /** An agent was created, changed phase or was removed: every agent, as `agents.list` answers. */
  'agents.changed': AgentsChanged,
  /** A step inside a deploy phase (image build progress, waiting for the runtime …). */
  'agents.progress': AgentProgress,
  /** One event of a running chat turn (text as it streams, tool calls and results, the end). */
  'agents.turn': AgentTurnEvent,
  /** A trace event was recorded (written to the agent's trace file): one per event, in write order. */
  'traces.event': TraceEvent,
  /** Progress of a base image build or import. */
  'images.progress': ImageProgress,
  /** Progress of LiteLLM provisioning into the data dir (first-run onboarding). */
  'setup.progress': ProvisionProgress,
  /** A task was added, changed (next run, last result) or removed: every task, as `tasks.list` answers. */
  'tasks.changed': TasksChanged,
  /** A run was queued or changed status (running, succeeded, failed, skipped, cancelled). */
  'tasks.run': TaskRun,
  /** An agent crossed 80 % or 100 % of its daily or monthly budget. */
  'usage.alert': UsageAlert,
} as const;

export type Events = typeof events;
export type EventName = keyof Events;
export type EventPayload<N extends EventName> = z.output<Events[N]>;

/** All event names, in table order. */
export const EVENT_NAMES = Object.keys(events) as EventName[];
