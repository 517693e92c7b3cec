// Display names and badge looks for components and their states.
import type { ComponentName, ComponentState, FixedComponentName } from '../../../../contract/health';
import type { BadgeTone } from '../../components/Badge';

/** Human names of the components in the health report. */
export const COMPONENT_LABELS: Record<FixedComponentName, string> = {
  keychain: 'OS keychain',
  docker: 'Docker',
  incus: 'Incus',
  litellm: 'LiteLLM',
  gateway: 'Gateway',
  egress: 'Egress control',
};

/** What each component is for, one line. */
export const COMPONENT_ROLES: Record<FixedComponentName, string> = {
  keychain: 'Holds provider keys',
  docker: 'Container runtime',
  incus: 'Container runtime',
  litellm: 'Model proxy',
  gateway: 'Agents’ only way to models',
  egress: 'What agents may reach',
};

/** The name of any component: a fixed one's label, or `Engine <id>` for a named engine's (`engine:<id>`). */
export function componentLabel(name: ComponentName): string {
  return name.startsWith('engine:')
    ? `Engine ${name.slice('engine:'.length)}`
    : (COMPONENT_LABELS[name as FixedComponentName] ?? name);
}

/** What a component is for, one line (a named engine: where agents can run). */
export function componentRole(name: ComponentName): string {
  return name.startsWith('engine:')
    ? 'Remote container engine'
    : (COMPONENT_ROLES[name as FixedComponentName] ?? '');
}

/** Badge text and tone for each state. */
export const STATE_BADGES: Record<ComponentState, { label: string; tone: BadgeTone }> = {
  ok: { label: 'OK', tone: 'ok' },
  starting: { label: 'Starting', tone: 'progress' },
  missing: { label: 'Missing', tone: 'warn' },
  error: { label: 'Error', tone: 'danger' },
};
