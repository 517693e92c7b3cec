// Composition of the container side: runtimes, images, harnesses and the agent service.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { z } from 'zod';
import type { ImagesStatus } from '../../contract/agents';
import { AppError } from '../../contract/errors';
import type { ImagesFacade } from '../api/images-facade';
import type { EventBus } from '../platform/event-bus';
import type { Logger } from '../platform/logging';
import { agentRuntimeDir, appRoot, egressHelperFile } from '../platform/paths';
import { agentFolder, readRuntimeCredential } from '../services/agents/agent-folder';
import { InstructionsRepository } from '../services/agents/agent-instructions';
import { AgentRepository } from '../services/agents/agent-repository';
import { AgentService } from '../services/agents/agent-service';
import { ChatRelay } from '../services/agents/chat-relay';
import { EgressService } from '../services/egress/egress-service';
import { EgressHelperContainer, HelperIptables } from '../services/egress/helper-client';
import { hostIptablesBackend } from '../services/egress/iptables';
import { EgressHelperImage } from '../services/images/egress-helper-image';
import type { HarnessPlugin } from '../services/harnesses/harness';
import { HarnessImages } from '../services/harnesses/harness-images';
import { loadHarnesses } from '../services/harnesses';
import type { HarnessRegistry } from '../services/harnesses/registry';
import { BASE_IMAGE_REF, ImageService } from '../services/images/base-image';
import type { LlmService } from '../services/llm/llm-service';
import type { VirtualKeys } from '../services/llm/virtual-keys';
import type { ProviderRepository } from '../services/providers/provider-repository';
import type { ContainerRuntime, RuntimeKind } from '../services/runtimes/container-runtime';
import { RUNTIME_KINDS } from '../services/runtimes/container-runtime';
import { connectDocker } from '../services/runtimes/docker/docker-client';
import type { DockerConnection } from '../services/runtimes/docker/docker-client';
import { DockerRuntime } from '../services/runtimes/docker/docker-runtime';
import { IncusRuntime } from '../services/runtimes/incus/incus-runtime';
import type { SettingsStore } from '../services/settings/settings-store';
import type { TraceRecorder } from '../services/traces/trace-recorder';
import type { TurnWindows } from '../services/traces/turn-windows';
import type { VerifyWindows } from '../services/traces/verify-windows';
import type { Db } from '../services/storage/database';

/** What the container side needs from the rest of the core. */
export interface AgentsWiringDeps {
  home: string;
  db: Db;
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
}

