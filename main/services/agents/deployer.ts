// The deploy state machine and the start/stop procedures of one agent's container (docs/architecture.md).
import type { AgentImages } from '../images/images';
import fs from 'node:fs';
import type { AgentPhase } from '../../../contract/agents';
import type { LitellmState } from '../../../contract/llm';
import type { Logger } from '../../platform/logging';
import type {
  ContainerRuntime,
  EgressAttachment,
  RuntimeEndpoint,
  RuntimeKind,
} from '../runtimes/container-runtime';
import type { RuntimeOwner } from '../runtimes/runtimes';
import { LOCAL_ENGINE } from '../runtimes/engine-target';
import { isRemoteGateway, LABELS, RuntimeUnavailableError } from '../runtimes/container-runtime';
import type { AgentIdentity } from './agent-folder';
import type { Harness } from '../harnesses/harness';
import {
  agentFolder,
  agentIdentity,
  CONFIG_MOUNT,
  configFolderOf,
  makeAgentFolder,
  readRuntimeCredential,
  removeLegacyFiles,
  writeConfigFile,
  writeEnvFile,
  writeRuntimeCredential,
} from './agent-folder';
import type { AgentRow } from './agent-repository';
import type { PhaseWriter } from './agent-phases';
import { agentContainerSpec, isCurrent } from './container-spec';
import { oomMessage } from './oom';
import { endpointText, publishedPort, runtimeFetch } from './runtime-client';
import { WAITING_FOR_LITELLM, waitForLitellm } from './litellm-wait';
import type { InstructionsRepository } from './agent-instructions';
import { DEFAULT_INSTRUCTIONS, instructionsEnv } from './agent-instructions';

/** A deploy step that failed, with what the user can do. */
export class DeployError extends Error {
  constructor(
    message: string,
    readonly hint: string | null = null,
  ) {
    super(message);
    this.name = 'DeployError';
  }
}

/** What the deployer needs. Times in ms. */
export interface DeployerDeps {
  dataDir: string;
  /** The runtime an agent runs on (its kind on its engine). @throws DeployError when there is none. */
  runtime: (row: RuntimeOwner) => ContainerRuntime;
  keys: {
    mint(input: { owner: string; models: string[] }): { key: string; record: { id: string } };
    revokeOwner(owner: string): number;
  };
  /** The harness's image: presence, and a build on demand (main/services/images/images.ts). */
  images: AgentImages;
  gateway: {
    /** The gateway's port on the host. */
    port(): number;
    /** Listens on one more host address (the Docker bridge's gateway). */
    addBind(address: string): Promise<{ ok: true } | { ok: false; error: string }>;
    /**
     * Why no agent may start now (the gateway does not listen on the port agents' endpoints name, e.g.
     * another process holds it), or `null`. Absent = always `null`.
     */
    refusal?(): string | null;
    /** Told the base URL (`…/v1`) an agent of `runtime` is given, each time an env file is written. */
    agentUrl?(runtime: RuntimeKind, url: string): void;
  };
  /** The installed harnesses (main/services/harnesses), for their configure step. */
  harnesses: { get(id: string): Harness | undefined };
  /**
   * Egress control (main/services/egress): attaches the agent (address, DNS path, host firewall rules)
   * before its container is created (`existing` false) or started (`existing` true); null = egress
   * control turned off. Throws when the policy cannot be enforced.
   */
  egress?: {
    /** Whether agents get an attachment (false: egress control turned off); absent = true. */
    active?(): Promise<boolean>;
    attach(
      agentId: string,
      kind: RuntimeKind,
      container: string,
      existing: boolean,
    ): Promise<EgressAttachment | null>;
    /** A remote agent: its engine's egress proxy given the policies (absent: remote agents get nothing). */
    attachRemote?(agentId: string, engine: string): Promise<void>;
  };
  /** Host folder holding `agent-runtime.cjs` and the harness adapters, mounted read-only at /opt/agentdesk/runtime. */
  runtimeBundleDir: () => string | null;
  /** Moves the agent's phase (DB first), and tells the trace, the gateway's keys and the UIs. */
  phases: PhaseWriter;
  progress: (id: string, phase: AgentPhase, fraction: number | null, message: string) => void;
  log: Logger;
  /** Label value naming this data dir's core ({@link LABELS.instance}). */
  instanceId: string;
  /** How long the runtime may take to answer /health after start (default 30 000). */
  healthDeadlineMs?: number;
  /** The agent's system prompt, temperature and tools on/off, written into its env file. */
  instructions?: Pick<InstructionsRepository, 'get'>;
  /** LiteLLM's state now: verifying waits while it is `starting` (see litellm-wait.ts). */
  litellmState?: () => LitellmState;
  /** Deadline of the verify command (default 90 000: it ends with a one-token completion, which a busy local model may queue). */
  verifyDeadlineMs?: number;
  /** Graceful stop before kill, s (default 10). */
  stopTimeoutS?: number;
  /** Who agents run as (default {@link agentIdentity} of `env`: the core's user, or a fixed one for a root core). */
  identity?: AgentIdentity;
  /** The core's environment, for `AGENTDESK_AGENT_UID`/`AGENTDESK_AGENT_GID` (a root core); default none. */
  env?: Readonly<NodeJS.ProcessEnv>;
}

