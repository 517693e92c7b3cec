// Composition root: builds every service with plain constructors, then initialises them in order.
import fs from 'node:fs';
import type { CoreInfo } from '../../contract/health';
import path from 'node:path';
import { agentsHandlers, harnessesHandlers, imagesHandlers } from '../api/agents';
import { llmHandlers } from '../api/llm';
import { providersHandlers } from '../api/providers';
import { settingsHandlers } from '../api/settings';
import { setupHandlers } from '../api/setup';
import { systemHandlers } from '../api/system';
import { tracesHandlers } from '../api/traces';
import { enginesHandlers } from '../api/engines';
import { EngineService } from '../services/engines/engine-service';
import type { IncusEnrol } from '../services/engines/engine-service';
import type { RuntimeFactory } from '../services/runtimes/runtimes';
import { tasksHandlers, usageHandlers, withLimitsAtCreate } from '../api/tasks';
import { TraceDayTotals } from '../services/traces/trace-totals';
import { ensurePrivateDataDir } from '../platform/data-dir';
import { EventBus } from '../platform/event-bus';
import { createLogger } from '../platform/logging';
import type { Logger } from '../platform/logging';
import { dataPaths } from '../platform/paths';
import type { AppOptions } from '../platform/paths';
import { AgentRepository, armFaultPoint } from '../services/agents/agent-repository';
import { secretRedactor } from '../platform/secret-redactor';
import { egressHealth } from '../services/egress/egress-enforcement';
import { HealthService } from '../services/health/health-service';
import { probeLitellmInstall, resolveLitellmCommand } from '../services/llm/litellm/command';
import { JsonlLlmCallSink } from '../services/llm/llm-calls';
import { UpstreamDownWatch } from '../services/llm/upstream-down';
import { LlmService } from '../services/llm/llm-service';
import { healthOf } from '../services/llm/llm-status';
import { ProvidersLlmSource } from '../services/llm/provider-source';
import { VirtualKeys } from '../services/llm/virtual-keys';
import { probeDocker } from '../services/runtimes/docker-endpoint';
import { probeIncus } from '../services/runtimes/incus-endpoint';
import { INCUS_GATEWAY_PORT } from '../services/runtimes/incus/incus-config';
import type { RuntimeKind } from '../services/runtimes/container-runtime';
import { ProviderRepository } from '../services/providers/provider-repository';
import { ProviderService } from '../services/providers/provider-service';
import { EnvSecretStore } from '../services/secrets/env-secret-store';
import { KeychainSecretStore } from '../services/secrets/keychain-secret-store';
import { probeKeychain } from '../services/secrets/keychain-probe';
import { ProviderKeys } from '../services/secrets/provider-keys';
import { SettingsStore } from '../services/settings/settings-store';
import { RecorderAgentTraceSink, TracingLlmCallSink } from '../services/traces/trace-ingest';
import { TraceRecorder } from '../services/traces/trace-recorder';
import { TurnWindows } from '../services/traces/turn-windows';
import { VerifyWindows } from '../services/traces/verify-windows';
import { openDatabase, schemaVersion } from '../services/storage/database';
import type { Db } from '../services/storage/database';
import { Dispatcher } from '../transport/dispatch';
import type { Handlers } from '../../contract/handlers';
import { APP_VERSION } from './version';
import { agentFolderOf, instanceIdOf, wireAgents } from './agents-wiring';
import type { AgentsWiring } from './agents-wiring';
import type { HarnessPlugin } from '../services/harnesses/harness';
import { acquireCoreLock } from './core-lock';
import { wireSetup } from './setup-wiring';
import { remoteRuntimeFactory } from './remote-engines';
import { incusEnrolFor } from './remote-incus';
import { ShutdownSequence } from './shutdown';
import { wireBudgets, wireTasks } from './tasks-wiring';
import type { TasksWiring } from './tasks-wiring';

