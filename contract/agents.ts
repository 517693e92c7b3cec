// Shapes of the `agents`, `harnesses` and `images` groups: agent records, phases, deploy progress, images.
import { z } from 'zod';
import { AgentEgress, AllowList, EgressMode } from './egress';
import { AGENT_NAME_MAX, AGENT_RANGES } from './ranges';
import { RpmLimit, UsdLimit } from './usage';
import { MemberName } from './engines';

/**
 * The phase of an agent. Deploy: `creating → provisioning (image) →
 * starting → verifying → running`; `stopping → stopped`; `failed` (with reason and log lines);
 * `archiving → archived`, `restoring`, `purging`.
 */
export const AgentPhase = z.enum([
  'creating',
  'provisioning',
  'starting',
  'verifying',
  'running',
  'stopping',
  'stopped',
  'failed',
  'archiving',
  'archived',
  'restoring',
  'purging',
]);
export type AgentPhase = z.infer<typeof AgentPhase>;

/** The deploy phases in order, for progress bars. */
export const DEPLOY_PHASES = ['creating', 'provisioning', 'starting', 'verifying', 'running'] as const;

/** Container engines an agent can run in. */
export const RuntimeKindSchema = z.enum(['docker', 'incus']);

/** An agent id (UUID v4 as the core makes them). */
export const AgentId = z.string().uuid('must be an agent id (a UUID, see `agents.list`)');

/** How an agent may use a shared host folder: read-only (the default) or read-write. */
export const FolderMode = z.enum(['ro', 'rw']);

/** A host folder to give an agent (`agents.create`, `agents.folders`): an absolute path on the core's machine. */
export const FolderGrant = z
  .object({
    path: z
      .string()
      .min(1)
      .max(4096)
      .refine((p) => p.startsWith('/') || /^[A-Za-z]:[\\/]/.test(p), 'must be an absolute path'),
    mode: FolderMode.default('ro'),
  })
  .strict();
export type FolderGrant = z.input<typeof FolderGrant>;

/** A host folder an agent has, with where its container sees it. */
export const SharedFolder = z.object({
  /** The real path on the core's machine (links resolved when it was granted). */
  path: z.string(),
  mode: FolderMode,
  /** Where the agent sees it, `/shared/<name>` (docs/security/containment.md). */
  mount: z.string(),
});
export type SharedFolder = z.infer<typeof SharedFolder>;

/** An agent as the UI and CLI see it. Holds no key: only the virtual key's 8-character prefix. */
export const Agent = z.object({
  id: z.string(),
  /** Lowercase, digits and dashes; unique among agents that are not archived; names the container. */
  slug: z.string(),
  name: z.string(),
  emoji: z.string(),
  /** The harness it runs (`harnesses.list`): `builtin`, `openclaw`, `claude-code`, `codex` … */
  harness: z.string(),
  runtime: RuntimeKindSchema,
  /** `<provider-id>/<model-id>`, as LiteLLM serves it. */
  model: z.string(),
  /** Tried in order when the model fails (scope of the virtual key includes them). */
  fallbacks: z.array(z.string()),
  memory_mib: z.number().int(),
  cpus: z.number(),
  phase: AgentPhase,
  /** Why the agent is in its phase (e.g. the failure), one line; `null` when there is nothing to say. */
  phase_reason: z.string().nullable(),
  /** UTC ms of the last phase change. */
  phase_at: z.number().int(),
  /** On `failed`: the last log lines of the container (up to 50), oldest first. */
  failed_log: z.array(z.string()),
  /** Container name in its runtime (`agentdesk-<slug>`). */
  container: z.string(),
  /**
   * Host port on 127.0.0.1 where the agent's runtime is published; `null` while not running and
   * whenever the engine lets the core reach it without one (see `runtime_endpoint`).
   */
  runtime_port: z.number().int().nullable(),
  /**
   * Where the core reaches the agent's runtime (`http://<container address>:8100`, `unix:<socket>` or a
   * `http://127.0.0.1:<port>` fallback); `null` while not running. Only the core holds its credential.
   */
  runtime_endpoint: z.string().nullable(),
  /** Most processes and threads its container may hold. */
  pids_limit: z.number().int(),
  /** Host folders the agent has, with their mount paths. */
  folders: z.array(SharedFolder),
  /** First 8 random characters of the live virtual key (`sk-agentdesk-XXXXXXXX…`), `null` when none. */
  key_prefix: z.string().nullable(),
  created_at: z.number().int(),
  /** UTC ms when the agent last entered `running`; `null` while it is not running. */
  running_since: z.number().int().nullable(),
  /** UTC ms of the archive, while `archived`; `null` otherwise. */
  archived_at: z.number().int().nullable(),
  /** What the agent may reach besides its gateway (contract/egress.ts). */
  egress: AgentEgress,
  /** The engine it runs on: `local` (this machine) or a named engine's id (`engines.list`). */
  engine: z.string(),
  /** The engine's name as shown (`This machine` for `local`). */
  engine_name: z.string(),
  /** Incus cluster: the member the agent's container is on; `null` when unknown or not a cluster. */
  member: z.string().nullable(),
  /**
   * Whether the core reaches its engine now. `unreachable` is a state of the view, not a phase: nothing is
   * rolled back or removed because of an outage, and the agent is reconciled when its engine answers.
   */
  engine_state: z.enum(['reachable', 'unreachable']),
  /** The agent's own system prompt; `null` = the harness's built-in one. */
  system_prompt: z.string().nullable(),
  /** Sampling temperature sent with each model call; `null` = the model's default. */
  temperature: z.number().nullable(),
  /** Whether the agent's tools are offered to the model (off = a plain chat). */
  tools: z.boolean(),
});
export type Agent = z.infer<typeof Agent>;