/**
 * The gateway's certificate in a remote agent's config folder: its only trust for HTTPS (named by
 * `NODE_EXTRA_CA_CERTS` for Node and `SSL_CERT_FILE` for OpenSSL and rustls clients).
 */
export const GATEWAY_CA_FILE = 'gateway-ca.pem';

/** The port the runtime listens on inside the container (resources/agent-runtime/PROTOCOL.md). */
export const RUNTIME_PORT = 8100;

/** How often, while a runtime is not ready, the deployer asks the engine whether its container still runs (ms). */
export const LIVENESS_CHECK_MS = 1000;

/**
 * The pause before the next readiness poll of a starting runtime, `elapsedMs` after the first (ms):
 * 25 ms for the first second (the built-in runtime and the CLI harnesses answer within ~50 ms of their
 * start), then growing linearly to 250 ms at 4 s and staying there. Each poll costs the container CPU
 * inside its own limit (a harness that forwards it, e.g. OpenClaw's /health → its gateway's /readyz,
 * spends it on the program that is starting): measured on OpenClaw under its 1-CPU limit, a fixed 25 ms
 * poll took ~1.6 s of CPU from a ~20 s start (bench/deploy.mjs). The added wait is at most 250 ms.
 */
export function healthPollDelay(elapsedMs: number): number {
  if (elapsedMs < 1000) return 25;
  return Math.min(250, 25 + Math.round(((elapsedMs - 1000) / 3000) * 225));
}

/**
 * Runs the steps of deploy, start and stop for one agent. It writes every phase through `phases`
 * (the DB) before acting, and throws {@link DeployError} (or an engine error) on failure; rollback and
 * the `failed` phase are the caller's ({@link AgentService}).
 */
export class Deployer {
  constructor(private readonly d: DeployerDeps) {}

