// Providers: add, edit, remove, test and model refresh over the repository, the key store and the probe.
import { AppError } from '../../../contract/errors';
import type {
  CatalogEntry,
  Discovery,
  ProbeOutcome,
  Provider,
  ProviderAddInput,
  ProviderEdited,
  ProviderEditInput,
  ProviderModels,
  ProviderRemoved,
  NetworkStatus,
  ProviderTestResult,
} from '../../../contract/providers';
import type { Logger } from '../../platform/logging';
import type { SecretRedactor } from '../../platform/secret-redactor';
import type { KeyLookup, ProviderKeys } from '../secrets/provider-keys';
import { providerAccount, providerKeyEnvVar } from '../secrets/secret-store';
import type { KeychainUnavailableError } from '../secrets/secret-store';
import { checkPlainHttp, normaliseBaseUrl, originOf, slugify } from './base-url';
import { CATALOG, catalogEntry, findCatalogEntry, litellmModelOf } from './catalog';
import type { CatalogRecord } from './catalog';
import { discover } from './discovery';
import { incomingKey } from './incoming-key';
import { probeModels } from './model-probe';
import type { ProbeResult } from './model-probe';
import { isLoopbackUrl, readNetworkRoute } from './network-status';
import type { NetworkRoute } from './network-status';
import { envRefusal, statusOf, toProvider, UNREACHABLE_PREFIX } from './provider-dto';
import { noKey, offlineDetail, unreachable } from './probe-results';
import { envKeyRefusedFor } from './provider-repository';
import type { ProviderRepository, ProviderRow } from './provider-repository';

/** What the provider service needs. */
export interface ProviderServiceDeps {
  repo: ProviderRepository;
  keys: ProviderKeys;
  redactor: SecretRedactor;
  log: Logger;
  /** Called with every provider after each change (the `providers.changed` event). */
  onChange?: (providers: Provider[]) => void;
  /** Deadline of a test probe, in ms (default 10 000). */
  probeTimeoutMs?: number;
  /** The core's environment, for `key_from_env`, `AGENTDESK_KEY_<ID>` and discovery ). */
  env: Readonly<NodeJS.ProcessEnv>;
  /** Reads whether a route to the internet exists (default {@link readNetworkRoute}; never sends anything). */
  networkRoute?: () => NetworkRoute;
}

/** Probe failures that mean "could not reach it" rather than "it answered wrong": reported as `unreachable`. */
const UNREACHABLE_KINDS: ReadonlySet<ProbeOutcome['kind']> = new Set([
  'dns',
  'refused',
  'timeout',
  'network',
]);

/**
 * The providers domain. Keys go in through {@link add}/{@link edit} and never come out:
 * DTOs carry the key's state and last 4 characters only. Errors are AppErrors with contract codes:
 * INVALID_INPUT, NOT_FOUND, CONFLICT, KEYCHAIN_UNAVAILABLE, UPSTREAM, TIMEOUT.
 */
export class ProviderService {
  private readonly env: Readonly<NodeJS.ProcessEnv>;
  private readonly route: () => NetworkRoute;
  /** The last route read by {@link network}; `null` before the first. */
  private lastOnline: boolean | null = null;

  constructor(private readonly deps: ProviderServiceDeps) {
    this.env = deps.env;
    this.route = deps.networkRoute ?? (() => readNetworkRoute());
  }

  /** The catalog of addable types. */
  catalog(): CatalogEntry[] {
    return CATALOG.map((e) => ({ ...e }));
  }

  /** Every provider, by name, with key states read from the keychain (or env). */
  async list(): Promise<Provider[]> {
    const counts = this.deps.repo.modelCounts();
    const memo: { error?: KeychainUnavailableError } = {};
    const out: Provider[] = [];
    for (const row of this.deps.repo.list()) out.push(await this.dto(row, counts.get(row.id) ?? 0, memo));
    return out;
  }

  /** One provider. @throws AppError NOT_FOUND */
  async get(id: string): Promise<Provider> {
    const row = this.row(id);
    return this.dto(row, this.deps.repo.models(id).length);
  }

  /** Local servers and env keys that could be added; saves nothing. */
  discover(): Promise<Discovery> {
    return discover({ known: this.deps.repo.list(), redactor: this.deps.redactor, env: this.env });
  }