/** How to start a core. */
export interface CoreOptions {
  /** The data dir (created 0700 if missing; refused unless 0700 and owned by this user). */
  home: string;
  /** The app's paths and settings, resolved from the environment by the entry point (platform/paths.ts `resolveOptions`). */
  app: AppOptions;
  mode: CoreInfo['mode'];
  /** A logger to use instead of the default file logger in `<home>/logs/`. */
  log?: Logger;
  /** Interval of background health probes in ms (default 3000); 0 disables them. */
  healthIntervalMs?: number;
  /** Run tasks on their schedule and listen for their webhooks (default true; a core started for one CLI command: false). */
  schedule?: boolean;
  /** Harnesses to load besides the installed ones (tests, harness authors; docs/harnesses.md). */
  extraHarnesses?: HarnessPlugin[];
  /**
   * Builds the runtime of a named engine (Docker over ssh:// or tcp+TLS, Incus over HTTPS); default: none
   * in this build, every named engine reported with that reason.
   */
  runtimeFactory?: RuntimeFactory;
  /** Has an Incus remote trust this core by token (default: this core's client certificate in `<home>/incus-client`). */
  incusEnrol?: IncusEnrol;
  /** Interval of the named engines' probes in ms (default 2000); 0 = only on demand (`engines.test`). */
  engineProbeMs?: number;
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
  /** LiteLLM supervisor and gateway (docs/decisions/004-litellm-supervision-and-gateway.md). */
  llm: LlmService;
  /** Virtual keys of the gateway (the agent service mints one per agent and revokes it on archive). */
  keys: VirtualKeys;
  /** Agents, their containers and the base image (docs/decisions/005-agent-containers.md). */
  agents: AgentsWiring['agents'];
  /** Tasks of agents and their runs. */
  tasks: TasksWiring['tasks'];
  /** Named engines beside the local ones. */
  engines: EngineService;
  info(): CoreInfo;
  /** Stops services in reverse order of start. Safe to call twice. */
  shutdown(): Promise<void>;
}

/**
 * Starts the core: data dir, logging, database (migrated), settings, health probes, handlers.
 * Services never import Electron, so the same core runs in the desktop app and in `agentdesk serve`.
 * @throws DataDirNotPrivateError when the data dir is not 0700 or not owned by this user (the message
 *   names the fix); CoreLockedError when another live core uses `home`; Error when the data dir cannot be
 *   created or the database cannot be opened or migrated (nothing is left running in that case).
 */