  /** creating → provisioning → starting → verifying → running. @throws DeployError and engine errors. */
  async deploy(row: AgentRow, h: Harness): Promise<void> {
    const fw = h.manifest;
    this.checkGateway();
    const id = row.id;
    const rt = this.d.runtime(row);
    const folder = agentFolder(this.d.dataDir, id);

    // creating: folder and virtual key (a retry replaces the old key).
    this.d.progress(id, 'creating', 0.05, 'Creating the agent folder and its virtual key');
    fs.mkdirSync(folder.root, { recursive: true, mode: 0o700 });
    const { key, keyId } = this.mintKey(row);

    this.d.phases.set(id, 'provisioning', null, { key_id: keyId });
    this.d.progress(id, 'provisioning', 0.1, `Checking ${rt.kind} and the image ${fw.image}`);
    if (!fw.engines.includes(rt.kind))
      throw new DeployError(
        `${fw.label} does not run on ${rt.kind}; valid runtime: ${fw.engines.join(', ')}`,
        `Create the agent again with runtime ${fw.engines[0]}`,
      );
    await this.ping(rt);
    const engine = row.engine ?? 'local';
    if (engine !== 'local') {
      // A named engine gets the image built here, sent over (export here, load there).
      if (!(await rt.imagePresent(fw.image))) {
        const sending = this.d.images.sendTo?.(engine, rt, h, (f, message) =>
          this.d.progress(id, 'provisioning', 0.1 + 0.5 * (f ?? 0), message),
        );
        if (!sending)
          throw new DeployError(
            `The image ${fw.image} is not on the engine "${engine}" and cannot be sent there (this build sends no images to other engines, or building images on demand is off)`,
            `Load it there yourself (\`docker load\` / \`incus image import\`), turn on "Build images on demand" in Settings, or use a build with remote engines`,
          );
        await sending;
      }
    } else if (!(await this.d.images.present(rt.kind, h))) {
      const building = this.d.images.build(
        rt.kind,
        (f, message) => this.d.progress(id, 'provisioning', 0.1 + 0.5 * (f ?? 0), message),
        h,
      );
      if (!building)
        throw new DeployError(
          `The image ${fw.image} is not in ${rt.kind} and building images on demand is turned off`,
          `Build it with \`agentdesk images build${h.image ? ` --harness ${fw.id}` : ''}\`${h.image ? '' : ', import a tarball with `agentdesk images import FILE`'}, or turn on "Build images on demand" in Settings`,
        );
      await building;
    }

    this.d.phases.set(id, 'starting', null);
    this.d.progress(id, 'starting', 0.62, 'Preparing the network');
    const net = await rt.prepareNetwork({ egress: await this.egressActive() });
    if (net.gatewayBind) {
      const bound = await this.d.gateway.addBind(net.gatewayBind);
      if (!bound.ok)
        throw new DeployError(
          `The gateway cannot listen on the ${rt.kind} bridge address ${net.gatewayBind}: ${bound.error}`,
          'Check that nothing else uses the gateway port on that address',
        );
    }
    // A container an earlier attempt left goes first: nothing of the agent runs while the host writes
    // into its folder.
    await this.clearStale(rt, row);
    await this.writeEnv(row, key);
    this.d.progress(id, 'starting', 0.66, 'Applying the egress policy');
    const egress = await this.attachEgress(row, rt, false);
    this.d.progress(id, 'starting', 0.68, `Creating the container ${row.container}`);
    await this.createContainer(rt, row, h, egress);
    const endpoint = await this.startContainer(row, h, 0.72, false);

    this.d.phases.set(id, 'verifying', null);
    this.d.progress(id, 'verifying', 0.9, 'Checking the model path from inside the container');
    await this.verify(rt, row, h, endpoint);
    this.d.phases.set(id, 'running', null, { running_since: Date.now() });
    this.d.progress(id, 'running', 1, 'Running');
  }

  /** Who the agent runs as. */
  get who(): AgentIdentity {
    return this.d.identity ?? agentIdentity(this.d.env ?? {});
  }

  /**
   * Writes the agent's config folder (host-written, mounted read-only at /opt/agentdesk/config): the
   * harness's own config (its `configure` step, with the gateway as the container sees it and the
   * virtual key), the env file (gateway, virtual key, model, and the harness's entries), a new runtime
   * credential. On a remote engine the gateway is `https://agentdesk-gateway:<port>` and its certificate
   * is written as {@link GATEWAY_CA_FILE}, which `NODE_EXTRA_CA_CERTS` and `SSL_CERT_FILE` name. Files earlier versions wrote into the home are removed without following links. Restore
   * calls it with a new key, so no reinstall is needed. Call it only while the agent's container is not
   * running. @throws DeployError when the agent's harness is not installed.
   */
  async writeEnv(row: AgentRow, key: string): Promise<void> {
    const h = this.d.harnesses.get(row.harness);
    if (!h) throw new DeployError(`The harness "${row.harness}" of this agent is not installed`);
    const rt = this.d.runtime(row);
    const gw = await rt.hostServiceAddress(this.d.gateway.port(), { egress: await this.egressActive() });
    const folder = agentFolder(this.d.dataDir, row.id);
    makeAgentFolder(folder, this.who);
    // A remote engine's agent calls the gateway's TLS listener and trusts its certificate alone.
    const remote = isRemoteGateway(gw) ? gw : null;
    const gateway = `${remote ? 'https' : 'http'}://${gw.host}:${gw.port}`;
    let tlsEnv: Record<string, string> = {};
    if (remote) {
      writeConfigFile(folder, GATEWAY_CA_FILE, remote.caPem, this.who);
      const ca = `${CONFIG_MOUNT}/${GATEWAY_CA_FILE}`;
      // The runtime listens on the container's loopback only: the core reaches it through the engine
      // (runtimes/remote/runtime-forwarder.ts), and other agents on the engine's network cannot.
      tlsEnv = { NODE_EXTRA_CA_CERTS: ca, SSL_CERT_FILE: ca, AGENTDESK_HOST: '127.0.0.1' };
    }
    this.d.gateway.agentUrl?.(row.runtime, `${gateway}/v1`);
    const fallbacks = JSON.parse(row.fallbacks) as string[];
    const own = h.configure(configFolderOf(folder, this.who), {
      gateway,
      virtualKey: key,
      model: row.model,
      fallbacks,
    });
    writeEnvFile(
      folder,
      {
        OPENAI_BASE_URL: `${gateway}/v1`,
        OPENAI_API_KEY: key,
        AGENTDESK_MODEL: row.model,
        AGENTDESK_FALLBACKS: fallbacks.join(','),
        AGENTDESK_AGENT_ID: row.id,
        AGENTDESK_AGENT_NAME: row.name,
        AGENTDESK_CONFIG_DIR: CONFIG_MOUNT,
        AGENTDESK_RUNTIME_TOKEN_FILE: `${CONFIG_MOUNT}/runtime-token`,
        ...instructionsEnv(this.d.instructions?.get(row.id) ?? DEFAULT_INSTRUCTIONS),
        ...own,
        ...tlsEnv,
      },
      this.who,
    );
    writeRuntimeCredential(folder, this.who);
    removeLegacyFiles(folder);
  }

