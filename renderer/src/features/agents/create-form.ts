// The create form's draft, its checks before anything is sent, and the `agents.create` input it makes.
import type { Agent, AgentCreateInput } from '../../../../contract/agents';
import type { EgressMode } from '../../../../contract/egress';
import type { FolderRow } from './SharedFoldersEditor';
import { agentHoldingSlug, slugOf } from '../../stores/agents';
import type { CreateField } from '../../stores/agents';

/** Limits of `agents.create` (contract/agents.ts AgentCreateInput) and the defaults the form starts with. */
export const LIMITS = {
  memory: { min: 128, max: 65_536, default: 1024 },
  cpus: { min: 0.1, max: 64, default: 1 },
  nameMax: 64,
} as const;

/** What the form holds. Numbers stay text until checked, so a half-typed value is never lost. */
export interface CreateDraft {
  name: string;
  /** The chosen emoji; `null` = the framework's default (follows a change of framework). */
  emoji: string | null;
  framework: string;
  /** The container runtime; `null` = the one Settings names for new agents. */
  runtime: 'docker' | 'incus' | null;
  model: string;
  fallbacks: string[];
  memory: string;
  cpus: string;
  /** What it may reach besides its gateway (default `none`) and the allowlist entries (normalised). */
  egress: EgressMode;
  allow: string[];
  /** Shared host folders (read-only unless `rw`). */
  folders: FolderRow[];
}

/** A fresh draft for `framework` and, when given, the first served model. */
export function newDraft(framework: string, model = ''): CreateDraft {
  return {
    name: '',
    emoji: null,
    framework,
    runtime: null,
    model,
    fallbacks: [],
    memory: String(LIMITS.memory.default),
    cpus: String(LIMITS.cpus.default),
    egress: 'none',
    allow: [],
    folders: [],
  };
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
  ctx: { agents: readonly Agent[]; frameworkEmoji: string; typedEmojiValid: boolean },
): { errors: Partial<Record<CreateField, string>>; input: AgentCreateInput | null } {
  const errors: Partial<Record<CreateField, string>> = {};
  const name = draft.name.trim();
  if (name === '') errors.name = 'Give the agent a name';
  else {
    const problem = nameProblem(name, ctx.agents);
    if (problem) errors.name = problem;
  }
  if (!ctx.typedEmojiValid) errors.emoji = 'Fix the typed emoji, or pick one';
  if (draft.framework === '') errors.framework = 'Pick a framework';
  if (draft.model === '') errors.model = 'Pick a model';
  const memory = Number(draft.memory.trim());
  if (
    draft.memory.trim() === '' ||
    !Number.isInteger(memory) ||
    memory < LIMITS.memory.min ||
    memory > LIMITS.memory.max
  )
    errors.memory_mib = `Memory must be a whole number of MiB from ${LIMITS.memory.min} to ${LIMITS.memory.max}; “${draft.memory}” is not`;
  const cpus = Number(draft.cpus.trim());
  if (draft.cpus.trim() === '' || !Number.isFinite(cpus) || cpus < LIMITS.cpus.min || cpus > LIMITS.cpus.max)
    errors.cpus = `CPUs must be a number from ${LIMITS.cpus.min} to ${LIMITS.cpus.max} (e.g. 0.5 or 2); “${draft.cpus}” is not`;
  if (draft.egress === 'allowlist' && draft.allow.length === 0)
    errors.allow = 'Add at least one host to the allowlist, or choose None';
  if (Object.keys(errors).length > 0) return { errors, input: null };
  return {
    errors,
    input: {
      name,
      emoji: draft.emoji ?? ctx.frameworkEmoji,
      framework: draft.framework,
      ...(draft.runtime ? { runtime: draft.runtime } : {}),
      model: draft.model,
      fallbacks: draft.fallbacks.filter((f) => f !== draft.model),
      memory_mib: memory,
      cpus,
      egress: draft.egress,
      allow: draft.allow,
      ...(draft.folders.length
        ? { folders: draft.folders.map((f) => ({ path: f.path, mode: f.mode })) }
        : {}),
    },
  };
}
