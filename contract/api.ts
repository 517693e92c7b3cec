// The one contract between processes: groups → methods → zod input/output (ARCHITECTURE §4).
import { z } from 'zod';
import {
  CatalogEntry,
  CoreInfo,
  Discovery,
  HealthReport,
  Provider,
  ProviderAddInput,
  ProviderEditInput,
  ProviderId,
  ProviderModels,
  ProviderRemoved,
  ProviderTestResult,
  Settings,
  SettingsPatch,
} from './models';
import { LlmStatus, LlmTestInput, LlmTestResult } from './llm';

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
      Provider,
      'Changes name, base URL or key (`key: null` deletes it). A changed base URL or key resets the status and the model cache.',
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
  },
  // LiteLLM supervisor and gateway (issue 4): the System view's data and its "Test model" action.
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

/** IPC channel prefix for contract calls. */
export const API_CHANNEL_PREFIX = 'api:';
/** IPC channel prefix for push events. */
export const EVENT_CHANNEL_PREFIX = 'evt:';