  /**
   * Adds a provider. The key (given, or imported from `key_from_env`) is stored in the keychain
   * before the row is written; when the keychain is unavailable nothing is saved. Probes the models
   * afterwards unless `probe: false` (a failed probe is recorded in the status, not thrown).
   * @throws AppError INVALID_INPUT (unknown type listing valid ones, bad URL, key rules), CONFLICT
   *   (name or id taken), KEYCHAIN_UNAVAILABLE.
   */
  async add(input: ProviderAddInput): Promise<Provider> {
    this.deps.redactor.add(input.key);
    const entry = catalogEntry(input.type);
    const baseUrl = normaliseBaseUrl(input.base_url || entry.base_url, entry.label);
    checkPlainHttp(baseUrl, entry);
    const name = input.name ?? entry.label;
    const id = input.id ?? slugify(name, entry.type);
    const byId = this.deps.repo.get(id);
    if (byId)
      throw new AppError(
        'CONFLICT',
        `A provider with id "${id}" already exists ("${byId.name}"). Choose another name or id.`,
        {
          field: 'id',
        },
      );
    this.checkName(name);
    const key = this.incomingKey(entry, input);
    const envVar = providerKeyEnvVar(id);
    if (!key && entry.key === 'required' && !this.env[envVar]?.trim())
      throw new AppError(
        'INVALID_INPUT',
        `${entry.label} needs an API key: give one (it is stored in the OS keychain), or set ${envVar} in the environment of the core for this run.`,
        { field: 'key', env_var: envVar },
      );
    if (key) await this.deps.keys.store(id, key);
    const now = Date.now();
    try {
      this.deps.repo.insert({
        id,
        type: entry.type,
        name,
        base_url: baseUrl,
        env_key_origin: originOf(baseUrl),
        key_ref: key ? providerAccount(id) : null,
        status: 'unknown',
        status_detail: '',
        checked_at: null,
        models_fetched_at: null,
        created_at: now,
        updated_at: now,
      });
    } catch (err) {
      if (key) await this.deps.keys.delete(id).catch(() => false);
      throw err;
    }
    this.deps.log.info({ provider: id, type: entry.type, keyStored: Boolean(key) }, 'provider added');
    if (input.probe !== false) return (await this.test(id)).provider;
    await this.changed();
    return this.get(id);
  }

  /**
   * Changes name, base URL or key. `key: null` deletes the stored key. A new base URL or key resets
   * the status and the model cache and probes again (unless `probe: false`).
   * A key belongs to the origin (scheme, host, port) it was given for: when the base URL's origin
   * changes and no new key comes with the edit, the stored key is deleted from the keychain, so the
   * re-probe and LiteLLM never send it to the new host; `key_removed` says so. `AGENTDESK_KEY_<ID>`
   * stays with the origin recorded in `env_key_origin` (the one the provider was added for, or the one
   * it leaves now on a row from before migration 008): it is not used for another origin, after a
   * restart too, until `accept_env_key` ties it to the current one (the variable must be set).
   * Plain `http://` follows {@link checkPlainHttp}.
   * @throws AppError NOT_FOUND, INVALID_INPUT, CONFLICT, KEYCHAIN_UNAVAILABLE (nothing is changed then).
   */
  async edit(input: ProviderEditInput): Promise<ProviderEdited> {
    this.deps.redactor.add(input.key);
    const row = this.row(input.id);
    const entry = this.entryOf(row);
    const patch: Partial<ProviderRow> = {};
    if (input.name !== undefined && input.name !== row.name) {
      this.checkName(input.name, row.id);
      patch.name = input.name;
    }
    if (input.base_url !== undefined) {
      const url = normaliseBaseUrl(input.base_url, entry.label);
      checkPlainHttp(url, entry);
      if (url !== row.base_url) patch.base_url = url;
    }
    const newOrigin =
      patch.base_url !== undefined && originOf(patch.base_url) !== originOf(row.base_url)
        ? originOf(patch.base_url)
        : null;
    let keyChanged = false;
    let keyRemoved: string | null = null;
    const key = input.key === null ? null : this.incomingKey(entry, input);
    if (key) {
      await this.deps.keys.store(row.id, key);
      patch.key_ref = providerAccount(row.id);
      keyChanged = true;
    } else if (input.key === null || (newOrigin && row.key_ref)) {
      if (row.key_ref) await this.deps.keys.delete(row.id);
      patch.key_ref = null;
      keyChanged = row.key_ref !== null;
    }
    const envVar = providerKeyEnvVar(row.id);
    if (input.accept_env_key) {
      if (!(await this.deps.keys.envSet(row.id)))
        throw new AppError(
          'INVALID_INPUT',
          `${envVar} is not set in the environment of the core, so there is no environment key to accept; set it where the core is started, restart it, and accept it then.`,
          { field: 'accept_env_key', env_var: envVar },
        );
      patch.env_key_origin = originOf(patch.base_url ?? row.base_url);
      keyChanged ||= patch.env_key_origin !== row.env_key_origin;
    } else if (newOrigin && row.env_key_origin === null) patch.env_key_origin = originOf(row.base_url);
    if (newOrigin) {
      const envOrigin = patch.env_key_origin ?? row.env_key_origin;
      const envLeft = envOrigin !== newOrigin && (await this.deps.keys.envSet(row.id));
      if (!key && (row.key_ref || envLeft))
        keyRemoved = `The key was removed because the base URL moved from ${originOf(row.base_url)} to ${newOrigin}: a key is only sent to the host it was given for.${envLeft ? ` ${envVar} was given for ${envOrigin} and is not sent to ${newOrigin}, after a restart too, unless you accept it for this host (agentdesk providers edit ${row.id} --accept-env-key).` : ''} Give the key again if ${newOrigin} should have it.`;
    }
    const reprobe = keyChanged || patch.base_url !== undefined;
    if (reprobe) Object.assign(patch, { status: 'unknown', status_detail: '', checked_at: null });
    this.deps.repo.update(row.id, patch);
    if (reprobe) this.deps.repo.clearModels(row.id);
    this.deps.log.info(
      { provider: row.id, fields: Object.keys(patch), keyRemoved: keyRemoved !== null },
      'provider edited',
    );
    if (reprobe && input.probe !== false)
      return { ...(await this.test(row.id)).provider, key_removed: keyRemoved };
    await this.changed();
    return { ...(await this.get(row.id)), key_removed: keyRemoved };
  }

