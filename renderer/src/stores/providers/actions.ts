// Providers actions: load catalog/list/discovery, add, edit, test, remove, models; follow `providers.changed`.
// A key passed to add/edit goes straight to the core call and is never put into the store.
import type { StoreApi } from 'zustand/vanilla';
import type { Provider, ProviderAddInput, ProviderEditInput } from '../../../../contract/providers';
import type { ClientGetter } from '../client';
import { toShownError } from '../errors';
import type { ShownError } from '../errors';
import type { ProvidersState, RowBusy } from './initial-state';
import { onRowOf, without } from '../row-state';

/** Outcome of add/edit as the form sees it: the provider, or the core's error. */
export type SubmitResult = { ok: true; provider: Provider } | { ok: false; error: ShownError };

export interface ProvidersActions {
  /**
   * Loads catalog and provider list, then scans for local servers and env keys. With `recheckAfterMs`,
   * providers last checked longer ago are tested again as soon as the list is in (see {@link recheckStale}).
   */
  load(opts?: { recheckAfterMs?: number }): Promise<void>;
  /** Scans again (`providers.discover`); saves nothing. */
  discover(): Promise<void>;
  /** Adds a provider; the input's `key` is used for this call only. */
  add(input: ProviderAddInput): Promise<SubmitResult>;
  /** Edits a provider; the input's `key` is used for this call only. A removed key becomes a notice of the row. */
  edit(input: ProviderEditInput): Promise<SubmitResult>;
  test(id: string): Promise<void>;
  /**
   * Tests again every provider last checked more than `maxAgeMs` ago (or never), all at once: a server
   * that went down since shows as unreachable when the page opens, not "ok, checked 11 minutes ago".
   */
  recheckStale(maxAgeMs: number): Promise<void>;
  /** Hides the notice of a provider row. */
  dismissNotice(id: string): void;
  remove(id: string): Promise<boolean>;
  /** Fetches the cached model list, or a fresh one with `refresh`. */
  loadModels(id: string, refresh?: boolean): Promise<void>;
  /** Takes a full list pushed by `providers.changed`. */
  applyProviders(providers: Provider[]): void;
  /** Subscribes to `providers.changed`; returns the unsubscribe function. */
  follow(): () => void;
  /**
   * Reads `providers.network` (the core reads its routing table; nothing is sent). A failed call keeps
   * the last answer: the connection banner covers a core that does not answer.
   */
  checkNetwork(): Promise<void>;
}

type Store = ProvidersState & ProvidersActions;
type Set = StoreApi<Store>['setState'];
type Get = StoreApi<Store>['getState'];

/** Builds the Providers actions over the injected client. Failures are kept in state, never thrown. */
export function createProvidersActions(set: Set, get: Get, getClient: ClientGetter): ProvidersActions {
  function upsert(p: Provider): void {
    const rest = get().providers.filter((x) => x.id !== p.id);
    set({ providers: [...rest, p].sort((a, b) => a.name.localeCompare(b.name)) });
  }

  async function onRow(id: string, what: RowBusy, run: () => Promise<void>): Promise<boolean> {
    return onRowOf(set, get, id, what, run);
  }

  return {
    async load(opts) {
      set({ loading: true });
      try {
        const client = getClient();
        const [catalog, providers] = await Promise.all([
          client.providers.catalog({}),
          client.providers.list({}),
        ]);
        set({ catalog, providers, loadError: null });
        if (opts?.recheckAfterMs !== undefined) void get().recheckStale(opts.recheckAfterMs);
      } catch (err) {
        set({ loadError: toShownError(err) });
      } finally {
        set({ loading: false });
      }
      await get().discover();
    },
    async discover() {
      if (get().discovering) return;
      set({ discovering: true });
      try {
        set({ discovery: await getClient().providers.discover({}), discoverError: null });
      } catch (err) {
        set({ discoverError: toShownError(err) });
      } finally {
        set({ discovering: false });
      }
    },
    async add(input) {
      try {
        const provider = await getClient().providers.add(input);
        upsert(provider);
        void get().discover();
        return { ok: true, provider };
      } catch (err) {
        return { ok: false, error: toShownError(err) };
      }
    },
    async edit(input) {
      set({ busy: { ...get().busy, [input.id]: 'edit' } });
      try {
        const { key_removed, ...provider } = await getClient().providers.edit(input);
        upsert(provider);
        set({
          models: without(get().models, input.id),
          notices: key_removed
            ? { ...get().notices, [input.id]: key_removed }
            : without(get().notices, input.id),
        });
        return { ok: true, provider };
      } catch (err) {
        return { ok: false, error: toShownError(err) };
      } finally {
        set({ busy: without(get().busy, input.id) });
      }
    },
    dismissNotice(id) {
      set({ notices: without(get().notices, id) });
    },
    async test(id) {
      await onRow(id, 'test', async () => {
        const r = await getClient().providers.test({ id });
        upsert(r.provider);
      });
    },
    async recheckStale(maxAgeMs) {
      const now = Date.now();
      const stale = get().providers.filter(
        (p) => get().busy[p.id] === undefined && (p.checked_at === null || now - p.checked_at > maxAgeMs),
      );
      await Promise.all(stale.map((p) => get().test(p.id)));
    },
    async remove(id) {
      const ok = await onRow(id, 'remove', async () => {
        await getClient().providers.remove({ id });
        set({
          providers: get().providers.filter((p) => p.id !== id),
          models: without(get().models, id),
        });
      });
      if (ok) void get().discover();
      return ok;
    },
    async loadModels(id, refresh = false) {
      await onRow(id, 'models', async () => {
        const m = await getClient().providers.models(refresh ? { id, refresh: true } : { id });
        set({ models: { ...get().models, [id]: m } });
      });
    },
    async checkNetwork() {
      try {
        set({ network: await getClient().providers.network({}) });
      } catch {
        // The core did not answer: keep the last state (ConnectionBanner says the core is lost).
      }
    },
    applyProviders(providers) {
      const ids = new Set(providers.map((p) => p.id));
      const models = Object.fromEntries(Object.entries(get().models).filter(([id]) => ids.has(id)));
      set({ providers: [...providers].sort((a, b) => a.name.localeCompare(b.name)), models });
    },
    follow() {
      return getClient().on('providers.changed', (e) => get().applyProviders(e.providers));
    },
  };
}