  /**
   * Before starting an existing container: makes sure the agent's folder and config exist (an agent of
   * an earlier version gets its config folder and a new key, `keyId` returned) and that the container
   * has the current containment and shared folders, creating it again (same home) when not.
   * @returns the id of a newly minted key, or null.
   * @throws DeployError, AppError INVALID_INPUT (a shared folder is now blocked), engine errors.
   */
  async refresh(row: AgentRow, h: Harness): Promise<string | null> {
    const rt = this.d.runtime(row);
    const folder = agentFolder(this.d.dataDir, row.id);
    let keyId: string | null = null;
    const info = await rt.inspect(row.container);
    const current = info !== null && isCurrent(info.labels, row);
    if (!current || !fs.existsSync(folder.envFile) || !readRuntimeCredential(folder)) {
      if (info && info.state === 'running')
        await rt.stop(row.container, { timeoutS: this.d.stopTimeoutS ?? 10 });
      const minted = this.mintKey(row);
      keyId = minted.keyId;
      await this.writeEnv(row, minted.key);
    }
    if (!current) {
      this.d.progress(
        row.id,
        'starting',
        0.4,
        `Creating ${row.container} again with the current containment`,
      );
      const net = await rt.prepareNetwork({ egress: await this.egressActive() });
      if (net.gatewayBind) await this.d.gateway.addBind(net.gatewayBind);
      await this.clearStale(rt, row);
      // The new container gets the agent's address and DNS path at create, like a deploy's.
      const egress = await this.attachEgress(row, rt, false);
      await this.createContainer(rt, row, h, egress);
    }
    return keyId;
  }

  /**
   * Creates the agent's container from {@link agentContainerSpec}, with its egress attachment (null:
   * egress control off). @throws DeployError, engine errors.
   */
  private async createContainer(
    rt: ContainerRuntime,
    row: AgentRow,
    h: Harness,
    egress: EgressAttachment | null,
  ): Promise<void> {
    const fw = h.manifest;
    const bundle = fw.mounts_runtime ? this.d.runtimeBundleDir() : null;
    if (fw.mounts_runtime && !bundle)
      throw new DeployError(
        'The agent runtime bundle (agent-runtime.cjs) is missing from this installation',
        'Reinstall Agent Desk; from a source checkout run `npm run build`',
      );
    const folder = agentFolder(this.d.dataDir, row.id);
    await rt.create(
      agentContainerSpec({
        row,
        fw,
        kind: rt.kind,
        dataDir: this.d.dataDir,
        folder,
        who: this.who,
        instanceId: this.d.instanceId,
        gatewayPort: this.d.gateway.port(),
        runtimeBundle: bundle,
        egress,
      }),
      row.member ? { member: row.member } : {},
    );
  }

  /** Mints the agent's virtual key (revoking any older one), scoped to its model and fallbacks. */
  mintKey(row: AgentRow): { key: string; keyId: string } {
    this.d.keys.revokeOwner(row.id);
    const { key, record } = this.d.keys.mint({
      owner: row.id,
      models: [row.model, ...(JSON.parse(row.fallbacks) as string[])],
    });
    return { key, keyId: record.id };
  }

