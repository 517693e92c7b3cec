// Composition of the container side: runtimes, images, harnesses, egress and the agent service, bottom-up.
import crypto from 'node:crypto';
import { mirrorThreads } from '../services/agents/remote-threads';
import { LOCAL_ENGINE } from '../services/runtimes/engine-target';
import path from 'node:path';
import type { EventBus } from '../platform/event-bus';
import type { Logger } from '../platform/logging';
import type { AppOptions } from '../platform/paths';
import { agentRuntimeDir, egressHelperFile } from '../platform/paths';
import { agentFolder, readRuntimeCredential } from '../services/agents/agent-folder';
import { InstructionsRepository } from '../services/agents/agent-instructions';
import { AgentKeys } from '../services/agents/agent-keys';
import type { AgentRepository } from '../services/agents/agent-repository';
import { AgentService } from '../services/agents/agent-service';
import { ChatRelay } from '../services/agents/chat-relay';
import { EgressService } from '../services/egress/egress-service';
import { EgressHelperContainer, HelperIptables } from '../services/egress/helper-client';
import { hostIptablesBackend } from '../services/egress/iptables';
import { EgressHelperImage } from '../services/images/egress-helper-image';
import type { HarnessPlugin } from '../services/harnesses/harness';
import { loadHarnesses } from '../services/harnesses';
import type { HarnessRegistry } from '../services/harnesses/registry';
import { BASE_IMAGE_REF } from '../services/images/base-image';
import { Images } from '../services/images/images';
import type { LlmService } from '../services/llm/llm-service';
import type { VirtualKeys } from '../services/llm/virtual-keys';
import type { ProviderRepository } from '../services/providers/provider-repository';
import { EngineRepository } from '../services/engines/engine-repository';
import { NO_REMOTE_RUNTIMES, Runtimes } from '../services/runtimes/runtimes';
import type { RuntimeFactory } from '../services/runtimes/runtimes';
import { LazyDockerConnection } from '../services/runtimes/docker/docker-client';
import { DockerRuntime } from '../services/runtimes/docker/docker-runtime';
import { IncusRuntime } from '../services/runtimes/incus/incus-runtime';
import type { SettingsStore } from '../services/settings/settings-store';
import { LifecycleTraces } from '../services/traces/lifecycle-trace';
import type { TraceRecorder } from '../services/traces/trace-recorder';
import type { TurnWindows } from '../services/traces/turn-windows';
import type { VerifyWindows } from '../services/traces/verify-windows';
import type { Db } from '../services/storage/database';

/** What the container side needs from the rest of the core. */
export interface AgentsWiringDeps {
  home: string;
  /** The paths and settings the core was started with. */
  app: AppOptions;
  db: Db;
  /** The agents' table (built first: the gateway, budgets and traces read it too). */
  repo: AgentRepository;
  keys: VirtualKeys;
  llm: LlmService;
  providers: ProviderRepository;
  settings: SettingsStore;
  bus: EventBus;
  log: Logger;
  /** The trace recorder (lifecycle and chat events go there) and the chat turns being relayed. */
  traces: { recorder: TraceRecorder; turns: TurnWindows; verifies?: VerifyWindows };
  /** Harnesses loaded from elsewhere besides the installed ones (tests, harness authors; docs/harnesses.md). */
  extraHarnesses?: HarnessPlugin[];
  /** Builds the runtime of a named engine (default: none available in this build, each refused saying so). */
  runtimeFactory?: RuntimeFactory;
}

/** The container side, built (no I/O yet). */
export interface AgentsWiring {
  agents: AgentService;
  /** Chat turns to the agents' runtimes, and their threads. */
  chat: ChatRelay;
  /** The base image and harness images (the `images` group). */
  images: Images;
  /** The harnesses, loaded once. */
  harnesses: HarnessRegistry;
  /** The core's runtimes, keyed by kind and engine (named engines added by the engine service). */
  runtimes: Runtimes;
  /** The named engines' table and PEM files. */
  engines: EngineRepository;
  /** Egress policies and their enforcement; `init()` before the agents' (it re-applies their rules). */
  egress: EgressService;
  shutdown(): Promise<void>;
}

/**
 * The folder of an agent: `<data>/agents/<id>`, its archive folder while archived; `null` when the
 * agent is unknown.
 */
export function agentFolderOf(repo: AgentRepository, home: string, id: string): string | null {
  const row = repo.get(id);
  if (!row) return null;
  return row.phase === 'archived' && row.archive_dir ? row.archive_dir : agentFolder(home, id).root;
}

