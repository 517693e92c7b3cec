// Shapes that cross the process boundary (renderer ⇄ core ⇄ CLI), as zod schemas with their types.
import { z } from 'zod';

/** The components whose health the System view and `agentdesk status` report. */
export const COMPONENT_NAMES = ['keychain', 'docker', 'incus', 'litellm', 'gateway'] as const;
export const ComponentName = z.enum(COMPONENT_NAMES);
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
});
export type CoreInfo = z.infer<typeof CoreInfo>;

/** Colour theme; `system` follows the OS light/dark preference. */
export const Theme = z.enum(['system', 'light', 'dark']);

/** The user's settings as the UI sees and edits them. */
export const Settings = z.object({
  version: z.number().int(),
  theme: Theme,
  /** Keep running in the tray when the window is closed. `null` = platform default. */
  close_to_tray: z.boolean().nullable(),
  start_at_login: z.boolean(),
  start_hidden: z.boolean(),
  stop_agents_on_quit: z.boolean(),
  /** Container runtime for new agents. */
  container_runtime: z.enum(['docker', 'incus']),
  /** Path of the `litellm` command; `null` = the app's own venv. */
  litellm_command: z.string().nullable(),
  /** Trace files older than this many days are removed. */
  trace_retention_days: z.number().int().min(1).max(3650),
});
export type Settings = z.infer<typeof Settings>;

/** A partial update of {@link Settings}; unknown fields are refused. */
export const SettingsPatch = Settings.omit({ version: true }).partial().strict();
export type SettingsPatch = z.infer<typeof SettingsPatch>;