  /**
   * Removes a provider, its cached models and its keychain entry (the keychain first: when it cannot
   * be reached nothing is removed, so no orphan key stays behind).
   * @throws AppError NOT_FOUND, KEYCHAIN_UNAVAILABLE.
   */
  async remove(id: string): Promise<ProviderRemoved> {
    const row = this.row(id);
    const keyDeleted = row.key_ref ? await this.deps.keys.delete(id) : false;
    this.deps.repo.delete(id);
    this.deps.log.info({ provider: id, keyDeleted }, 'provider removed');
    await this.changed();
    return { id, key_deleted: keyDeleted };
  }

  /**
   * Probes the provider's model listing with its key, records the status (and the models on success).
   * A failed probe is an answer (`probe.ok=false`), not an error. @throws AppError NOT_FOUND
   */
  async test(id: string): Promise<ProviderTestResult> {
    const row = this.row(id);
    const { outcome } = await this.probeAndRecord(row);
    return { provider: await this.get(id), probe: outcome };
  }

  /**
   * The cached models; `refresh` probes again first.
   * @throws AppError NOT_FOUND; TIMEOUT or UPSTREAM with the probe's message when the refresh fails
   *   (the cache is kept).
   */
  async models(id: string, refresh = false): Promise<ProviderModels> {
    const row = this.row(id);
    if (refresh) {
      const { outcome } = await this.probeAndRecord(row);
      if (!outcome.ok)
        throw new AppError(
          outcome.kind === 'timeout' ? 'TIMEOUT' : 'UPSTREAM',
          `${row.name}: ${outcome.message}`,
          {
            kind: outcome.kind,
            http_status: outcome.http_status,
          },
        );
    }
    const entry = this.entryOf(row);
    return {
      provider_id: id,
      fetched_at: this.deps.repo.get(id)?.models_fetched_at ?? null,
      models: this.deps.repo.models(id).map((m) => ({
        id: m.model_id,
        label: m.label,
        litellm_model: litellmModelOf(entry.litellm_prefix, m.model_id),
      })),
    };
  }

  /**
   * Whether a route to the internet exists, from the routing table (nothing is sent). Going offline
   * marks every provider that is not on this machine `unreachable` once, without probing it (no storm
   * of failing calls); coming back online tests those providers again, once each, in the background.
   * Never throws.
   */
  async network(): Promise<NetworkStatus> {
    const route = this.route();
    const wasOnline = this.lastOnline;
    this.lastOnline = route.online;
    const remote = this.deps.repo.list().filter((r) => !isLoopbackUrl(r.base_url));
    if (!route.online) {
      const fresh = remote.filter((r) => statusOf(r) !== 'unreachable');
      for (const r of fresh) this.deps.repo.setStatus(r.id, 'error', offlineDetail(), Date.now());
      if (fresh.length) {
        this.deps.log.info({ providers: fresh.map((r) => r.id) }, 'offline: providers marked unreachable');
        await this.changed();
      }
    } else if (wasOnline === false) {
      const again = remote.filter((r) => statusOf(r) === 'unreachable');
      void (async () => {
        for (const r of again) await this.probeAndRecord(r).catch(() => undefined);
      })();
    }
    return {
      online: route.online,
      detail: route.detail,
      unreachable: this.deps.repo
        .list()
        .filter((r) => statusOf(r) === 'unreachable')
        .map((r) => r.id),
      checked_at: Date.now(),
    };
  }