/** A system prompt as typed: at most 20 000 characters; blank = the built-in one. */
export const SystemPrompt = z.string().max(20_000, 'the system prompt is longer than 20 000 characters');

/** A sampling temperature: 0 (most predictable) to 2. */
export const Temperature = z
  .number()
  .min(0, 'the temperature must be from 0 to 2')
  .max(2, 'the temperature must be from 0 to 2');

/** A name as typed: 1–64 characters after trimming, no control characters. */
export const AgentName = z
  .string()
  .trim()
  .min(1, 'the name is empty')
  .max(AGENT_NAME_MAX, `the name is longer than ${AGENT_NAME_MAX} characters`)
  // eslint-disable-next-line no-control-regex
  .regex(/^[^\u0000-\u001f\u007f]+$/, 'the name contains control characters')
  // A name is what people tell agents apart by ("!!!" or "🦊" alone says nothing): any script's letters count.
  .regex(/[\p{L}\p{N}]/u, 'the name needs at least one letter or digit');

/**
 * Input of `agents.create`. Defaults: the harness's emoji and memory, the settings' runtime (or one the
 * harness runs on), 1 CPU. A harness that does not support the runtime, the model or the memory limit
 * refuses the agent (INVALID_INPUT naming what it supports) and nothing is recorded.
 */
export const AgentCreateInput = z
  .object({
    name: AgentName,
    /** One emoji (a grapheme cluster); default = the harness's. */
    emoji: z.string().min(1).max(32).optional(),
    /** The harness to run (`harnesses.list`). */
    harness: z.string().min(1).default('builtin'),
    runtime: RuntimeKindSchema.optional(),
    /**
     * The engine to run on (`engines.list`): default `local`, this machine's. A named engine fixes the
     * runtime (its kind); egress allow-lists are refused on named engines.
     */
    engine: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]{0,31}$/, 'must be `local` or an engine id (see `engines.list`)')
      .optional(),
    /**
     * Incus cluster engines: the member to place the agent on (`engines.members`); absent = the engine's
     * member, else Incus places it. Refused on this machine's engine, a Docker engine, or a member the
     * engine does not list.
     */
    member: MemberName.optional(),
    model: z.string().min(3, 'must be `<provider-id>/<model-id>`'),
    fallbacks: z.array(z.string().min(3)).max(5).default([]),
    /** Memory limit, MiB; default = the harness's default, at least its minimum. */
    memory_mib: z.number().int().min(AGENT_RANGES.memory_mib.min).max(AGENT_RANGES.memory_mib.max).optional(),
    cpus: z.number().min(AGENT_RANGES.cpus.min).max(AGENT_RANGES.cpus.max).default(1),
    /** Egress mode; default `allowlist` when `allow` has entries, else `none` (gateway only). */
    egress: EgressMode.optional(),
    /** Hosts, domains or addresses the agent may reach in `allowlist` mode (`HOST[:PORT]`). */
    allow: AllowList.default([]),
    /** Host folders to mount (read-only unless `mode: "rw"`); blocked ones are refused, naming the rule. */
    folders: z.array(FolderGrant).max(16).default([]),
    /** Most processes and threads the container may hold (a fork bomb stops there). */
    pids_limit: z
      .number()
      .int()
      .min(AGENT_RANGES.pids_limit.min)
      .max(AGENT_RANGES.pids_limit.max)
      .default(512),
    /** Spend limits (contract/usage.ts); omitted = the Settings defaults. */
    budget_day_usd: UsdLimit.optional(),
    budget_month_usd: UsdLimit.optional(),
    rpm: RpmLimit.optional(),
    /** The agent's own system prompt (blank or absent = the built-in one). */
    system_prompt: SystemPrompt.optional(),
    /** Sampling temperature (absent = the model's default). */
    temperature: Temperature.optional(),
    /** Whether tools are offered to the model (default true). */
    tools: z.boolean().default(true),
  })
  .strict();