/** The container side, built (no I/O yet). */
export interface AgentsWiring {
  agents: AgentService;
  /** Chat turns to the agents' runtimes, and their threads. */
  chat: ChatRelay;
  /** The folder of an agent: `<data>/agents/<id>`, its archive folder while archived; `null` when unknown. */
  folderOf(id: string): string | null;
  images: ImagesFacade;
  /** The harnesses, loaded once. */
  harnesses: HarnessRegistry;
  runtimes: Partial<Record<RuntimeKind, ContainerRuntime>>;
  /** Egress policies and their enforcement; `init()` before the agents' (it re-applies their rules). */
  egress: EgressService;
  shutdown(): Promise<void>;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * Where the base image recipe lives: `AGENTDESK_IMAGE_RECIPE_DIR`, else `scripts/images` of the app root.
 * Its build cache: `AGENTDESK_IMAGE_CACHE`, else `<data>/images`.
 */
function imageDirs(home: string): { scriptsDir: string; cacheDir: string } {
  return {
    scriptsDir: process.env.AGENTDESK_IMAGE_RECIPE_DIR ?? path.join(appRoot(), 'scripts', 'images'),
    cacheDir: process.env.AGENTDESK_IMAGE_CACHE ?? path.join(home, 'images'),
  };
}

/** Builds runtimes, image services, the harness registry and the agent service with plain constructors. */
export function wireAgents(d: AgentsWiringDeps): AgentsWiring {
  const log = d.log.child({ service: 'agents' });
  const runtimes: Partial<Record<RuntimeKind, ContainerRuntime>> = {
    // AGENTDESK_DOCKER_NETWORK: another agents' bridge than `agentdesk` (tests, side-by-side installs).
    docker: new DockerRuntime({
      log: log.child({ runtime: 'docker' }),
      ...(process.env.AGENTDESK_DOCKER_NETWORK ? { networkName: process.env.AGENTDESK_DOCKER_NETWORK } : {}),
    }),
    incus: new IncusRuntime({ log: log.child({ runtime: 'incus' }) }),
  };
  const { scriptsDir, cacheDir } = imageDirs(d.home);
  const imageService = new ImageService({
    runtimes,
    scriptsDir,
    cacheDir,
    log: log.child({ service: 'images' }),
    onProgress: (p) =>
      d.bus.emit('images.progress', { step: p.kind, fraction: p.fraction, message: p.message }),
  });
  const harnesses = loadHarnesses(d.extraHarnesses);
  for (const e of harnesses.errors) log.error({ error: e }, 'harness left out');
  // Harnesses with an image of their own: built from the base image on first use (Docker).
  let dockerConn: DockerConnection | null = null;
  const ensureBase = async (): Promise<void> => {
    if (!(await imageService.status('docker')).present) await imageService.build(['docker']);
  };
  const harnessImages = new HarnessImages({
    docker: () => (dockerConn ??= connectDocker(process.env)).docker,
    cacheDir,
    ensureBase,
    onProgress: (step, fraction, message) => d.bus.emit('images.progress', { step, fraction, message }),
    log: log.child({ service: 'images' }),
  });

  const repo = new AgentRepository(d.db);
  const folderOf = (id: string): string | null => {
    const row = repo.get(id);
    if (!row) return null;
    return row.phase === 'archived' && row.archive_dir ? row.archive_dir : agentFolder(d.home, id).root;
  };
  const { recorder, turns } = d.traces;
  const instanceId = crypto.createHash('sha256').update(path.resolve(d.home)).digest('hex').slice(0, 16);
  // A core that is not root applies egress rules through its helper container (Docker).
  const dockerClient = () => (dockerConn ??= connectDocker(process.env)).docker;
  const helperContainer = new EgressHelperContainer({
    docker: dockerClient,
    image: new EgressHelperImage({
      docker: dockerClient,
      recipeDir: path.join(scriptsDir, 'egress-helper'),
      helperFile: egressHelperFile(),
      cacheDir,
      baseRef: BASE_IMAGE_REF,
      ensureBase: async () => {
        if (!(await imageService.status('docker')).present) await imageService.build(['docker']);
      },
      log: log.child({ service: 'images', image: 'egress-helper' }),
    }),
    instanceId,
    log: log.child({ service: 'egress' }),
  });
  const egress = new EgressService({
    db: d.db,
    instanceId,
    runtimes,
    agents: () => repo.list(),
    gatewayPort: () => d.llm.gateway.port,
    record: (e) => {
      try {
        recorder.record(e);
      } catch (err) {
        log.error({ err, agent: e.agent_id }, 'egress event could not be traced');
      }
    },
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
        backend: await hostIptablesBackend(),
        log: log.child({ service: 'egress' }),
      });
      await executor.connect();
      return executor;
    },
  });
  const agents = new AgentService(repo, {
    dataDir: d.home,
    instanceId,
    egress,
    runtimes,
    harnesses,
    keys: d.keys,
    keysOf: {
      prefixOf: (id) => d.keys.get(id)?.prefix ?? null,
      liveAgentKeys: () => d.keys.list().filter((k) => k.revokedAt === null && UUID.test(k.owner)),
      revoke: (id) => d.keys.revoke(id),
    },
    images: {
      present: async (kind, h) =>
        h.image
          ? harnessImages.present(kind, h)
          : h.manifest.image === BASE_IMAGE_REF
            ? (await imageService.status(kind)).present
            : ((await runtimes[kind]?.imagePresent(h.manifest.image)) ?? false),
      build: (kind, onProgress, h) => {
        if (!d.settings.get().build_images_on_demand) return null;
        if (h.image) return harnessImages.build(kind, h, onProgress);
        if (h.manifest.image !== BASE_IMAGE_REF)
          return Promise.reject(
            new AppError(
              'UNAVAILABLE',
              `Agent Desk has no recipe for ${h.manifest.image} (the image of ${h.manifest.label}); import it into ${kind} yourself`,
            ),
          );
        const off = d.bus.on('images.progress', (p) => onProgress(p.fraction, p.message));
        return imageService.build([kind]).finally(off);
      },
    },
    litellmState: () => d.llm.status().litellm.state,
    instructions: new InstructionsRepository(d.db),
    gateway: {
      port: () => d.llm.gateway.port,
      addBind: (address) => d.llm.addGatewayBind(address),
      refusal: () => d.llm.gatewayRefusal(),
      agentUrl: (runtime, url) => d.llm.noteAgentUrl(runtime, url),
    },
    runtimeBundleDir: () => agentRuntimeDir(),
    providerIds: () => d.providers.list().map((p) => p.id),
    defaultRuntime: () => d.settings.get().container_runtime,
    stopOnShutdown: () => d.settings.get().stop_agents_on_quit,
    onChange: (list) => d.bus.emit('agents.changed', { agents: list }),
    onProgress: (p) => d.bus.emit('agents.progress', p),
    onTransition: (t) => {
      if (t.to === 'verifying') d.traces.verifies?.begin(t.id, t.at);
      else if (t.from === 'verifying') d.traces.verifies?.end(t.id, t.at);
      if (t.from === t.to) return;
      try {
        recorder.record({
          v: 1,
          id: crypto.randomUUID(),
          trace_id: null,
          parent_id: null,
          created_at: t.at,
          agent_id: t.id,
          kind: 'lifecycle',
          channel_id: null,
          thread_id: null,
          provider: null,
          model: null,
          duration_ms: null,
          tokens_in: null,
          tokens_out: null,
          cost_usd: null,
          error: t.to === 'failed' ? t.reason : null,
          payload: { from_phase: t.from, to_phase: t.to, reason: t.reason },
        });
      } catch (err) {
        log.error({ err, agent: t.id }, 'lifecycle event could not be traced');
      }
    },
    log,
  });
  const chat = new ChatRelay({
    agent: (id) => agents.get(id),
    oomOf: (id) => agents.oomSince(id, 'during the turn'),
    folderOf,
    credentialOf: (id) => (repo.get(id) ? readRuntimeCredential(agentFolder(d.home, id)) : null),
    record: (e) => recorder.record(e),
    turns,
    emit: (e) => d.bus.emit('agents.turn', e),
    log: log.child({ service: 'chat' }),
  });

  const status = async (): Promise<z.infer<typeof ImagesStatus>> => {
    const images = await Promise.all(
      RUNTIME_KINDS.map(async (kind) => {
        try {
          const st = await imageService.status(kind);
          return {
            runtime: kind,
            harness: null,
            ref: st.ref,
            present: st.present,
            building: st.building,
            detail: st.present ? 'present' : 'missing',
          };
        } catch (err) {
          return {
            runtime: kind,
            harness: null,
            ref: BASE_IMAGE_REF,
            present: null,
            building: false,
            detail: (err as Error).message,
          };
        }
      }),
    );
    return { images: [...images, ...(await harnessImages.status(harnesses.list()))] };
  };
  const reachable = async (wanted?: RuntimeKind[]): Promise<RuntimeKind[]> => {
    const st = (await status()).images.filter((i) => i.harness === null);
    const kinds = wanted ?? st.filter((i) => i.present !== null).map((i) => i.runtime);
    const down = st.filter((i) => kinds.includes(i.runtime) && i.present === null);
    if (down.length)
      throw new AppError('UNAVAILABLE', down.map((i) => `${i.runtime}: ${i.detail}`).join('; '));
    if (kinds.length === 0) throw new AppError('UNAVAILABLE', 'Neither Docker nor Incus is reachable');
    return kinds;
  };

  /** Starts a build in the background; refusals that come at once (not root, no npm …) are thrown. */
  const started = async (building: Promise<void>): Promise<void> => {
    const early = await Promise.race([
      building.then(() => 'done' as const),
      new Promise<'running'>((r) => setTimeout(() => r('running'), 500)),
    ]);
    if (early === 'running')
      building.catch((err: Error) => log.error({ err: err.message }, 'image build failed'));
  };
  const images: ImagesFacade = {
    status,
    build: async (wanted, harnessId) => {
      if (harnessId !== undefined) {
        const h = harnesses.get(harnessId);
        if (!h)
          throw new AppError(
            'INVALID_INPUT',
            `harness: "${harnessId}" is not a harness; valid: ${harnesses.ids().join(', ')}`,
          );
        if (!h.image)
          throw new AppError(
            'INVALID_INPUT',
            `harness: ${harnessId} runs on the base image ${BASE_IMAGE_REF}; build that with \`agentdesk images build\``,
          );
        const other = wanted?.find((k) => k !== 'docker');
        if (other)
          throw new AppError(
            'INVALID_INPUT',
            `runtimes: the ${h.manifest.label} image is built for docker only, not ${other}`,
          );
        await started(harnessImages.build('docker', h));
        return status();
      }
      const kinds = await reachable(wanted);
      if (!fs.existsSync(scriptsDir))
        throw new AppError(
          'UNAVAILABLE',
          `The image recipe is missing (${scriptsDir}); reinstall Agent Desk`,
        );
      // Refusals (not root, no debootstrap) come at once; a real build takes minutes and reports by event.
      await started(imageService.build(kinds));
      return status();
    },
    exportTo: async (file) => {
      await imageService.exportTo(file);
      return { file, bytes: fs.statSync(file).size };
    },
    importFrom: async (file, wanted) => {
      if (!fs.existsSync(file)) throw new AppError('NOT_FOUND', `No file at ${file}`);
      await imageService.importFrom(file, await reachable(wanted));
      return status();
    },
  };

  return {
    agents,
    chat,
    folderOf,
    images,
    harnesses,
    runtimes,
    egress,
    shutdown: async () => {
      await agents.shutdown();
      egress.shutdown();
      await Promise.allSettled(Object.values(runtimes).map((r) => r.close()));
      dockerConn?.agent.destroy();
    },
  };
}