export async function startCore(opts: CoreOptions): Promise<Core> {
  const startedAt = Date.now();
  const { app } = opts;
  ensurePrivateDataDir(opts.home);
  const log =
    opts.log ??
    createLogger({ dir: dataPaths.logs(opts.home), ...(app.logLevel ? { level: app.logLevel } : {}) });
  armFaultPoint(app.faultKillAt);
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

    const providerRepo = new ProviderRepository(db);
    const providerKeys = new ProviderKeys({
      keychain: new KeychainSecretStore(),
      env: new EnvSecretStore(app.env),
      redactor: secretRedactor,
    });
    const providers = new ProviderService({
      repo: providerRepo,
      keys: providerKeys,
      redactor: secretRedactor,
      env: app.env,
      log: log.child({ service: 'providers' }),
      onChange: (list) => bus.emit('providers.changed', { providers: list }),
    });

    // LiteLLM and the gateway: the gateway listens now; LiteLLM starts in the background (never awaited).
    const litellmInstall = () => ({
      setting: settings.get().litellm_command,
      appRoot: app.paths.appRoot,
      dataDir: opts.home,
      env: app.env,
    });
    const keys = new VirtualKeys(db, (k) => secretRedactor.add(k));
    // The agents' table: the gateway (who may call), budgets (names in messages) and traces (folders) read it.
    const agentRepo = new AgentRepository(db);
    // Spend limits of agents, enforced by the gateway; usage counted from its llm_call records.
    const budgets = wireBudgets({
      db,
      settings,
      bus,
      agentOf: (id) => agentRepo.brief(id),
    });
    shutdown.add('usage', () => budgets.ledger.flush());
    // Traces of agents (hourly SQLite files written by a worker thread): folders are resolved at write time.
    const turns = new TurnWindows();
    const verifies = new VerifyWindows();
    const traces = new TraceRecorder({
      traceDirOf: (id) => {
        const folder = agentFolderOf(agentRepo, opts.home, id);
        return folder ? path.join(folder, 'trace') : null;
      },
      allTraceDirs: () => {
        const root = path.join(opts.home, 'agents');
        const ids = fs.existsSync(root) ? fs.readdirSync(root) : [];
        return ids.map((id) => path.join(root, id, 'trace'));
      },
      onRecorded: (e) => bus.emit('traces.event', e),
      retentionDays: () => settings.get().trace_retention_days,
      log: log.child({ service: 'traces' }),
    });
    // Added before `llm` and `agents`, so it is closed after them (their last events are written).
    shutdown.add('traces', () => traces.close());
    // A provider's server that stops answering is probed again at once (debounced), so its status and
    // the agents using it show the failure within seconds; chat errors name the server.
    const downWatch = new UpstreamDownWatch(
      (id) => providerRepo.get(id),
      (id) => providers.test(id),
    );
    const llm = new LlmService({
      upstreamDown: (provider) => downWatch.failed(provider),
      home: opts.home,
      resolveCommand: () => resolveLitellmCommand(litellmInstall()),
      source: new ProvidersLlmSource(providerRepo, providerKeys),
      keys,
      sink: new TracingLlmCallSink(
        new JsonlLlmCallSink(`${dataPaths.logs(opts.home)}/llm-calls.jsonl`, (err) =>
          log.error({ err }, 'llm_call record could not be written'),
        ),
        traces,
        turns,
        log,
        verifies,
      ),
      traceSink: new RecorderAgentTraceSink(traces),
      redactor: secretRedactor,
      env: app.env,
      log: log.child({ service: 'llm' }),
      // Agents' endpoints name the gateway's port (env files; Incus proxy devices, which agents reach at
      // INCUS_GATEWAY_PORT inside their container): it never moves while any agent exists.
      gateway: { hostAliasPorts: [INCUS_GATEWAY_PORT], budget: budgets.guard },
      gatewayDependents: () => (db.prepare('SELECT count(*) AS n FROM agents').get() as { n: number }).n > 0,
      onStatus: (st) => bus.emit('llm.status', st),
    });

    const wired = wireAgents({
      home: opts.home,
      app,
      db,
      repo: agentRepo,
      keys,
      llm,
      providers: providerRepo,
      settings,
      bus,
      log,
      traces: { recorder: traces, turns, verifies },
      ...(opts.extraHarnesses ? { extraHarnesses: opts.extraHarnesses } : {}),
      // Named engines: Docker over ssh:// or tcp+TLS and Incus over HTTPS (remote-engines.ts), unless a
      // caller gives its own factory (tests).
      runtimeFactory:
        opts.runtimeFactory ??
        remoteRuntimeFactory({
          home: opts.home,
          app,
          gateway: () => llm.gateway,
          instanceId: instanceIdOf(opts.home),
          local: () => wired.runtimes.local(),
          log: log.child({ service: 'engines' }),
        }),
    });

    const health = new HealthService(
      {
        keychain: () => probeKeychain(app.env),
        docker: () => probeDocker(1500, app.env),
        incus: () => probeIncus(1500, app.env),
        // While no provider has models, report whether LiteLLM is installed; afterwards, its real state.
        // While it is refused (unsafe command), the probe names the reason and the fix too.
        litellm: () => {
          const st = llm.status();
          return st.litellm.state === 'idle' || st.litellm.state === 'missing'
            ? probeLitellmInstall(litellmInstall())
            : healthOf(st).litellm;
        },
        gateway: () => healthOf(llm.status()).gateway,
        egress: () => egressHealth(wired.egress.status()),
      },
      (report) => bus.emit('health.changed', report),
    );
    // Named engines: their runtimes join the agents' before the engines are probed at start; each is a
    // health component, probed every 2 s, whose outage marks its agents unreachable (not a phase change).
    const engines = new EngineService({
      repo: wired.engines,
      runtimes: wired.runtimes,
      agentsOn: (id) =>
        (db.prepare('SELECT count(*) AS n FROM agents WHERE engine = ?').get(id) as { n: number }).n,
      health,
      reachable: (key, up, error) => wired.agents.engineReachable(key, up, error),
      holdsSecret: (text) => secretRedactor.scrub(text) !== text,
      enrolIncus: opts.incusEnrol ?? incusEnrolFor(opts.home),
      ...(opts.engineProbeMs !== undefined ? { probeIntervalMs: opts.engineProbeMs } : {}),
      log: log.child({ service: 'engines' }),
    });
    engines.load();
    shutdown.add('engines', () => engines.shutdown());
    // LiteLLM's or the gateway's state changing is probed again at once.
    let lastLlmState = '';
    bus.on('llm.status', (st) => {
      const state = `${st.litellm.state}/${st.gateway.state}`;
      if (state !== lastLlmState) void health.check();
      lastLlmState = state;
    });
    await llm.init();
    shutdown.add('llm', () => llm.shutdown());
    bus.on('providers.changed', () => llm.requestReload());
    let litellmCommand = settings.get().litellm_command;
    bus.on('settings.changed', (st) => {
      if (st.litellm_command !== litellmCommand) llm.requestReload();
      litellmCommand = st.litellm_command;
    });

    // The engines' state is taken now, as the core starts: an engine that is down now and answers by the
    // time the agents are reconciled (after egress) is still what the agents' reasons must name.
    wired.agents.probeEngines();
    // Egress first: the agents' reconciliation may start containers, which need their rules.
    const agentsReady = wired.egress
      .init()
      .then(() => wired.agents.init())
      .then(async () => {
        // Another process holds the gateway's port: agents left running (stop_agents_on_quit off) have been
        // sending it their requests and keys. They are stopped and their keys revoked.
        const taken = llm.takenPort;
        if (taken === null) return;
        const n = await wired.agents.cutOff(
          `Stopped and its key revoked: another process holds the gateway port ${taken} this agent calls; start it again once the gateway listens`,
        );
        if (n)
          log.warn({ port: taken, agents: n }, 'agents cut off: the gateway port is held by another process');
      })
      .then(async () => {
        // The System view shows the address agents really call: for agents kept from the last run, it is
        // known without a new env file being written.
        const kinds = db
          .prepare("SELECT DISTINCT runtime FROM agents WHERE phase <> 'archived' AND engine = 'local'")
          .all() as {
          runtime: RuntimeKind;
        }[];
        for (const { runtime } of kinds) {
          const rt = wired.runtimes.get(runtime);
          const egress = await wired.egress.active().catch(() => false);
          const gw = await rt?.hostServiceAddress(llm.gateway.port, { egress }).catch(() => null);
          if (gw) llm.noteAgentUrl(runtime, `http://${gw.host}:${gw.port}/v1`);
        }
      })
      .catch((err: Error) => log.error({ err }, 'agents could not be reconciled'));
    // Before `llm`: agents stop (or keep running) while the gateway can still answer them.
    shutdown.add('agents', async () => {
      await agentsReady;
      await wired.shutdown();
    });

    const tasksWired = wireTasks({
      db,
      agents: wired.agents,
      chat: wired.chat,
      recorder: traces,
      budgets,
      modelsReady: () => ['ready', 'idle'].includes(llm.status().litellm.state),
      settings,
      bus,
      log,
    });
    const tasksReady = agentsReady
      .then(() => tasksWired.init(opts.schedule ?? true))
      .catch((err: Error) => log.error({ err }, 'tasks could not be started'));
    // After `agents`, so it runs first at shutdown: runs end while their agents still answer.
    shutdown.add('tasks', async () => {
      await tasksReady;
      await tasksWired.shutdown();
    });

    const setup = wireSetup({ home: opts.home, app, health, settings, llm, bus, log });
    shutdown.add('setup', setup.cancel);

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
    const dayTotals = new TraceDayTotals({
      recorder: traces,
      liveAgentIds: () =>
        wired.agents
          .list()
          .filter((a) => a.phase !== 'archived')
          .map((a) => a.id),
    });
    const handlers: Handlers = {
      system: systemHandlers({ health, info }),
      setup: setupHandlers(setup.setup),
      settings: settingsHandlers(settings),
      providers: providersHandlers(providers),
      llm: llmHandlers(llm),
      agents: withLimitsAtCreate(agentsHandlers(wired.agents, wired.chat), budgets.limits),
      traces: tracesHandlers(traces, (id) => void wired.agents.get(id), dayTotals),
      harnesses: harnessesHandlers(wired.harnesses),
      images: imagesHandlers(wired.images),
      tasks: tasksHandlers(tasksWired.tasks, tasksWired.runner, tasksWired.repo),
      usage: usageHandlers({ agents: wired.agents, ...budgets }),
      engines: enginesHandlers(engines),
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
      llm,
      keys,
      agents: wired.agents,
      tasks: tasksWired.tasks,
      engines,
      info,
      shutdown: () => shutdown.run(),
    };
  } catch (err) {
    await shutdown.run();
    throw err;
  }
}
