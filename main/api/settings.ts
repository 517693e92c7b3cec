// Handlers for the `settings` group; what the core executes cannot be changed over HTTP.
import { AppError } from '../../contract/errors';
import type { SettingsPatch } from '../../contract/settings';
import type { SettingsStore } from '../services/settings/settings-store';
import type { CallContext, Handlers } from '../../contract/handlers';

/**
 * Settings that choose a program the core executes, or who can reach it (the task webhooks' address
 * and port). They cannot be changed over HTTP: a caller of the control API must never make the core run
 * a program of its choice (it would run with every provider key in its environment), nor open a
 * listener to the network. They are changed in the desktop app (IPC) or with the CLI on the data dir
 * while no core runs (`agentdesk settings set`).
 */
export const LOCAL_ONLY_SETTINGS = [
  'litellm_command',
  'webhook_listen',
  'webhook_port',
] as const satisfies readonly (keyof SettingsPatch)[];

/**
 * Refuses a patch that changes a {@link LOCAL_ONLY_SETTINGS} field when it comes over HTTP.
 * @throws AppError FORBIDDEN naming the field and where it can be changed.
 */
export function checkTransport(patch: SettingsPatch, current: SettingsPatch, ctx: CallContext): void {
  if (ctx.transport !== 'http') return;
  for (const field of LOCAL_ONLY_SETTINGS) {
    if (patch[field] === undefined || patch[field] === current[field]) continue;
    throw new AppError(
      'FORBIDDEN',
      `${field} cannot be changed over the HTTP API: it ${field === 'litellm_command' ? 'chooses a program the core runs' : 'decides who can reach the task webhooks'}. Change it in the desktop app's Settings, or stop the core and run \`agentdesk settings set ${field} ${field === 'litellm_command' ? 'PATH' : 'VALUE'}\`${field === 'litellm_command' ? ` (or \`agentdesk settings unset ${field}\`)` : ''}.`,
      { field },
    );
  }
}

/** Builds the `settings` handlers over the settings store. */
export function settingsHandlers(store: SettingsStore): Handlers['settings'] {
  return {
    get: () => store.get(),
    update: (patch, ctx) => {
      checkTransport(patch, store.get(), ctx);
      return store.update(patch);
    },
  };
}
