// The create form's draft, its checks before anything is sent, and the `agents.create` input it makes.
import type { Agent, AgentCreateInput } from '../../../../contract/agents';
import type { EgressMode } from '../../../../contract/egress';
import { AGENT_NAME_MAX, AGENT_RANGES, spacedThousands } from '../../../../contract/ranges';
import type { FolderRow } from './SharedFoldersEditor';
import { agentHoldingSlug, slugOf } from '../../stores/agents';
import type { CreateField } from '../../stores/agents';
import { checkInstructions, instructionsDraft } from './instructions-form';
import type { InstructionsDraft } from './instructions-form';

/** Limits of `agents.create` (contract/ranges.ts AGENT_RANGES) and the defaults the form starts with. */
export const LIMITS = {
  memory: { min: AGENT_RANGES.memory_mib.min, max: AGENT_RANGES.memory_mib.max, default: 1024 },
  cpus: { min: AGENT_RANGES.cpus.min, max: AGENT_RANGES.cpus.max, default: 1 },
  nameMax: AGENT_NAME_MAX,
} as const;

/** What the form holds. Numbers stay text until checked, so a half-typed value is never lost. */
export interface CreateDraft {
  name: string;
  /** The chosen emoji; `null` = the harness's default (follows a change of harness). */
  emoji: string | null;
  harness: string;
  /** The container runtime; `null` = the one Settings names for new agents. */
  runtime: 'docker' | 'incus' | null;
  /** Where it runs: `local` (this machine) or a named engine's id (which fixes the runtime). */
  engine: string;
  /** An Incus cluster engine's member to place it on; `''` = the engine's member, else Incus places it. */
  member: string;
  model: string;
  fallbacks: string[];
  memory: string;
  cpus: string;
  /** What it may reach besides its gateway (default `none`) and the allowlist entries (normalised). */
  egress: EgressMode;
  allow: string[];
  /** Shared host folders (read-only unless `rw`). */
  folders: FolderRow[];
  /** System prompt, temperature, tools on/off (instructions-form.ts). */
  instructions: InstructionsDraft;
  /** Spend limits as typed: USD per day and month, requests per minute; empty = the Settings default. */
  limits: { day: string; month: string; rpm: string };
}

/** A fresh draft for `harness` (its default memory, MiB, when known) and, when given, the first served model. */
export function newDraft(
  harness: string,
  model = '',
  memoryMib: number = LIMITS.memory.default,
): CreateDraft {
  return {
    name: '',
    emoji: null,
    harness,
    runtime: null,
    engine: 'local',
    member: '',
    model,
    fallbacks: [],
    memory: String(memoryMib),
    cpus: String(LIMITS.cpus.default),
    egress: 'none',
    allow: [],
    folders: [],
    instructions: instructionsDraft(),
    limits: { day: '', month: '', rpm: '' },
  };
}

/** Ranges of the spend limits (contract/ranges.ts AGENT_RANGES, as contract/usage.ts UsdLimit, RpmLimit). */
const USD = AGENT_RANGES.budget_usd;
const RPM = AGENT_RANGES.rpm;

/**
 * The spend limits of a draft: each typed value as a number, `undefined` when empty (the Settings
 * default), or the message of a field that is not valid (named with its range).
 */
export function checkLimits(l: CreateDraft['limits']): {
  values: { budget_day_usd?: number; budget_month_usd?: number; rpm?: number };
  errors: Partial<Record<'budget_day_usd' | 'budget_month_usd' | 'rpm', string>>;
} {
  const values: { budget_day_usd?: number; budget_month_usd?: number; rpm?: number } = {};
  const errors: Partial<Record<'budget_day_usd' | 'budget_month_usd' | 'rpm', string>> = {};
  const usd = (field: 'budget_day_usd' | 'budget_month_usd', what: string, raw: string) => {
    if (raw.trim() === '') return;
    const n = Number(raw.trim());
    if (!Number.isFinite(n) || n < USD.min || n > USD.max)
      errors[field] =
        `${what} must be an amount of USD from ${USD.min} to ${spacedThousands(USD.max)}, or empty for the Settings default; “${raw}” is not`;
    else values[field] = n;
  };
  usd('budget_day_usd', 'The daily budget', l.day);
  usd('budget_month_usd', 'The monthly budget', l.month);
  if (l.rpm.trim() !== '') {
    const n = Number(l.rpm.trim());
    if (!Number.isInteger(n) || n < RPM.min || n > RPM.max)
      errors.rpm = `Requests per minute must be a whole number from ${RPM.min} to ${spacedThousands(RPM.max)}, or empty for the Settings default; “${l.rpm}” is not`;
    else values.rpm = n;
  }
  return { values, errors };
}

