// Validates an `agents.create` input into a new agent record (phase `creating`): harness, emoji, runtime, models, memory, name.
import { instructionsOfCreate } from './agent-configure';
import crypto from 'node:crypto';
import type { AgentCreateInput } from '../../../contract/agents';
import { AgentCreateInput as CreateSchema } from '../../../contract/agents';
import { AppError } from '../../../contract/errors';
import type { RuntimeKind } from '../runtimes/container-runtime';
import { LOCAL_ENGINE } from '../runtimes/engine-target';
import type { Runtimes } from '../runtimes/runtimes';
import type { HarnessRegistry } from '../harnesses/registry';
import { harnessRefusal } from '../harnesses/registry';
import type { AgentRow } from './agent-repository';
import { containerNameOf, isSingleEmoji, slugOf } from './naming';
import { resolveFolders } from './shared-folders';

/** What validation reads: the installed harnesses and runtimes, the settings and the live names. */
export interface CreateContext {
  harnesses: HarnessRegistry;
  /** The core's runtimes, keyed by kind and engine. */
  runtimes: Runtimes;
  /** The named engines (id, name, kind); absent = none (only `local`). */
  engines?: () => { id: string; name: string; kind: RuntimeKind }[];
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
  const engine = input.engine ?? LOCAL_ENGINE;
  const runtime =
    engine === LOCAL_ENGINE ? localRuntime(input.runtime, m.engines, ctx) : namedRuntime(input, ctx);
  if (input.member !== undefined) {
    const kind = engine === LOCAL_ENGINE ? null : ctx.engines?.().find((e) => e.id === engine)?.kind;
    if (kind !== 'incus')
      throw new AppError(
        'INVALID_INPUT',
        `member: a cluster member is chosen only on an Incus engine; "${engine}" is ${engine === LOCAL_ENGINE ? 'this machine' : `a ${kind ?? 'unknown'} engine`}; leave the member out`,
      );
  }
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
    engine,
    member: input.member ?? null,
  };
}

/**
 * The runtime of a new agent on this machine: the one asked for, else the default one unless the
 * harness does not run there and a runtime it runs on is available.
 * @throws AppError INVALID_INPUT when it is not available here, naming the ones that are.
 */
function localRuntime(
  asked: RuntimeKind | undefined,
  runsOn: readonly RuntimeKind[],
  ctx: CreateContext,
): RuntimeKind {
  const preferred = ctx.defaultRuntime();
  const runtime =
    asked ??
    (!runsOn.includes(preferred) ? (runsOn.find((r) => ctx.runtimes.get(r)) ?? preferred) : preferred);
  if (!ctx.runtimes.get(runtime))
    throw new AppError(
      'INVALID_INPUT',
      `runtime: ${runtime} is not available here; valid: ${ctx.runtimes.localKinds().join(', ')}`,
    );
  return runtime;
}

/**
 * The runtime of a new agent on a named engine: the engine's kind. A remote engine enforces the agent's
 * egress policy with its egress proxy (docs/decisions/023-remote-egress.md).
 * @throws AppError INVALID_INPUT for an unknown engine (listing the valid ones), a runtime that is not the
 *   engine's kind, or an engine whose runtime cannot be built (saying why).
 */
function namedRuntime(
  input: { engine?: string; runtime?: RuntimeKind; egress?: string; allow: string[] },
  ctx: CreateContext,
): RuntimeKind {
  const engines = ctx.engines?.() ?? [];
  const named = engines.find((e) => e.id === input.engine);
  if (!named)
    throw new AppError(
      'INVALID_INPUT',
      `engine: "${input.engine}" is not an engine; valid: ${[LOCAL_ENGINE, ...engines.map((e) => e.id)].join(', ')}`,
    );
  if (input.runtime && input.runtime !== named.kind)
    throw new AppError(
      'INVALID_INPUT',
      `runtime: the engine "${named.id}" is ${named.kind}, not ${input.runtime}; leave the runtime out or choose ${named.kind}`,
    );
  if (!ctx.runtimes.get(named.kind, named.id))
    throw new AppError(
      'INVALID_INPUT',
      `engine: "${named.id}" cannot be used: ${ctx.runtimes.refusal(named.id) ?? 'its runtime is not ready'}`,
    );
  return named.kind;
}
