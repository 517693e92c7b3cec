// Composition root: builds every service with plain constructors, then initialises them in order.
import fs from 'node:fs';
import type { CoreInfo } from '../../contract/models';
import { providersHandlers } from '../api/providers';
import { settingsHandlers } from '../api/settings';
import { systemHandlers } from '../api/system';
import { EventBus } from '../platform/event-bus';
import { createLogger } from '../platform/logging';
import type { Logger } from '../platform/logging';
import { appRoot, dataPaths } from '../platform/paths';
import { secretRedactor } from '../platform/secret-redactor';
import { HealthService } from '../services/health/health-service';
import { probeLitellmInstall } from '../services/llm/litellm-command';
import { probeDocker } from '../services/runtimes/docker-endpoint';
import { probeIncus } from '../services/runtimes/incus-endpoint';
import { ProviderRepository } from '../services/providers/provider-repository';
import { ProviderService } from '../services/providers/provider-service';
import { EnvSecretStore } from '../services/secrets/env-secret-store';
import { KeychainSecretStore } from '../services/secrets/keychain-secret-store';
import { probeKeychain } from '../services/secrets/keychain-probe';
import { ProviderKeys } from '../services/secrets/provider-keys';
import { SettingsStore } from '../services/settings/settings-store';
import { openDatabase, schemaVersion } from '../services/storage/database';
import type { Db } from '../services/storage/database';
import { Dispatcher } from '../transport/dispatch';
import type { Handlers } from '../transport/dispatch';
import { APP_VERSION } from './version';
import { acquireCoreLock } from './core-lock';
import { ShutdownSequence } from './shutdown';

/** How to start a core. */
export interface CoreOptions {
  /** The data dir (created 0700 if missing). */
  home: string;
  mode: CoreInfo['mode'];
  /** A logger to use instead of the default file logger in `<home>/logs/`. */
  log?: Logger;
  /** Interval of background health probes in ms (default 3000); 0 disables them. */
  healthIntervalMs?: number;
}

/** A running core: what the transports and the shell need, and nothing else. */
export interface Core {
  home: string;
  log: Logger;
  bus: EventBus;
  dispatcher: Dispatcher;
  settings: SettingsStore;
  health: HealthService;
  providers: ProviderService;
  info(): CoreInfo;
  /** Stops services in reverse order of start. Safe to call twice. */
  shutdown(): Promise<void>;
}

/**
 * Starts the core: data dir, logging, database (migrated), settings, health probes, handlers.
 * Services never import Electron, so the same core runs in the desktop app and in `agentdesk serve`.
 * @throws CoreLockedError when another live core uses `home`; Error when the data dir cannot be
 *   created or the database cannot be opened or migrated (nothing is left running in that case).
 */
export async function startCore(opts: CoreOptions): Promise<Core> {
  const startedAt = Date.now();
  fs.mkdirSync(opts.home, { recursive: true, mode: 0o700 });
  const log = opts.log ?? createLogger({ dir: dataPaths.logs(opts.home) });
  const shutdown = new ShutdownSequence(log);
  const release = acquireCoreLock(opts.home);
  shutdown.add('lock', release);
  try {
    const bus = new EventBus((err, name) => log.error({ err, event: name }, 'event listener failed'));
    const db: Db = openDatabase(dataPaths.db(opts.home));
    shutdown.add('database', () => db.close());

    const settings = new SettingsStore(db, (s) => bus.emit('settings.changed', s));
    const reset = settings.load();
    if (reset.length) log.warn({ fields: reset }, 'settings fields were invalid and reset to defaults');

    const providers = new ProviderService({
      repo: new ProviderRepository(db),
      keys: new ProviderKeys({
        keychain: new KeychainSecretStore(),
        env: new EnvSecretStore(),
        redactor: secretRedactor,
      }),
      redactor: secretRedactor,
      log: log.child({ service: 'providers' }),
      onChange: (list) => bus.emit('providers.changed', { providers: list }),
    });

    const health = new HealthService(
      {
        keychain: () => probeKeychain(),
        docker: () => probeDocker(),
        incus: () => probeIncus(),
        litellm: () =>
          probeLitellmInstall({
            setting: settings.get().litellm_command,
            appRoot: appRoot(),
            dataDir: opts.home,
          }),
        gateway: () => ({
          name: 'gateway',
          state: 'missing',
          detail: 'Not running: the gateway starts together with LiteLLM',
          fix: 'Add a provider on the Providers page; LiteLLM and the gateway start with it',
        }),
      },
      (report) => bus.emit('health.changed', report),
    );
    const interval = opts.healthIntervalMs ?? 3000;
    if (interval > 0) {
      health.start(interval);
      shutdown.add('health', () => health.stop());
    }

    const info = (): CoreInfo => ({
      version: APP_VERSION,
      data_dir: opts.home,
      platform: `${process.platform}-${process.arch}`,
      mode: opts.mode,
      pid: process.pid,
      started_at: startedAt,
      schema_version: schemaVersion(db),
    });
    const handlers: Handlers = {
      system: systemHandlers({ health, info }),
      settings: settingsHandlers(settings),
      providers: providersHandlers(providers),
    };
    const dispatcher = new Dispatcher(handlers, log);
    log.info(
      { home: opts.home, mode: opts.mode, version: APP_VERSION, ms: Date.now() - startedAt },
      'core started',
    );
    return {
      home: opts.home,
      log,
      bus,
      dispatcher,
      settings,
      health,
      providers,
      info,
      shutdown: () => shutdown.run(),
    };
  } catch (err) {
    await shutdown.run();
    throw err;
  }
}
