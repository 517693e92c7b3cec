// The user's settings as the UI sees and edits them.
import { z } from 'zod';
import { rangedNumber, SETTINGS_RANGES } from './ranges';

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
  /** Build the base image when a deploy needs it and it is missing (minutes, needs debootstrap and root). */
  build_images_on_demand: z.boolean(),
  /** Path of the `litellm` command; `null` = the app's own venv. */
  litellm_command: z.string().nullable(),
  /** Trace files older than this many days are removed. */
  trace_retention_days: rangedNumber(SETTINGS_RANGES.trace_retention_days),
  /** The first-run onboarding was completed (or skipped); `false` shows it at start. */
  onboarding_done: z.boolean(),
  /** Spend limits of an agent that has none of its own (finite: there is no "unlimited" default). */
  default_budget_day_usd: rangedNumber(SETTINGS_RANGES.default_budget_day_usd),
  default_budget_month_usd: rangedNumber(SETTINGS_RANGES.default_budget_month_usd),
  default_rpm: rangedNumber(SETTINGS_RANGES.default_rpm),
  /**
   * Address the task webhooks listen on: `127.0.0.1` (this machine only, the default) or another local
   * address the user opts in to (e.g. a LAN address, `0.0.0.0`) so other machines can trigger tasks.
   */
  webhook_listen: z
    .string()
    .refine((a) => /^[0-9.]+$|^[0-9a-fA-F:]+$/.test(a), 'must be an IP address, e.g. 127.0.0.1'),
  /** Port of the task webhooks; 0 = a free port chosen at the first start and kept. */
  webhook_port: rangedNumber(SETTINGS_RANGES.webhook_port),
});
export type Settings = z.infer<typeof Settings>;

/** A partial update of {@link Settings}; unknown fields are refused. */
export const SettingsPatch = Settings.omit({ version: true }).partial().strict();
export type SettingsPatch = z.infer<typeof SettingsPatch>;
