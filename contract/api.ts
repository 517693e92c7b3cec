// The one contract between processes: groups → methods → zod input/output (docs/architecture.md).
import { z } from 'zod';
import { CoreInfo, HealthReport } from './health';
import {
  CatalogEntry,
  Discovery,
  NetworkStatus,
  Provider,
  ProviderAddInput,
  ProviderEditInput,
  ProviderEdited,
  ProviderId,
  ProviderModels,
  ProviderRemoved,
  ProviderTestResult,
} from './providers';
import { Settings, SettingsPatch } from './settings';
import {
  Agent,
  AgentCancelResult,
  AgentChatInput,
  AgentConfigureInput,
  AgentChatResult,
  AgentCreateInput,
  AgentFoldersInput,
  AgentLimitsInput,
  AgentLogs,
  AgentLogsInput,
  AgentRef,
  AgentRemoved,
  AgentThread,
  AgentThreadInput,
  AgentThreads,
  Harness,
  ImageFileInput,
  ImagesBuildInput,
  ImagesStatus,
} from './agents';
import { AgentPolicyInput } from './egress';
import { Engine, EngineAddInput, EngineList, EngineMemberList, EngineRef } from './engines';
import { LlmStatus, LlmTestInput, LlmTestResult } from './llm';
import { SetupFixInput, SetupStatus } from './setup';
import { TracePage, TraceQuery, TraceTotals, TraceTotalsQuery } from './traces';
import {
  Task,
  TaskCreated,
  TaskCreateInput,
  TaskEnableInput,
  TaskHistoryInput,
  TaskListInput,
  TaskRef,
  TaskRun,
  TaskRunRef,
  TaskUpdateInput,
} from './tasks';
import { AgentLimits, LimitsInput, SetLimitsInput, UsageQuery, UsageSummary } from './usage';

/** A method with no input takes `{}` (an empty object); extra fields are refused. */
const NoInput = z.object({}).strict();

/** One contract method: its input and output schemas, and a doc line. */
export interface MethodSpec<I extends z.ZodType = z.ZodType, O extends z.ZodType = z.ZodType> {
  input: I;
  output: O;
  doc: string;
}

function method<I extends z.ZodType, O extends z.ZodType>(
  input: I,
  output: O,
  doc: string,
): MethodSpec<I, O> {
  return { input, output, doc };
}

/**
 * The contract table. From it come the renderer's client type and main's handler type,
 * so a missing handler does not compile. Channel names are `<group>.<method>`; IPC uses
 * `api:<group>.<method>`, HTTP `POST /api/<group>/<method>`.
 */
