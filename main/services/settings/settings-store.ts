// Loads, migrates, validates and saves the user's settings (one JSON row in the app database).
import type { Settings, SettingsPatch } from '../../../contract/settings';
import { AppError } from '../../../contract/errors';
import { describeExecutableProblem, executableProblem } from '../../platform/trusted-executable';
import type { Db } from '../storage/database';
import { DEFAULT_SETTINGS, SETTINGS_VERSION, SettingsSchema } from './schema';

type Raw = Record<string, unknown>;

/** Steps from version N to N+1, keyed by N. Each takes the raw object and returns the next shape. */
const MIGRATIONS: Record<number, (raw: Raw) => Raw> = {
  // 1 → 2: `onboarding_done` added. A data dir from version 1 was already set up: do not show onboarding.
  1: (raw) => ({ ...raw, onboarding_done: true }),
};

/**
 * Brings a stored settings object of any known version to {@link SETTINGS_VERSION}.
 * Fields that fail validation after migration fall back to their defaults (one bad field never
 * resets the rest), so a damaged row cannot keep the app from starting.
 * @returns the valid settings and the names of fields that were reset.
 */
export function migrateSettings(raw: unknown): { settings: Settings; reset: string[] } {
  let obj: Raw = raw && typeof raw === 'object' && !Array.isArray(raw) ? { ...(raw as Raw) } : {};
  let version = typeof obj.version === 'number' ? obj.version : SETTINGS_VERSION;
  while (version < SETTINGS_VERSION) {
    const step = MIGRATIONS[version];
    if (step) obj = step(obj);
    version += 1;
  }
  const merged: Raw = { ...DEFAULT_SETTINGS, ...obj, version: SETTINGS_VERSION };
  const reset: string[] = [];
  const parsed = SettingsSchema.safeParse(merged);
  if (parsed.success) return { settings: parsed.data, reset };
  const fixed: Raw = { ...merged };
  for (const issue of parsed.error.issues) {
    const key = issue.path[0];
    if (typeof key === 'string' && key in DEFAULT_SETTINGS) {
      fixed[key] = DEFAULT_SETTINGS[key as keyof Settings];
      reset.push(key);
    }
  }
  const again = SettingsSchema.safeParse(fixed);
  return again.success
    ? { settings: again.data, reset }
    : { settings: { ...DEFAULT_SETTINGS }, reset: Object.keys(DEFAULT_SETTINGS) };
}

/**
 * The settings of one data dir. Reads once at {@link load}, keeps them in memory, writes through.
 * Calls `onChange` after each successful update.
 */
export class SettingsStore {
  private current: Settings = { ...DEFAULT_SETTINGS };

  constructor(
    private readonly db: Db,
    private readonly onChange: (settings: Settings) => void = () => {},
  ) {}

  /** Loads and migrates the stored settings (writing back if they changed). @returns fields reset to defaults. */
  load(): string[] {
    const row = this.db.prepare('SELECT version, json FROM settings WHERE id = 1').get() as
      { version: number; json: string } | undefined;
    let raw: unknown = {};
    if (row) {
      try {
        raw = JSON.parse(row.json);
      } catch {
        raw = {};
      }
    }
    const { settings, reset } = migrateSettings(raw);
    this.current = settings;
    if (!row || row.version !== SETTINGS_VERSION || reset.length > 0) this.save();
    return reset;
  }

  /** The current settings (a copy). */
  get(): Settings {
    return { ...this.current };
  }

  /**
   * The current settings without a copy, for hot paths (the gateway's budget checks): never modify it.
   * Each update replaces the object as a whole, so a different object means the settings changed.
   */
  peek(): Readonly<Settings> {
    return this.current;
  }

  /**
   * Applies a validated patch and saves. A new `litellm_command` must be safe to run (see
   * trusted-executable.ts: owned by this user or root, writable by no one else, nor its folders).
   * Who may change it at all is the caller's decision (the HTTP transport may not: api/settings.ts).
   * @throws AppError INVALID_INPUT when the result is not valid settings, or the command is not safe
   *   (the message names the field, the reason and the fix).
   */
  update(patch: SettingsPatch): Settings {
    const command = patch.litellm_command;
    if (command && command !== this.current.litellm_command) {
      const problem = executableProblem(command);
      if (problem)
        throw new AppError(
          'INVALID_INPUT',
          `Invalid setting litellm_command: ${describeExecutableProblem(command, problem)}`,
          { field: 'litellm_command' },
        );
    }
    const next = SettingsSchema.safeParse({ ...this.current, ...patch, version: SETTINGS_VERSION });
    if (!next.success) {
      const issue = next.error.issues[0];
      throw new AppError(
        'INVALID_INPUT',
        `Invalid setting ${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`,
      );
    }
    this.current = next.data;
    this.save();
    this.onChange(this.get());
    return this.get();
  }

  private save(): void {
    this.db
      .prepare(
        'INSERT INTO settings (id, version, json, updated_at) VALUES (1, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET version = excluded.version, json = excluded.json, updated_at = excluded.updated_at',
      )
      .run(SETTINGS_VERSION, JSON.stringify(this.current), Date.now());
  }
}
