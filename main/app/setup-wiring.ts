// Builds the first-run setup (onboarding checks + LiteLLM provisioning into the data dir) for bootstrap.
import fs from 'node:fs';
import path from 'node:path';
import type { EventBus } from '../platform/event-bus';
import type { Logger } from '../platform/logging';
import type { AppOptions } from '../platform/paths';
import type { HealthService } from '../services/health/health-service';
import { SetupService } from '../services/health/setup-service';
import { LitellmProvisioner } from '../services/llm/litellm/provision';
import type { LlmService } from '../services/llm/llm-service';
import type { SettingsStore } from '../services/settings/settings-store';

/**
 * The setup service and its provisioner. LiteLLM goes into `<home>/litellm/venv` from
 * `<resources>/litellm/requirements.txt`, using `<resources>/litellm/wheelhouse/` when the build
 * shipped one (made by `npm run wheelhouse`). When provisioning ends, health is probed again and
 * LiteLLM is (re)started if providers have models.
 * @returns the service and `cancel()` for the shutdown sequence (kills a running pip).
 */
export function wireSetup(deps: {
  home: string;
  /** The paths (resources) and environment the core was started with. */
  app: AppOptions;
  health: HealthService;
  settings: SettingsStore;
  llm: LlmService;
  bus: EventBus;
  log: Logger;
}): { setup: SetupService; cancel: () => Promise<void> } {
  const litellmResources = path.join(deps.app.paths.resources, 'litellm');
  const wheelhouse = path.join(litellmResources, 'wheelhouse');
  const provisioner = new LitellmProvisioner({
    venvDir: path.join(deps.home, 'litellm', 'venv'),
    requirementsFile: path.join(litellmResources, 'requirements.txt'),
    wheelhouseDir: fs.existsSync(wheelhouse) ? wheelhouse : null,
    parentEnv: deps.app.env,
    log: deps.log.child({ service: 'setup' }),
    onProgress: (p) => {
      deps.bus.emit('setup.progress', p);
      if (p.state === 'done' || p.state === 'failed') {
        deps.llm.requestReload(0);
        void deps.health.check();
      }
    },
  });
  return {
    setup: new SetupService({ health: deps.health, settings: deps.settings, provisioner }),
    cancel: () => provisioner.cancel(),
  };
}