export const api = {
  system: {
    health: method(
      z.object({ refresh: z.boolean().optional() }).strict(),
      HealthReport,
      'Health of keychain, Docker, Incus, LiteLLM and gateway; `refresh` probes again instead of using the last result.',
    ),
    info: method(NoInput, CoreInfo, 'Version, data dir, mode and schema version of the running core.'),
  },
  // First-run onboarding: checks of the engine, keychain and LiteLLM, one-click fixes, LiteLLM provisioning.
  setup: {
    status: method(
      z.object({ refresh: z.boolean().optional() }).strict(),
      SetupStatus,
      'Onboarding state: every check with its fix, and LiteLLM provisioning progress; `refresh` probes again.',
    ),
    fix: method(
      SetupFixInput,
      SetupStatus,
      'Runs a one-click fix. `provision-litellm` starts in the background and reports on `setup.progress`.',
    ),
    complete: method(NoInput, SetupStatus, 'Marks onboarding as done (it is not shown at start any more).'),
  },
  settings: {
    get: method(NoInput, Settings, 'Current settings.'),
    update: method(SettingsPatch, Settings, 'Changes some settings; answers with all of them.'),
  },
  // Keys go IN through `add`/`edit` (`key`) and never come out: providers carry `key: {state, last4}`.
  // Order matters to test/contract-examples.ts: `add` precedes the methods that need a provider.
  providers: {
    catalog: method(
      NoInput,
      z.array(CatalogEntry),
      'Every provider type that can be added, with its canonical base URL, auth and key policy.',
    ),
    discover: method(
      NoInput,
      Discovery,
      'Probes local model servers on their usual ports (< 1.5 s in all) and reads the usual key env vars. Saves nothing.',
    ),
    list: method(NoInput, z.array(Provider), 'Every configured provider, by name.'),
    add: method(
      ProviderAddInput,
      Provider,
      'Adds a provider; its key goes to the OS keychain only. INVALID_INPUT (unknown type lists the valid ones; bad URL; key missing or not used), CONFLICT (name or id taken), KEYCHAIN_UNAVAILABLE.',
    ),
    get: method(
      z.object({ id: ProviderId }).strict(),
      Provider,
      'One provider. NOT_FOUND when there is no such id.',
    ),
    edit: method(
      ProviderEditInput,
      ProviderEdited,
      'Changes name, base URL or key (`key: null` deletes it). A changed base URL or key resets the status and the model cache. A base URL moved to another origin (scheme, host, port) without a new key removes the key (`key_removed` says why). INVALID_INPUT for plain http:// to a host that needs https://.',
    ),
    test: method(
      z.object({ id: ProviderId }).strict(),
      ProviderTestResult,
      'Probes `{base_url}/models` with the key; a failed probe is an answer (`probe.ok=false`), not an error. Caches the models on success.',
    ),
    models: method(
      z.object({ id: ProviderId, refresh: z.boolean().optional() }).strict(),
      ProviderModels,
      'The cached model list; `refresh` fetches it again (UPSTREAM or TIMEOUT when the provider fails, the cache is kept).',
    ),
    remove: method(
      z.object({ id: ProviderId }).strict(),
      ProviderRemoved,
      'Removes a provider, its cached models and its keychain entry. KEYCHAIN_UNAVAILABLE when its key cannot be deleted.',
    ),
    network: method(
      NoInput,
      NetworkStatus,
      'Whether a route to the internet exists (from the routing table; nothing is sent) and which providers are unreachable. Going offline marks cloud providers `unreachable` once, without probing them.',
    ),
  },
  // LiteLLM supervisor and gateway: the System view's data and its "Test model" action.
  llm: {
    status: method(
      NoInput,
      LlmStatus,
      'LiteLLM state (idle, missing, starting, ready, restarting, failed), port, uptime, last 50 stderr lines; gateway state and URL.',
    ),
    testModel: method(
      LlmTestInput,
      LlmTestResult,
      'Sends a tiny prompt to a served model through LiteLLM; a failed call is an answer (`ok: false`). NOT_FOUND when LiteLLM serves and the model is not one of its models.',
    ),
  },
  // Agents (issues 5, 6): deploy into a container with real phases; start, stop, restart, archive, restore, purge.
  // `create` answers at once with the record in `creating`; progress arrives as `agents.changed` and
  // `agents.progress` events. Order matters to test/contract-examples.ts.
  agents: {
    list: method(NoInput, z.object({ agents: z.array(Agent) }), 'Every agent, newest first.'),
    create: method(
      AgentCreateInput,
      Agent,
      'Validates and records an agent, then deploys it in the background. INVALID_INPUT names the field and the valid values (harnesses, providers, runtimes, the models and memory the harness supports) and records nothing; CONFLICT when the name is taken.',
    ),
    get: method(AgentRef, Agent, 'One agent. NOT_FOUND lists nothing secret.'),
    start: method(
      AgentRef,
      Agent,
      'Starts a stopped or failed agent (a failed deploy is retried from the start).',
    ),
    stop: method(AgentRef, Agent, 'Stops the agent (SIGTERM, killed after 10 s).'),
    restart: method(AgentRef, Agent, 'Stops then starts the agent.'),
    configure: method(
      AgentConfigureInput,
      Agent,
      'Sets the agent’s system prompt, temperature and whether tools are offered; a running agent is restarted to apply them. INVALID_INPUT names the field.',
    ),
    logs: method(AgentLogsInput, AgentLogs, 'The last lines its container wrote.'),
    archive: method(
      AgentRef,
      Agent,
      'Stops the agent, renames its container agentdesk-archived-<slug>-<UTC time>, moves its folder to archive/, revokes its key. A failed rename leaves it live.',
    ),
    restore: method(
      AgentRef,
      Agent,
      'Brings an archived agent back (a taken name becomes <slug>-2, -3 …) with a new virtual key, then starts it.',
    ),
    chat: method(
      AgentChatInput,
      AgentChatResult,
      'Sends a message; the turn streams as `agents.turn` events and the answer comes when it ends. Records message_in and message_out.',
    ),
    threads: method(
      AgentRef,
      AgentThreads,
      'The agent’s conversation threads, newest first, those that exist only through failed turns included.',
    ),
    thread: method(
      AgentThreadInput,
      AgentThread,
      'One thread’s messages, and its failed turns (their message and error, read from the agent’s trace).',
    ),
    cancel: method(
      AgentThreadInput,
      AgentCancelResult,
      'Stops the turn running in a thread: the runtime cancels it and the turn ends with the error “stopped by the user” (traced). cancelled = false when none runs.',
    ),
    purge: method(
      AgentRef,
      AgentRemoved,
      'Removes the agent for good: container, files, virtual key and record. Tolerates a missing container or folder. Never touches its shared folders.',
    ),
    folders: method(
      AgentFoldersInput,
      Agent,
      'Adds (or changes the mode of) and removes shared host folders; a running agent is recreated with them and started again (progress as `agents.progress`). INVALID_INPUT names a blocked folder and the rule.',
    ),
    policy: method(
      AgentPolicyInput,
      Agent,
      'Changes the egress policy (mode, allowlist entries to add or remove); a running agent gets it at once, without a redeploy. INVALID_INPUT names a bad entry or one to remove that is not listed.',
    ),
    limits: method(
      AgentLimitsInput,
      Agent,
      'Changes the memory limit (MiB), CPUs or pids limit; a running agent is recreated with them and started again. INVALID_INPUT when the memory is below its harness’s minimum (naming it); CONFLICT while busy or archived.',
    ),
  },
  // Trace events of agents (stored as is: docs/decisions/006-trace-store.md). Live: `traces.event`.
  traces: {
    list: method(
      TraceQuery,
      TracePage,
      'One page of trace events (all live agents without `agent_id`), ordered by created_at then id; filters: time range, kinds, thread_id, trace_id. INVALID_INPUT for a cursor of another query.',
    ),
    totals: method(
      TraceTotalsQuery,
      TraceTotals,
      'Per-agent totals of one UTC day (default today) over its llm_call events: tokens in/out, cost (null when no call had a price), calls, errors. Without `agent_ids`, every live agent. NOT_FOUND for an unknown agent id.',
    ),
  },
  harnesses: {
    list: method(
      NoInput,
      z.object({ harnesses: z.array(Harness) }),
      'Harnesses an agent can run, with what each supports (API shapes, engines, models, memory).',
    ),
  },
  // The base image agents run from, built offline (debootstrap) or imported from a tarball.
  images: {
    status: method(NoInput, ImagesStatus, 'Whether the base image is present in Docker and in Incus.'),
    build: method(
      ImagesBuildInput,
      ImagesStatus,
      'Builds the base image (minutes; progress as `images.progress` events) and imports it into the runtimes; with `harness`, that harness’s image FROM it. INVALID_INPUT for an unknown harness or one with no image of its own.',
    ),
    export: method(
      ImageFileInput,
      z.object({ file: z.string(), bytes: z.number().int() }),
      'Writes the base image to a tarball.',
    ),
    import: method(
      ImageFileInput,
      ImagesStatus,
      'Imports the base image from a tarball made by `images.export`.',
    ),
  },
  // Unattended runs of agents (cron, interval, once, webhook) and their history. Live: `tasks.changed`, `tasks.run`.
  tasks: {
    list: method(
      TaskListInput,
      z.object({ tasks: z.array(Task) }),
      'Every task (or one agent’s), with its next run and last result.',
    ),
    get: method(TaskRef, Task, 'One task.'),
    create: method(
      TaskCreateInput,
      TaskCreated,
      'Adds a task. INVALID_INPUT names a bad cron expression or time zone with a valid example. A webhook task’s URL with its secret is in the answer only.',
    ),
    update: method(TaskUpdateInput, Task, 'Changes a task; the next run is computed again.'),
    remove: method(
      TaskRef,
      z.object({ id: z.string(), removed: z.boolean() }),
      'Removes a task and its history; a running run is cancelled.',
    ),
    setEnabled: method(TaskEnableInput, Task, 'Enables (next run computed from now) or disables a task.'),
    run: method(
      TaskRef,
      TaskRun,
      'Queues a run now (it waits for the agent’s current run, or is skipped, per the task’s policy).',
    ),
    cancel: method(TaskRunRef, TaskRun, 'Cancels a queued or running run. CONFLICT when it has ended.'),
    history: method(
      TaskHistoryInput,
      z.object({ runs: z.array(TaskRun) }),
      'Runs, newest first, filtered by task, agent, status and time.',
    ),
    rotateSecret: method(
      TaskRef,
      TaskCreated,
      'Gives a webhook task a new secret (the old URL stops working); the new URL is in the answer only.',
    ),
  },
  // Spend limits of agents, enforced by the gateway before a call goes out, and usage totals.
  usage: {
    summary: method(
      UsageQuery,
      UsageSummary,
      'Calls, tokens and USD per local day, agent and model (the model that answered), with today’s and this month’s totals.',
    ),
    limits: method(
      LimitsInput,
      z.object({ limits: z.array(AgentLimits) }),
      'Each agent’s budgets (USD/day, USD/month) and requests/minute, with its spending against them.',
    ),
    setLimits: method(
      SetLimitsInput,
      AgentLimits,
      'Changes an agent’s limits (`null` = the Settings default); effective on its next call.',
    ),
  },
  // Named engines beside the local ones. PEM text goes IN through `add` and never comes out (fingerprints only).
  // Order matters to test/contract-examples.ts: `add` precedes `test` and `remove`.
  engines: {
    list: method(
      NoInput,
      EngineList,
      'Every named engine (the local ones are not listed: `local` always exists), with its health and fingerprints.',
    ),
    add: method(
      EngineAddInput,
      Engine,
      'Adds a named engine: Docker over ssh:// or tcp+TLS (PEM texts), an Incus remote over HTTPS (trust token); probed at once. INVALID_INPUT (the field and what is valid), CONFLICT (id taken), UPSTREAM (the Incus remote refused the token).',
    ),
    test: method(EngineRef, Engine, 'Probes a named engine now. NOT_FOUND.'),
    members: method(
      EngineRef,
      EngineMemberList,
      'The cluster members of an Incus engine (where `agents.create` may place an agent with `member`); empty for a Docker engine or a server that is not a cluster. NOT_FOUND; UNAVAILABLE when the engine does not answer.',
    ),
    remove: method(
      EngineRef,
      z.object({ id: z.string() }),
      'Removes a named engine and its files. CONFLICT while any agent (archived included) is on it, naming them; NOT_FOUND.',
    ),
  },
} as const;