/** Why the name cannot be used, one line; `null` when it can (checked as the user types). */
export function nameProblem(name: string, agents: readonly Agent[]): string | null {
  const clean = name.trim();
  if (clean === '') return null;
  if (clean.length > LIMITS.nameMax)
    return `The name is ${clean.length} characters; at most ${LIMITS.nameMax}`;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(clean)) return 'The name contains control characters';
  if (!/[\p{L}\p{N}]/u.test(clean)) return 'The name needs at least one letter or digit';
  const slug = slugOf(clean);
  const holder = agentHoldingSlug(agents, slug);
  if (holder) return `An agent named “${holder.name}” already uses the name ${slug}; choose another name`;
  return null;
}

/** The checks of a submit: per-field messages, and the input to send when there are none. */
export function checkDraft(
  draft: CreateDraft,
  ctx: {
    agents: readonly Agent[];
    harnessEmoji: string;
    typedEmojiValid: boolean;
    /** The harness's memory needs (MiB), when known: less than `min_mib` is refused here already. */
    harnessMemory?: { label: string; min_mib: number };
    /** Whether the harness applies an agent's own instructions (default true); when not, none are sent. */
    harnessInstructions?: boolean;
  },
): { errors: Partial<Record<CreateField, string>>; input: AgentCreateInput | null } {
  const errors: Partial<Record<CreateField, string>> = {};
  const name = draft.name.trim();
  if (name === '') errors.name = 'Give the agent a name';
  else {
    const problem = nameProblem(name, ctx.agents);
    if (problem) errors.name = problem;
  }
  if (!ctx.typedEmojiValid) errors.emoji = 'Fix the typed emoji, or pick one';
  if (draft.harness === '') errors.harness = 'Pick a harness';
  if (draft.model === '') errors.model = 'Pick a model';
  const memory = Number(draft.memory.trim());
  if (
    draft.memory.trim() === '' ||
    !Number.isInteger(memory) ||
    memory < LIMITS.memory.min ||
    memory > LIMITS.memory.max
  )
    errors.memory_mib = `Memory must be a whole number of MiB from ${LIMITS.memory.min} to ${LIMITS.memory.max}; “${draft.memory}” is not`;
  else if (ctx.harnessMemory && memory < ctx.harnessMemory.min_mib)
    errors.memory_mib = `${ctx.harnessMemory.label} needs at least ${ctx.harnessMemory.min_mib} MiB; below that the kernel kills it`;
  const cpus = Number(draft.cpus.trim());
  if (draft.cpus.trim() === '' || !Number.isFinite(cpus) || cpus < LIMITS.cpus.min || cpus > LIMITS.cpus.max)
    errors.cpus = `CPUs must be a number from ${LIMITS.cpus.min} to ${LIMITS.cpus.max} (e.g. 0.5 or 2); “${draft.cpus}” is not`;
  if (draft.egress === 'allowlist' && draft.allow.length === 0)
    errors.allow = 'Add at least one host to the allowlist, or choose None';
  const instructions = checkInstructions(draft.instructions);
  if (!instructions.ok) errors[instructions.field] = instructions.error;
  const limits = checkLimits(draft.limits);
  Object.assign(errors, limits.errors);
  if (Object.keys(errors).length > 0 || !instructions.ok) return { errors, input: null };
  const { system_prompt, temperature, tools } = instructions.value;
  return {
    errors,
    input: {
      name,
      emoji: draft.emoji ?? ctx.harnessEmoji,
      harness: draft.harness,
      ...(draft.engine !== 'local'
        ? { engine: draft.engine, ...(draft.member ? { member: draft.member } : {}) }
        : draft.runtime
          ? { runtime: draft.runtime }
          : {}),
      model: draft.model,
      fallbacks: draft.fallbacks.filter((f) => f !== draft.model),
      memory_mib: memory,
      cpus,
      egress: draft.egress,
      allow: draft.allow,
      ...(draft.folders.length
        ? { folders: draft.folders.map((f) => ({ path: f.path, mode: f.mode })) }
        : {}),
      ...limits.values,
      ...(ctx.harnessInstructions === false
        ? {}
        : {
            ...(system_prompt !== null ? { system_prompt } : {}),
            ...(temperature !== null ? { temperature } : {}),
            tools,
          }),
    },
  };
}