export type AgentCreateInput = z.input<typeof AgentCreateInput>;

/** Input of `agents.folders`: folders to add (or change the mode of) and host paths to remove. */
export const AgentFoldersInput = z
  .object({
    id: AgentId,
    add: z.array(FolderGrant).max(16).default([]),
    remove: z.array(z.string().min(1).max(4096)).max(16).default([]),
  })
  .strict();
export type AgentFoldersInput = z.input<typeof AgentFoldersInput>;

/**
 * Input of `agents.configure`: the agent's instructions and sampling. A field left out keeps its value;
 * `null` resets it (the built-in prompt, the model's temperature).
 */
export const AgentConfigureInput = z
  .object({
    id: AgentId,
    system_prompt: SystemPrompt.nullable().optional(),
    temperature: Temperature.nullable().optional(),
    tools: z.boolean().optional(),
  })
  .strict();
export type AgentConfigureInput = z.input<typeof AgentConfigureInput>;

/** `{id}` input of per-agent methods. */
export const AgentRef = z.object({ id: AgentId }).strict();

/** Input of `agents.logs`. */
export const AgentLogsInput = z
  .object({ id: AgentId, tail: z.number().int().min(1).max(5000).default(200) })
  .strict();

/** Output of `agents.logs`. */
export const AgentLogs = z.object({ id: z.string(), lines: z.array(z.string()) });

/** Output of `agents.purge`: what was removed (orphans are tolerated). */
export const AgentRemoved = z.object({
  id: z.string(),
  container_removed: z.boolean(),
  files_removed: z.boolean(),
  key_revoked: z.boolean(),
});

/** `agents.changed` event: every agent, as `agents.list` answers. */
export const AgentsChanged = z.object({ agents: z.array(Agent) });

/** `agents.progress` event: a step inside a phase (image build, waiting for health …). */
export const AgentProgress = z.object({
  id: z.string(),
  phase: AgentPhase,
  /** 0–1 within the whole deploy, or `null` when unknown. */
  fraction: z.number().min(0).max(1).nullable(),
  message: z.string(),
});
export type AgentProgress = z.infer<typeof AgentProgress>;

/** A harness an agent can run (main/services/harnesses/<id>/manifest.json, docs/harnesses.md). */
export const Harness = z.object({
  id: z.string(),
  label: z.string(),
  description: z.string(),
  /** Default emoji of its agents. */
  emoji: z.string(),
  /** Its own version (the pinned npm package's for Claude Code, Codex, OpenClaw). */
  version: z.string(),
  /** The image its containers run from. */
  image: z.string(),
  /** Model APIs it calls the gateway with: `openai-chat`, `openai-responses`, `anthropic-messages`. */
  api_shapes: z.array(z.string()),
  /** Container engines it runs on. */
  engines: z.array(RuntimeKindSchema),
  /** Served models it accepts: `"any"`, or patterns such as `scripted/*`. */
  models: z.union([z.literal('any'), z.array(z.string())]),
  /** Memory its container needs, MiB: refused below `min_mib`; `default_mib` when none is given. */
  memory: z.object({ min_mib: z.number().int(), default_mib: z.number().int() }),
  /** Whether it applies an agent's own system prompt, temperature and tools switch (else they are refused). */
  instructions: z.boolean(),
});
export type Harness = z.infer<typeof Harness>;

/** Input of `agents.limits`: a new memory limit (MiB), CPUs or pids limit; the others are kept. */
export const AgentLimitsInput = z
  .object({
    id: AgentId,
    memory_mib: z.number().int().min(AGENT_RANGES.memory_mib.min).max(AGENT_RANGES.memory_mib.max).optional(),
    cpus: z.number().min(AGENT_RANGES.cpus.min).max(AGENT_RANGES.cpus.max).optional(),
    pids_limit: z.number().int().min(AGENT_RANGES.pids_limit.min).max(AGENT_RANGES.pids_limit.max).optional(),
  })
  .strict();
export type AgentLimitsInput = z.input<typeof AgentLimitsInput>;