  /** Proves the model path from inside the running container (the `verifying` phase is the caller's). */
  async verifyRunning(row: AgentRow, h: Harness, endpoint: RuntimeEndpoint): Promise<void> {
    await this.verify(this.d.runtime(row), row, h, endpoint);
  }

  /**
   * Starts an existing container and waits for its runtime (phase `starting` already written); records
   * how the core reaches it (`runtime_endpoint`, and `runtime_port` when published). Refused while the
   * gateway is off its port; its egress attachment is checked first (`attach` false: the deploy that
   * just created it did that).
   */
  async startContainer(row: AgentRow, h: Harness, fraction = 0.5, attach = true): Promise<RuntimeEndpoint> {
    const fw = h.manifest;
    this.checkGateway();
    const rt = this.d.runtime(row);
    if (attach) await this.attachEgress(row, rt, true);
    this.d.progress(row.id, 'starting', fraction, 'Starting the container');
    await rt.start(row.container);
    const endpoint = await rt.endpoint(row.container, fw.drive.port);
    if (!endpoint)
      throw new DeployError(
        `The container ${row.container} gives the core no way to its runtime port ${fw.drive.port}`,
      );
    this.d.phases.set(row.id, 'starting', null, {
      runtime_port: publishedPort(endpoint),
      runtime_endpoint: endpointText(endpoint),
    });
    this.d.progress(row.id, 'starting', fraction + 0.08, 'Waiting for the agent runtime to answer');
    const deadlineMs = fw.drive.ready_timeout_s
      ? Math.max(fw.drive.ready_timeout_s * 1000, this.d.healthDeadlineMs ?? 0)
      : this.d.healthDeadlineMs;
    await this.waitHealthy(rt, row, h, endpoint, fw.drive.health, deadlineMs);
    return endpoint;
  }

  /** running → stopping → stopped (SIGTERM, killed after the timeout). */
  async stop(row: AgentRow, reason: string | null = null): Promise<void> {
    this.d.phases.set(row.id, 'stopping', reason);
    await this.d.runtime(row).stop(row.container, { timeoutS: this.d.stopTimeoutS ?? 10 });
    this.d.phases.set(row.id, 'stopped', reason, {
      runtime_port: null,
      runtime_endpoint: null,
      running_since: null,
    });
  }

  /** Whether agents get an egress attachment (see {@link DeployerDeps.egress}). */
  private async egressActive(): Promise<boolean> {
    if (!this.d.egress) return false;
    return (await this.d.egress.active?.()) ?? true;
  }

  /** The agent's egress attachment (see {@link DeployerDeps.egress}); an unenforceable policy is a DeployError. */
  private async attachEgress(
    row: AgentRow,
    rt: ContainerRuntime,
    existing: boolean,
  ): Promise<EgressAttachment | null> {
    // The host firewall sees only this machine's engines. An agent on a named engine is contained there
    // (docs/decisions/019-remote-gateway-path.md): it reaches the gateway, and what its policy allows
    // through the engine's egress proxy (docs/decisions/023-remote-egress.md).
    if (!this.d.egress) return null;
    const engine = row.engine ?? LOCAL_ENGINE;
    if (engine !== LOCAL_ENGINE) {
      await this.d.egress.attachRemote?.(row.id, engine);
      return null;
    }
    try {
      return await this.d.egress.attach(row.id, rt.kind, row.container, existing);
    } catch (err) {
      const fix = (err as { fix?: unknown }).fix;
      if (typeof fix === 'string') throw new DeployError((err as Error).message, fix);
      throw err;
    }
  }

  /**
   * Refuses to start a container while the gateway does not listen on its port: the agent would send
   * its requests, and its virtual key, to whatever holds that port. @throws DeployError
   */
  private checkGateway(): void {
    const why = this.d.gateway.refusal?.() ?? null;
    if (why)
      throw new DeployError(
        why,
        'See the gateway in the System view; start the agent again once the gateway listens',
      );
  }

  private async ping(rt: ContainerRuntime): Promise<void> {
    try {
      await rt.ping();
    } catch (err) {
      if (err instanceof RuntimeUnavailableError) throw new DeployError(err.message, err.fix);
      throw err;
    }
  }

