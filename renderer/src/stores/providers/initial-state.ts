// State of the Providers page: catalog, discovery, added providers, cached model lists and per-row errors.
import type {
  CatalogEntry,
  Discovery,
  NetworkStatus,
  Provider,
  ProviderModels,
} from '../../../../contract/providers';
import type { ShownError } from '../errors';

/** A provider action under way on one row. */
export type RowBusy = 'test' | 'remove' | 'models' | 'edit';

export interface ProvidersState {
  catalog: CatalogEntry[];
  discovery: Discovery | null;
  /** Added providers, sorted by name (as `providers.list` answers). Never holds a key: only `key.last4`. */
  providers: Provider[];
  /** Model lists by provider id, once fetched. */
  models: Record<string, ProviderModels>;
  loading: boolean;
  discovering: boolean;
  /** Failure of the catalog/list load. */
  loadError: ShownError | null;
  discoverError: ShownError | null;
  /** Per-provider failures (test, edit, remove, models), by id. */
  rowErrors: Record<string, ShownError>;
  /** Per-provider action under way, by id. */
  busy: Record<string, RowBusy>;
  /** Per-provider notices from the last edit, by id (e.g. why its key was removed: `key_removed`). */
  notices: Record<string, string>;
  /** Whether the core's machine has a route to the internet (`providers.network`); `null` until read. */
  network: NetworkStatus | null;
}

export const initialProvidersState: ProvidersState = {
  catalog: [],
  discovery: null,
  providers: [],
  models: {},
  loading: false,
  discovering: false,
  loadError: null,
  discoverError: null,
  rowErrors: {},
  busy: {},
  notices: {},
  network: null,
};