/** Presence of one image in one runtime: the base image, or a harness's image built from it. */
export const ImageState = z.object({
  runtime: RuntimeKindSchema,
  /** The harness whose image it is; `null` for the base image. */
  harness: z.string().nullable(),
  ref: z.string(),
  /** `null` when the runtime could not be asked (its detail says why). */
  present: z.boolean().nullable(),
  building: z.boolean(),
  detail: z.string(),
});

/** Output of `images.status`. */
export const ImagesStatus = z.object({ images: z.array(ImageState) });

/**
 * Input of `images.build`: the base image into `runtimes` (default: every reachable one), or with
 * `harness` that harness's image (built FROM the base image, in the engines it runs on).
 */
export const ImagesBuildInput = z
  .object({
    runtimes: z.array(RuntimeKindSchema).min(1).optional(),
    harness: z.string().min(1).max(32).optional(),
  })
  .strict();

/** Input of `images.import` / `images.export`: an absolute path of a tarball on the core's machine. */
export const ImageFileInput = z
  .object({
    file: z
      .string()
      .min(1)
      .refine((p) => p.startsWith('/') || /^[A-Za-z]:[\\/]/.test(p), 'must be an absolute path'),
    runtimes: z.array(RuntimeKindSchema).min(1).optional(),
  })
  .strict();

/** `images.progress` event. */
export const ImageProgress = z.object({
  step: z.string(),
  fraction: z.number().min(0).max(1).nullable(),
  message: z.string(),
});

/** Input of `agents.chat`: one message to the agent; the turn streams as `agents.turn` events. */
export const AgentChatInput = z
  .object({
    id: AgentId,
    // Refused here, before the runtime or the trace sees it: a blank message asks nothing.
    text: z
      .string()
      .max(100_000, 'the message is longer than 100,000 characters')
      .refine((t) => t.trim() !== '', 'the message is empty: write something to send'),
    /** Continue this thread; omitted = a new thread. */
    thread_id: z.string().min(1).max(128).optional(),
  })
  .strict();

/** Output of `agents.chat`, when the turn has ended. */
export const AgentChatResult = z.object({
  thread_id: z.string(),
  turn_id: z.string(),
  /** The final reply, `null` when the turn ended with an error. */
  reply: z.string().nullable(),
  /** The turn's error (step limit, model failure …), `null` on success. */
  error: z.string().nullable(),
});

/** `agents.turn` event: one event of a running turn, as the runtime streamed it (resources/agent-runtime/PROTOCOL.md). */
export const AgentTurnEvent = z.object({
  agent_id: z.string(),
  thread_id: z.string(),
  turn_id: z.string(),
  /** `turn`, `text`, `tool_call`, `tool_result`, `error`, `done`. */
  event: z.string(),
  data: z.record(z.string(), z.unknown()),
});

/** Input of `agents.thread`. */
export const AgentThreadInput = z.object({ id: AgentId, thread_id: z.string().min(1).max(128) }).strict();

/** Output of `agents.cancel`: whether a turn was running in the thread (and is now stopped). */
export const AgentCancelResult = z.object({ cancelled: z.boolean() });

/**
 * A turn of a thread that ended in an error and has no reply, read from the agent's trace (its
 * `message_in` and last `error` event). `message` = the error as it was shown live; `source` = who
 * reported it (`relay`: the core could not reach or follow the runtime; `runtime`: the runtime's own
 * error). Placement among the stored messages: `anchor` = how many user messages of `messages` come
 * before the failure's rows; `in_thread` = the runtime stored the message itself (it is the
 * `anchor`-th user message, so only the error is added), else the message is shown before the error.
 */
export const AgentFailedTurn = z.object({
  turn_id: z.string(),
  text: z.string(),
  message: z.string(),
  source: z.enum(['relay', 'runtime']),
  /** When it failed, UTC ms. */
  at: z.number().int(),
  anchor: z.number().int().min(0),
  in_thread: z.boolean(),
});

/**
 * A thread as the chat pane shows it: messages in OpenAI format (user, assistant with tool_calls, tool),
 * and its failed turns (oldest first; absent = none).
 */
export const AgentThread = z.object({
  thread_id: z.string(),
  messages: z.array(z.record(z.string(), z.unknown())),
  failed: z.array(AgentFailedTurn).optional(),
});

/**
 * Output of `agents.threads`: the agent's threads, newest first, those that exist only through failed
 * turns (the runtime never stored them) included.
 */
export const AgentThreads = z.object({
  threads: z.array(z.object({ thread_id: z.string(), updated_at: z.number().int(), title: z.string() })),
});
