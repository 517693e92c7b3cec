// Push events from main to every UI (IPC `evt:<name>`, SSE on GET /api/events): name → zod payload.
import type { z } from 'zod';
import { LlmStatus } from './llm';
import { HealthReport, ProvidersChanged, Settings } from './models';

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
} as const;

export type Events = typeof events;
export type EventName = keyof Events;
export type EventPayload<N extends EventName> = z.output<Events[N]>;

/** All event names, in table order. */
export const EVENT_NAMES = Object.keys(events) as EventName[];
