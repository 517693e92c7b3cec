// Health of the components the core depends on, and facts about the running core.
import { z } from 'zod';

/** The components whose health the System view and `agentdesk status` report. */
/**
 * The components of the health report. `egress`: how agents' egress policies are enforced (as root,
 * through the egress helper container, off, or not at all, with the fix).
 */
export const COMPONENT_NAMES = ['keychain', 'docker', 'incus', 'litellm', 'gateway', 'egress'] as const;
/** One of the fixed components ({@link COMPONENT_NAMES}). */
export const FixedComponentName = z.enum(COMPONENT_NAMES);
export type FixedComponentName = z.infer<typeof FixedComponentName>;
/** A named engine's component: `engine:<engine id>`, after the fixed ones in the report (contract/engines.ts). */
export const EngineComponentName = z
  .string()
  .regex(/^engine:[a-z0-9][a-z0-9-]{0,31}$/) as unknown as z.ZodType<`engine:${string}`>;
/** A component of the health report: a fixed one, or a named engine's (`engine:<id>`). */
export const ComponentName = z.union([FixedComponentName, EngineComponentName]);
export type ComponentName = z.infer<typeof ComponentName>;

/**
 * State of one component:
 * `ok` usable; `starting` coming up; `missing` not installed or not reachable; `error` present but broken.
 */
export const ComponentState = z.enum(['ok', 'starting', 'missing', 'error']);
export type ComponentState = z.infer<typeof ComponentState>;

/** Health of one component, with a one-line fix when it is not `ok`. */
export const ComponentHealth = z.object({
  name: ComponentName,
  state: ComponentState,
  /** What was observed, e.g. "Docker 20.10.24 at /var/run/docker.sock". */
  detail: z.string(),
  /** One line telling the user how to fix it; empty when state is `ok`. */
  fix: z.string(),
});
export type ComponentHealth = z.infer<typeof ComponentHealth>;

/** The health report printed by `agentdesk status --json` and shown in the System view. */
export const HealthReport = z.object({
  components: z.array(ComponentHealth),
  /** When the probes finished, UTC ms since the epoch. */
  checked_at: z.number().int(),
});
export type HealthReport = z.infer<typeof HealthReport>;

/** Facts about the running core. */
export const CoreInfo = z.object({
  version: z.string(),
  /** The data directory (`AGENTDESK_HOME` or Electron's userData). */
  data_dir: z.string(),
  platform: z.string(),
  /** `electron` for the desktop app, `headless` for `agentdesk serve`. */
  mode: z.enum(['electron', 'headless']),
  pid: z.number().int(),
  /** UTC ms when the core started. */
  started_at: z.number().int(),
  /** Applied database schema version (number of the last migration). */
  schema_version: z.number().int(),
  /**
   * Whether this desktop shows a tray icon, as the desktop shell found it (Linux: a StatusNotifier host
   * on D-Bus). `false` = closing the window quits and the app never starts hidden. Absent or `null` in
   * `agentdesk serve` (no window, no tray).
   */
  tray_available: z.boolean().nullable().optional(),
  /**
   * The remote core this window shows, as the desktop shell attached to it: `user@host` (through an SSH
   * forward) or `host:port` (over TLS). Absent or `null`: the core runs on this computer.
   */
  remote_core: z.string().nullable().optional(),
});
export type CoreInfo = z.infer<typeof CoreInfo>;
