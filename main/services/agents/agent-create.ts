// Validates an `agents.create` input into a new agent record (phase `creating`): harness, emoji, runtime, models, memory, name.
import { instructionsOfCreate } from './agent-configure';
import crypto from 'node:crypto';
import type { AgentCreateInput } from '../../../contract/agents';
import { AgentCreateInput as CreateSchema } from '../../../contract/agents';
import { AppError } from '../../../contract/errors';
import type { ContainerRuntime, RuntimeKind } from '../runtimes/container-runtime';
import type { HarnessRegistry } from '../harnesses/registry';
import { harnessRefusal } from '../harnesses/registry';
import type { AgentRow } from './agent-repository';
import { containerNameOf, isSingleEmoji, slugOf } from './naming';
import { resolveFolders } from './shared-folders';

/** What validation reads: the installed harnesses and runtimes, the settings and the live names. */
export interface CreateContext {
  harnesses: HarnessRegistry;
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
 * harness does not run there and a runtime it runs on is available (OpenClaw on a machine whose
 * default is Incus gets Docker); an explicit runtime the harness excludes is refused. The memory limit
 * defaults to the harness's; the harness refuses (fails closed) a runtime, model or memory limit it
 * does not support, naming what it supports.
 * @throws AppError INVALID_INPUT naming the field and the valid values; CONFLICT when the name's slug is taken.
 */
export function newAgentRow(raw: AgentCreateInput, ctx: CreateContext, now = Date.now()): AgentRow {
  const input = CreateSchema.parse(raw);
  const h = ctx.harnesses.get(input.harness);
  if (!h)
    throw new AppError(
      'INVALID_INPUT',
      `harness: "${input.harness}" is not a harness; valid: ${ctx.harnesses.ids().join(', ')}`,
    );
  const m = h.manifest;
  const emoji = input.emoji ?? m.emoji;
  if (!isSingleEmoji(emoji)) throw new AppError('INVALID_INPUT', `emoji: "${emoji}" is not one emoji`);
  const preferred = ctx.defaultRuntime();
  const runtime =
    input.runtime ??
    (!m.engines.includes(preferred) ? (m.engines.find((r) => ctx.runtimes[r]) ?? preferred) : preferred);
  if (!ctx.runtimes[runtime])
    throw new AppError(
      'INVALID_INPUT',
      `runtime: ${runtime} is not available here; valid: ${Object.keys(ctx.runtimes).join(', ')}`,
    );
  const memoryMib = input.memory_mib ?? m.memory.default_mib;
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
  const refusal = harnessRefusal(h, {
    engine: runtime,
    model: input.model,
    fallbacks: input.fallbacks,
    memoryMib,
    instructions: instructionsOfCreate(raw) !== null,
  });
  if (refusal) throw new AppError('INVALID_INPUT', refusal);
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
    harness: m.id,
    runtime,
    model: input.model,
    fallbacks: JSON.stringify(input.fallbacks),
    memory_mib: memoryMib,
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
