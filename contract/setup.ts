// First-run setup shapes: the checks the onboarding shows, their fixes, and LiteLLM provisioning progress.
import { z } from 'zod';

/** What a setup check is about: a container engine, the OS keychain, LiteLLM. */
export const SetupCheckId = z.enum(['engine', 'keychain', 'litellm']);
export type SetupCheckId = z.infer<typeof SetupCheckId>;

/**
 * A one-click fix the core can perform: `provision-litellm` makes a venv in the data dir and installs
 * the pinned LiteLLM; `use-docker` / `use-incus` switch the container runtime setting to the engine
 * that works.
 */
export const SetupActionId = z.enum(['provision-litellm', 'use-docker', 'use-incus']);
export type SetupActionId = z.infer<typeof SetupActionId>;

/** One check of the onboarding. */
export const SetupCheck = z.object({
  id: SetupCheckId,
  title: z.string(),
  /** `ok` = ready; `warn` = works with a limitation (e.g. keys only from env vars); `fail` = must be fixed. */
  state: z.enum(['ok', 'warn', 'fail']),
  /** What was observed, e.g. "Docker 20.10.24 at /var/run/docker.sock". */
  detail: z.string(),
  /** Exact steps for the user when no one-click fix exists (or as an alternative to it); empty when ok. */
  steps: z.array(z.string()),
  /** A fix the core can do itself, or `null`. */
  action: z.object({ id: SetupActionId, label: z.string() }).nullable(),
});
export type SetupCheck = z.infer<typeof SetupCheck>;

/** Where LiteLLM provisioning stands: `idle` (never run this session), `running`, `done`, `failed`. */
export const ProvisionState = z.enum(['idle', 'running', 'done', 'failed']);
export type ProvisionState = z.infer<typeof ProvisionState>;

/** Progress of the LiteLLM provisioning (event `setup.progress`, and part of `setup.status`). */
export const ProvisionProgress = z.object({
  state: ProvisionState,
  /** `python` (find Python 3.10+), `venv` (create it), `install` (pip), `verify`; `null` when idle. */
  step: z.enum(['python', 'venv', 'install', 'verify']).nullable(),
  /** 0–100, monotonic while running; 100 when done. */
  percent: z.number().min(0).max(100),
  /** One line for the progress bar, e.g. "Installing 112 packages". */
  message: z.string(),
  /** `wheelhouse` when the offline wheel folder shipped with the app was used, `index` for PyPI. */
  source: z.enum(['wheelhouse', 'index']).nullable(),
  /** Why it failed, with what to do; `null` unless `failed`. */
  error: z.string().nullable(),
  /** The last lines of pip's output (at most 20), for a failure's details. */
  log_tail: z.array(z.string()),
});
export type ProvisionProgress = z.infer<typeof ProvisionProgress>;

/** Provisioning before its first run. */
export const IDLE_PROVISION: ProvisionProgress = {
  state: 'idle',
  step: null,
  percent: 0,
  message: '',
  source: null,
  error: null,
  log_tail: [],
};

/** Answer of `setup.status`: whether onboarding was completed, every check, and provisioning. */
export const SetupStatus = z.object({
  onboarding_done: z.boolean(),
  checks: z.array(SetupCheck),
  provision: ProvisionProgress,
});
export type SetupStatus = z.infer<typeof SetupStatus>;

/** Input of `setup.fix`. */
export const SetupFixInput = z.object({ action: SetupActionId }).strict();
export type SetupFixInput = z.infer<typeof SetupFixInput>;