  /**
   * The key of a provider for the LiteLLM child's environment (in memory only; never log or return it
   * through the contract). `null` when keyless or unavailable.
   */
  async keyFor(id: string): Promise<string | null> {
    const row = this.row(id);
    const lookup = await this.deps.keys.lookup(id, row.key_ref !== null, {}, envKeyRefusedFor(row));
    return lookup.source ? lookup.value : null;
  }

  private async probeAndRecord(row: ProviderRow): Promise<ProbeResult> {
    const entry = this.entryOf(row);
    const lookup =
      entry.key === 'none'
        ? null
        : await this.deps.keys.lookup(row.id, row.key_ref !== null, {}, envKeyRefusedFor(row));
    const key = lookup?.source ? lookup.value : null;
    let result: ProbeResult;
    if (!isLoopbackUrl(row.base_url) && !this.route().online)
      result = unreachable(row.base_url + entry.models_path, offlineDetail());
    else if (!key && lookup?.source === null && lookup.error)
      result = noKey(row.base_url + entry.models_path, lookup.error.message);
    else if (!key && entry.key === 'required')
      result = noKey(
        row.base_url + entry.models_path,
        lookup?.source === null && lookup.envRefusedFor
          ? `No key: ${entry.label} needs one. ${envRefusal(row.id, lookup.envVar, lookup.envRefusedFor)}`
          : `No key: ${entry.label} needs one. Add it, or set ${providerKeyEnvVar(row.id)} for this run.`,
      );
    else
      result = await probeModels({
        baseUrl: row.base_url,
        target: entry,
        key,
        timeoutMs: this.deps.probeTimeoutMs,
      });
    const now = Date.now();
    const cannotReach = UNREACHABLE_KINDS.has(result.outcome.kind);
    const detail = cannotReach ? UNREACHABLE_PREFIX + result.outcome.message : result.outcome.message;
    this.deps.repo.setStatus(row.id, result.outcome.ok ? 'ok' : 'error', detail, now);
    if (result.outcome.ok)
      this.deps.repo.replaceModels(
        row.id,
        result.models.map((m) => ({ model_id: m.id, label: m.label })),
        now,
      );
    this.deps.log.info(
      { provider: row.id, kind: result.outcome.kind, ms: result.outcome.latency_ms },
      'provider probed',
    );
    await this.changed();
    return result;
  }

  /** The key an add/edit brings ({@link incomingKey}), registered with the redactor. */
  private incomingKey(
    entry: CatalogRecord,
    input: { key?: string | null; key_from_env?: string },
  ): string | null {
    const key = incomingKey(entry, input, this.env);
    this.deps.redactor.add(key);
    return key;
  }

  private checkName(name: string, selfId?: string): void {
    const other = this.deps.repo.findByName(name);
    if (other && other.id !== selfId)
      throw new AppError(
        'CONFLICT',
        `A provider named "${other.name}" already exists (id ${other.id}). Choose another name.`,
        {
          field: 'name',
        },
      );
  }

  private row(id: string): ProviderRow {
    const row = this.deps.repo.get(id);
    if (!row) {
      const ids = this.deps.repo.list().map((r) => r.id);
      throw new AppError(
        'NOT_FOUND',
        `No provider "${id}". ${ids.length ? `Existing: ${ids.join(', ')}` : 'No providers are configured yet.'}`,
        { valid: ids },
      );
    }
    return row;
  }

  /** The catalog entry of a row; a type no longer in the catalog is treated as OpenAI-compatible. */
  private entryOf(row: ProviderRow): CatalogRecord {
    return findCatalogEntry(row.type) ?? catalogEntry('openai-compatible');
  }

  private async dto(
    row: ProviderRow,
    count: number,
    memo: { error?: KeychainUnavailableError } = {},
  ): Promise<Provider> {
    const entry = this.entryOf(row);
    const lookup: KeyLookup | null =
      entry.key === 'none'
        ? null
        : await this.deps.keys.lookup(row.id, row.key_ref !== null, memo, envKeyRefusedFor(row));
    return toProvider(entry, row, lookup, count);
  }

  private async changed(): Promise<void> {
    if (!this.deps.onChange) return;
    try {
      this.deps.onChange(await this.list());
    } catch (err) {
      this.deps.log.error({ err }, 'providers.changed could not be built');
    }
  }
}