/** Builds runtimes, images, the harness registry, egress and the agent service with plain constructors. */
export function wireAgents(d: AgentsWiringDeps): AgentsWiring {
  const log = d.log.child({ service: 'agents' });
  const { paths } = d.app;
  const runtimes = new Runtimes(
    {
      // AGENTDESK_DOCKER_NETWORK: another agents' bridge than `agentdesk` (tests, side-by-side installs).
      docker: new DockerRuntime({
        log: log.child({ runtime: 'docker' }),
        env: d.app.env,
        ...(d.app.dockerNetwork ? { networkName: d.app.dockerNetwork } : {}),
      }),
      incus: new IncusRuntime({ log: log.child({ runtime: 'incus' }), env: d.app.env }),
    },
    d.runtimeFactory ?? NO_REMOTE_RUNTIMES,
  );
  const engines = new EngineRepository(d.db, d.home);
  const cacheDir = paths.imageCache ?? path.join(d.home, 'images');
  const harnesses = loadHarnesses(d.extraHarnesses, paths.harnessesDir);
  for (const e of harnesses.errors) log.error({ error: e }, 'harness left out');
  // Harness images and the egress helper are built with Docker, on its endpoint (connected on first use).
  const docker = new LazyDockerConnection(d.app.env);
  const images = new Images({
    runtimes,
    docker: () => docker.docker,
    scriptsDir: paths.imageRecipeDir,
    cacheDir,
    harnesses,
    buildOnDemand: () => d.settings.get().build_images_on_demand,
    onProgress: (p) => d.bus.emit('images.progress', p),
    offline: d.app.offline,
    env: d.app.env,
    log: log.child({ service: 'images' }),
  });

  const { repo } = d;
  const { recorder, turns } = d.traces;
  const lifecycle = new LifecycleTraces({ recorder, verifies: d.traces.verifies, log });
  const instanceId = instanceIdOf(d.home);
  // A core that is not root applies egress rules through its helper container (Docker).
  const dockerClient = () => docker.docker;
  const helperContainer = new EgressHelperContainer({
    docker: dockerClient,
    image: new EgressHelperImage({
      docker: dockerClient,
      recipeDir: path.join(paths.imageRecipeDir, 'egress-helper'),
      helperFile: egressHelperFile(paths),
      cacheDir,
      baseRef: BASE_IMAGE_REF,
      ensureBase: () => images.ensureBase(),
      offline: d.app.offline,
      log: log.child({ service: 'images', image: 'egress-helper' }),
    }),
    instanceId,
    log: log.child({ service: 'egress' }),
  });
  const egress = new EgressService({
    db: d.db,
    instanceId,
    runtimes,
    env: d.app.env,
    agents: () => repo.list(),
    gatewayPort: () => d.llm.gateway.port,
    record: (e) => lifecycle.record(e, 'egress event could not be traced'),
    log: log.child({ service: 'egress' }),
    helperName: helperContainer.name,
    helper: async () => {
      try {
        await dockerClient().ping();
      } catch (err) {
        throw new Error(`Docker is not reachable (${(err as Error).message})`);
      }
      const executor = new HelperIptables({
        docker: dockerClient,
        container: helperContainer,
        backend: await hostIptablesBackend(d.app.env),
        log: log.child({ service: 'egress' }),
      });
      await executor.connect();
      return executor;
    },
  });
  const agents = new AgentService(repo, {
    dataDir: d.home,
    env: d.app.env,
    instanceId,
    egress,
    runtimes,
    engines: () => engines.briefs(),
    engineName: (id) => engines.briefs().find((e) => e.id === id)?.name ?? id,
    harnesses,
    keys: new AgentKeys(d.keys),
    images: images.forAgents,
    litellmState: () => d.llm.status().litellm.state,
    instructions: new InstructionsRepository(d.db),
    gateway: {
      port: () => d.llm.gateway.port,
      addBind: (address) => d.llm.addGatewayBind(address),
      refusal: () => d.llm.gatewayRefusal(),
      agentUrl: (runtime, url) => d.llm.noteAgentUrl(runtime, url),
    },
    runtimeBundleDir: () => agentRuntimeDir(paths),
    providerIds: () => d.providers.list().map((p) => p.id),
    defaultRuntime: () => d.settings.get().container_runtime,
    stopOnShutdown: () => d.settings.get().stop_agents_on_quit,
    onChange: (list) => d.bus.emit('agents.changed', { agents: list }),
    onProgress: (p) => d.bus.emit('agents.progress', p),
    onTransition: (t) => lifecycle.transition(t),
    log,
  });
  const chat = new ChatRelay({
    agent: (id) => agents.get(id),
    oomOf: (id) => agents.oomSince(id, 'during the turn'),
    folderOf: (id) => agentFolderOf(repo, d.home, id),
    // An agent on a named engine keeps its home there: its threads are copied out before they are read.
    remoteHome: async (id) => {
      const row = repo.get(id);
      const root = agentFolderOf(repo, d.home, id);
      if (!row || !root || (row.engine ?? LOCAL_ENGINE) === LOCAL_ENGINE) return null;
      const rt = runtimes.forAgent(row);
      return rt ? mirrorThreads(rt, row.container, root) : null;
    },
    credentialOf: (id) => (repo.get(id) ? readRuntimeCredential(agentFolder(d.home, id)) : null),
    record: (e) => recorder.record(e),
    events: (q) => recorder.query(q),
    turns,
    emit: (e) => d.bus.emit('agents.turn', e),
    log: log.child({ service: 'chat' }),
  });

  return {
    agents,
    chat,
    images,
    harnesses,
    runtimes,
    engines,
    egress,
    shutdown: async () => {
      await agents.shutdown();
      egress.shutdown();
      await runtimes.close();
      docker.close();
    },
  };
}

/**
 * The id of the core of data dir `home` (16 hex of the SHA-256 of its absolute path): labels what it
 * creates on an engine, so reconciliation touches only its own containers.
 */
export function instanceIdOf(home: string): string {
  return crypto.createHash('sha256').update(path.resolve(home)).digest('hex').slice(0, 16);
}