export type Api = typeof api;
export type GroupName = keyof Api;
export type MethodName<G extends GroupName> = keyof Api[G] & string;

/** `<group>.<method>` for every method in the table. */
export type Channel = { [G in GroupName]: `${G}.${MethodName<G>}` }[GroupName];

type Spec<G extends GroupName, M extends MethodName<G>> = Api[G][M] extends MethodSpec ? Api[G][M] : never;

/** What a caller passes (before zod defaults and transforms). */
export type InputOf<G extends GroupName, M extends MethodName<G>> = z.input<Spec<G, M>['input']>;
/** What a handler receives (after parsing). */
export type ParsedInputOf<G extends GroupName, M extends MethodName<G>> = z.output<Spec<G, M>['input']>;
/** What a handler returns and a caller receives. */
export type OutputOf<G extends GroupName, M extends MethodName<G>> = z.output<Spec<G, M>['output']>;

/** Lists every channel of the table, in table order. */
export function listChannels(): Channel[] {
  const out: string[] = [];
  for (const [group, methods] of Object.entries(api)) {
    for (const name of Object.keys(methods)) out.push(`${group}.${name}`);
  }
  return out as Channel[];
}

/** Looks up a method spec by channel name; `undefined` when there is no such method. */
export function findMethod(channel: string): MethodSpec | undefined {
  const dot = channel.indexOf('.');
  if (dot <= 0) return undefined;
  const group = channel.slice(0, dot);
  const name = channel.slice(dot + 1);
  if (!Object.prototype.hasOwnProperty.call(api, group)) return undefined;
  const methods = api[group as GroupName] as Record<string, MethodSpec>;
  return Object.prototype.hasOwnProperty.call(methods, name) ? methods[name] : undefined;
}
