// Derived views of the System state.
import { COMPONENT_NAMES } from '../../../../contract/health';
import type { ComponentHealth, ComponentState } from '../../../../contract/health';
import type { SystemState } from './initial-state';

const ORDER = new Map<string, number>(COMPONENT_NAMES.map((n, i) => [n, i]));
const SEVERITY: Record<ComponentState, number> = { ok: 0, starting: 1, missing: 2, error: 3 };

/** The components in the contract's order (keychain, docker, incus, litellm, gateway, egress); unknown names last. */
export function selectComponents(s: Pick<SystemState, 'health'>): ComponentHealth[] {
  const list = s.health?.components ?? [];
  return [...list].sort((a, b) => (ORDER.get(a.name) ?? 99) - (ORDER.get(b.name) ?? 99));
}

/** The worst state among the components, or `null` before the first report. */
export function selectOverallState(s: Pick<SystemState, 'health'>): ComponentState | null {
  const list = s.health?.components;
  if (!list || list.length === 0) return null;
  return list.reduce<ComponentState>(
    (worst, c) => (SEVERITY[c.state] > SEVERITY[worst] ? c.state : worst),
    'ok',
  );
}

/** When the probes finished, UTC ms, or `null`. */
export const selectCheckedAt = (s: Pick<SystemState, 'health'>): number | null =>
  s.health?.checked_at ?? null;

/** "3 of 5 components OK", for a screen-reader live summary; empty before the first report. */
export function selectSummary(s: Pick<SystemState, 'health'>): string {
  const list = s.health?.components ?? [];
  if (list.length === 0) return '';
  const ok = list.filter((c) => c.state === 'ok').length;
  return `${ok} of ${list.length} components OK`;
}
