// The first-run onboarding: its checks (from the health report), its one-click fixes, and its "done" flag.
import type { SetupActionId, SetupStatus } from '../../../contract/setup';
import type { LitellmProvisioner } from '../llm/litellm/provision';
import type { SettingsStore } from '../settings/settings-store';
import type { HealthService } from './health-service';
import { buildSetupChecks } from './setup-checks';

/** What the setup service needs from the core. */
export interface SetupServiceDeps {
  health: HealthService;
  settings: SettingsStore;
  provisioner: LitellmProvisioner;
  platform?: NodeJS.Platform;
}

/**
 * Answers `setup.status`, runs `setup.fix` actions and records `setup.complete`.
 * Provisioning progress is pushed by the provisioner itself (`setup.progress`); when it finishes the
 * caller re-checks health and reloads LiteLLM (see bootstrap).
 */
export class SetupService {
  constructor(private readonly deps: SetupServiceDeps) {}

  /** Every check, the provisioning state and whether onboarding is done. `refresh` probes again first. */
  async status(refresh = false): Promise<SetupStatus> {
    const report = refresh ? await this.deps.health.check() : await this.deps.health.current();
    const provision = this.deps.provisioner.progress();
    const settings = this.deps.settings.get();
    return {
      onboarding_done: settings.onboarding_done,
      checks: buildSetupChecks({
        report,
        runtime: settings.container_runtime,
        provision,
        platform: this.deps.platform ?? process.platform,
      }),
      provision,
    };
  }

  /**
   * Runs a one-click fix: `provision-litellm` starts installing (answers at once, state `running`);
   * `use-docker` / `use-incus` change the `container_runtime` setting.
   */
  async fix(action: SetupActionId): Promise<SetupStatus> {
    switch (action) {
      case 'provision-litellm':
        this.deps.provisioner.start();
        return this.status(false);
      case 'use-docker':
        this.deps.settings.update({ container_runtime: 'docker' });
        return this.status(true);
      case 'use-incus':
        this.deps.settings.update({ container_runtime: 'incus' });
        return this.status(true);
    }
  }

  /** Marks onboarding done (it is no longer shown at start; System → "Run setup again" reopens it). */
  async complete(): Promise<SetupStatus> {
    if (!this.deps.settings.get().onboarding_done) this.deps.settings.update({ onboarding_done: true });
    return this.status(false);
  }
}