  /** Removes a container of the same name left by an earlier attempt of this agent; refuses a stranger's. */
  private async clearStale(rt: ContainerRuntime, row: AgentRow): Promise<void> {
    const existing = await rt.inspect(row.container);
    if (!existing) return;
    if (existing.labels[LABELS.agentId] !== row.id)
      throw new DeployError(
        `A container named ${row.container} already exists in ${rt.kind} and does not belong to this agent`,
        `Remove or rename it (\`${rt.kind === 'docker' ? 'docker rm' : 'incus delete'} ${row.container}\`), or choose another name`,
      );
    await rt.remove(row.container);
  }

  /**
   * Polls the runtime's health path until it answers 2xx, on {@link healthPollDelay}'s schedule; every
   * {@link LIVENESS_CHECK_MS} it asks the engine whether the container still runs (a stopped one is a
   * DeployError naming its exit code, or the OOM kill).
   */
  private async waitHealthy(
    rt: ContainerRuntime,
    row: AgentRow,
    h: Harness,
    endpoint: RuntimeEndpoint,
    healthPath: string,
    deadlineMs = this.d.healthDeadlineMs ?? 30_000,
  ): Promise<void> {
    const name = row.container;
    const credential = readRuntimeCredential(agentFolder(this.d.dataDir, row.id));
    const started = Date.now();
    const deadline = started + deadlineMs;
    let lastError = 'no answer yet';
    let nextLiveness = started + LIVENESS_CHECK_MS;
    while (Date.now() < deadline) {
      try {
        const res = await runtimeFetch(endpoint, credential, healthPath, {
          signal: AbortSignal.timeout(2000),
        });
        await res.body?.cancel();
        if (res.ok) return;
        lastError = `HTTP ${res.status}`;
      } catch (err) {
        lastError = (err as Error).message;
      }
      if (Date.now() >= nextLiveness) {
        nextLiveness = Date.now() + LIVENESS_CHECK_MS;
        const info = await rt.inspect(name);
        if (!info || info.state !== 'running') {
          const oom = await oomMessage(rt, row, h.manifest, 'while starting');
          if (oom) throw new DeployError(oom.message, oom.fix);
          throw new DeployError(
            `The container ${name} stopped while starting${info?.exitCode != null ? ` (exit code ${info.exitCode})` : ''}`,
            'See the log lines below',
          );
        }
      }
      await new Promise((r) => setTimeout(r, healthPollDelay(Date.now() - started)));
    }
    throw new DeployError(
      `The agent runtime did not answer ${healthPath} within ${Math.round(deadlineMs / 1000)} s (${lastError})`,
      'See the log lines below',
    );
  }

  private async verify(
    rt: ContainerRuntime,
    row: AgentRow,
    h: Harness,
    endpoint: RuntimeEndpoint,
  ): Promise<void> {
    const deadline = this.d.verifyDeadlineMs ?? 90_000;
    const path = h.manifest.verify.path;
    const failed = async (message: string) => {
      const oom = await oomMessage(rt, row, h.manifest, 'while verifying');
      return oom
        ? new DeployError(oom.message, oom.fix)
        : new DeployError(`Verifying the model ${row.model} from inside the container failed: ${message}`);
    };
    if (this.d.litellmState) {
      let waited = false;
      await waitForLitellm(this.d.litellmState, () => {
        waited = true;
        this.d.phases.set(row.id, 'verifying', WAITING_FOR_LITELLM);
        this.d.progress(row.id, 'verifying', 0.88, 'Waiting for LiteLLM to start');
      }).catch((err: Error) => {
        throw new DeployError(err.message, 'Open the System view to see why LiteLLM does not start');
      });
      if (waited) this.d.phases.set(row.id, 'verifying', null);
    }
    let res: Response;
    try {
      res = await runtimeFetch(endpoint, readRuntimeCredential(agentFolder(this.d.dataDir, row.id)), path, {
        signal: AbortSignal.timeout(deadline),
      });
    } catch (err) {
      throw await failed(`the harness did not answer ${path}: ${(err as Error).message}`);
    }
    if (res.ok) return;
    const text = await res.text();
    let message = `HTTP ${res.status}`;
    try {
      const body = JSON.parse(text) as { error?: string | { message?: string } };
      message = typeof body.error === 'string' ? body.error : (body.error?.message ?? message);
    } catch {
      /* not JSON: keep the status */
    }
    throw await failed(message);
  }
}
