// Derived views of the Providers state.
import type { CatalogEntry, NetworkStatus, Provider, ProviderModel } from '../../../../contract/providers';
import type { BadgeTone } from '../../components/Badge';
import type { ProvidersState } from './initial-state';

export const CATALOG_GROUPS = [
  { kind: 'cloud', title: 'Cloud' },
  { kind: 'local', title: 'Local servers' },
  { kind: 'custom', title: 'Custom' },
] as const;

/** Catalog entries of one kind, in catalog order. */
export function selectCatalogGroup(
  s: Pick<ProvidersState, 'catalog'>,
  kind: CatalogEntry['kind'],
): CatalogEntry[] {
  return s.catalog.filter((e) => e.kind === kind);
}

/** The status badge of a provider: tone and text (the meaning is always in the text). */
export function statusBadge(p: Pick<Provider, 'status'>): { tone: BadgeTone; label: string } {
  if (p.status === 'ok') return { tone: 'ok', label: 'Connected' };
  if (p.status === 'error') return { tone: 'danger', label: 'Error' };
  if (p.status === 'unreachable') return { tone: 'warn', label: 'Unreachable' };
  return { tone: 'neutral', label: 'Not checked' };
}

/** "key set · …abcd", "key from OPENAI_API_KEY", "no key needed", "no key: AGENTDESK_KEY_X was given for …", … */
export function keyLine(p: Pick<Provider, 'key'>): string {
  const k = p.key;
  const tail = k.last4 ? ` · …${k.last4}` : '';
  switch (k.state) {
    case 'set':
      return `key set${tail}`;
    case 'env':
      return `key from ${k.env_var ?? 'the environment'}${tail}`;
    case 'missing':
      if (k.detail) return `no key: ${k.detail}`;
      return k.env_var ? `no key (set one, or ${k.env_var})` : 'no key';
    case 'not_needed':
      return k.detail ? `no key: ${k.detail}` : 'no key needed';
    case 'unavailable':
      return `key unavailable${k.detail ? `: ${k.detail}` : ''}`;
  }
}

/** Models whose id or label contains `query` (case-insensitive). */
export function filterModels(models: readonly ProviderModel[], query: string): ProviderModel[] {
  const q = query.trim().toLowerCase();
  if (!q) return [...models];
  return models.filter((m) => m.id.toLowerCase().includes(q) || (m.label ?? '').toLowerCase().includes(q));
}

/**
 * The offline indicator's text, or `null` when online (or not known yet): "Offline — local models
 * only", plus how many providers cannot be reached.
 */
export function offlineLine(network: NetworkStatus | null): string | null {
  if (!network || network.online) return null;
  const n = network.unreachable.length;
  return `Offline — local models only${n ? ` · ${n} provider${n === 1 ? '' : 's'} unreachable` : ''}`;
}
