// Validates an `agents.create` input into a new agent record (phase `creating`): framework, emoji, runtime, models, name.
import crypto from 'node:crypto';
import type { AgentCreateInput } from '../../../contract/agents';
import { AgentCreateInput as CreateSchema } from '../../../contract/agents';
import { AppError } from '../../../contract/errors';
import type { ContainerRuntime, RuntimeKind } from '../runtimes/container-runtime';
import type { AgentRow } from './agent-repository';
import type { FrameworkManifest } from './frameworks';
import { containerNameOf, isSingleEmoji, slugOf } from './naming';
import { resolveFolders } from './shared-folders';

/** What validation reads: the installed frameworks and runtimes, the settings and the live names. */
export interface CreateContext {
  frameworks: Map<string, FrameworkManifest>;
  runtimes: Partial<Record<RuntimeKind, ContainerRuntime>>;
  /** The `container_runtime` setting. */
  defaultRuntime: () => RuntimeKind;
  /** Provider ids that exist now (a model is `<provider-id>/<model-id>`). */
  providerIds: () => string[];
  /** The live (not archived) agent using `slug`, if any. */
  findLiveBySlug: (slug: string) => AgentRow | undefined;
  /** The data dir (shared folders may not be in it, nor hold it). */
  dataDir: string;
}

/**
 * The record of a new agent from `raw`. With no runtime given, the default one is used unless the
 * framework does not run there and a runtime it runs on is available (OpenClaw on a machine whose
 * default is Incus gets Docker); an explicit runtime the framework excludes is refused.
 * @throws AppError INVALID_INPUT naming the field and the valid values; CONFLICT when the name's slug is taken.
 */
export function newAgentRow(raw: AgentCreateInput, ctx: CreateContext, now = Date.now()): AgentRow {
  const input = CreateSchema.parse(raw);
  const fw = ctx.frameworks.get(input.framework);
  if (!fw)
    throw new AppError(
      'INVALID_INPUT',
      `framework: "${input.framework}" is not a framework; valid: ${[...ctx.frameworks.keys()].join(', ')}`,
    );
  const emoji = input.emoji ?? fw.emoji;
  if (!isSingleEmoji(emoji)) throw new AppError('INVALID_INPUT', `emoji: "${emoji}" is not one emoji`);
  const preferred = ctx.defaultRuntime();
  const runtime =
    input.runtime ??
    (fw.runtimes && !fw.runtimes.includes(preferred)
      ? (fw.runtimes.find((r) => ctx.runtimes[r]) ?? preferred)
      : preferred);
  if (!ctx.runtimes[runtime])
    throw new AppError(
      'INVALID_INPUT',
      `runtime: ${runtime} is not available here; valid: ${Object.keys(ctx.runtimes).join(', ')}`,
    );
  if (fw.runtimes && !fw.runtimes.includes(runtime))
    throw new AppError(
      'INVALID_INPUT',
      `runtime: ${fw.label} does not run on ${runtime}; valid runtime for ${fw.id}: ${fw.runtimes.join(', ')}`,
    );
  const providers = ctx.providerIds();
  for (const [field, model] of [
    ['model', input.model],
    ...input.fallbacks.map((m, i) => [`fallbacks.${i}`, m]),
  ] as const) {
    const provider = model.split('/')[0] ?? '';
    if (!model.includes('/') || !providers.includes(provider))
      throw new AppError(
        'INVALID_INPUT',
        `${field}: "${model}" must be <provider-id>/<model-id> with a provider that exists; providers: ${providers.join(', ') || 'none (add one first)'}`,
      );
  }
  const folders = resolveFolders(input.folders, { dataDir: ctx.dataDir });
  const slug = slugOf(input.name);
  const taken = ctx.findLiveBySlug(slug);
  if (taken)
    throw new AppError(
      'CONFLICT',
      `An agent named "${taken.name}" already uses the name ${slug}; choose another name`,
    );
  return {
    id: crypto.randomUUID(),
    slug,
    name: input.name,
    emoji,
    framework: fw.id,
    runtime,
    model: input.model,
    fallbacks: JSON.stringify(input.fallbacks),
    memory_mib: input.memory_mib,
    cpus: input.cpus,
    phase: 'creating',
    phase_reason: null,
    phase_at: now,
    failed_log: '[]',
    container: containerNameOf(slug),
    runtime_port: null,
    key_id: null,
    created_at: now,
    running_since: null,
    archive_dir: null,
    runtime_endpoint: null,
    pids_limit: input.pids_limit,
    folders: JSON.stringify(folders),
  };
}
