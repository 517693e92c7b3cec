// The deploy state machine and the start/stop procedures of one agent's container (ARCHITECTURE §5).
import type { AgentPhase } from '../../../contract/agents';
import type { LitellmState } from '../../../contract/llm';
import type { Logger } from '../../platform/logging';
import type { ContainerRuntime, ContainerSpec, RuntimeKind } from '../runtimes/container-runtime';
import { LABELS, RuntimeUnavailableError } from '../runtimes/container-runtime';
import { agentFolder, makeAgentFolder, writeEnvFile } from './agent-folder';
import type { AgentRow, SetPhase } from './agent-repository';
import type { FrameworkManifest } from './frameworks';
import { writeOpenClawConfig } from './harnesses/openclaw-config';
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
  runtime: (kind: RuntimeKind) => ContainerRuntime;
  keys: {
    mint(input: { owner: string; models: string[] }): { key: string; record: { id: string } };
    revokeOwner(owner: string): number;
  };
  images: {
    present(kind: RuntimeKind, ref: string): Promise<boolean>;
    /**
     * Builds and imports the image `ref` (the base image, or a framework's image built from it); `null`
     * when building on demand is turned off (the hint says what to do).
     */
    build(
      kind: RuntimeKind,
      onProgress: (fraction: number | null, message: string) => void,
      ref: string,
    ): Promise<void> | null;
  };
  gateway: {
    /** The gateway's port on the host. */
    port(): number;
    /** Listens on one more host address (the Docker bridge's gateway). */
    addBind(address: string): Promise<{ ok: true } | { ok: false; error: string }>;
  };
  /** The installed framework manifests, for their `config` (the agent service passes its own). */
  frameworks?: Map<string, FrameworkManifest>;
  /** Host folder holding `agent-runtime.cjs`, mounted read-only at /opt/agentdesk/runtime. */
  runtimeBundleDir: () => string | null;
  /** Moves the agent's phase (DB first) and tells the UIs. */
  setPhase: SetPhase;
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
}

const RUNTIME_MOUNT = '/opt/agentdesk/runtime';
/** The port the runtime listens on inside the container (resources/agent-runtime/PROTOCOL.md). */
export const RUNTIME_PORT = 8100;

/**
 * Runs the steps of deploy, start and stop for one agent. It writes every phase through `setPhase`
 * (the DB) before acting, and throws {@link DeployError} (or an engine error) on failure; rollback and
 * the `failed` phase are the caller's ({@link AgentService}).
 */
export class Deployer {
  constructor(private readonly d: DeployerDeps) {}

  /** creating → provisioning → starting → verifying → running. @throws DeployError and engine errors. */
  async deploy(row: AgentRow, fw: FrameworkManifest): Promise<void> {
    const id = row.id;
    const rt = this.d.runtime(row.runtime);
    const folder = agentFolder(this.d.dataDir, id);

    // creating: folder and virtual key (a retry replaces the old key).
    this.d.progress(id, 'creating', 0.05, 'Creating the agent folder and its virtual key');
    makeAgentFolder(folder);
    const { key, keyId } = this.mintKey(row);

    this.d.setPhase(id, 'provisioning', null, { key_id: keyId });
    this.d.progress(id, 'provisioning', 0.1, `Checking ${rt.kind} and the image ${fw.image}`);
    if (fw.runtimes && !fw.runtimes.includes(rt.kind))
      throw new DeployError(
        `${fw.label} does not run on ${rt.kind}; valid runtime: ${fw.runtimes.join(', ')}`,
        `Create the agent again with runtime ${fw.runtimes[0]}`,
      );
    await this.ping(rt);
    if (!(await this.d.images.present(rt.kind, fw.image))) {
      const building = this.d.images.build(
        rt.kind,
        (f, message) => this.d.progress(id, 'provisioning', 0.1 + 0.5 * (f ?? 0), message),
        fw.image,
      );
      if (!building)
        throw new DeployError(
          `The image ${fw.image} is not in ${rt.kind} and building images on demand is turned off`,
          'Build it with `agentdesk images build`, import a tarball with `agentdesk images import FILE`, or turn on "Build images on demand" in Settings',
        );
      await building;
    }

    this.d.setPhase(id, 'starting', null);
    this.d.progress(id, 'starting', 0.62, 'Preparing the network');
    const net = await rt.prepareNetwork();
    if (net.gatewayBind) {
      const bound = await this.d.gateway.addBind(net.gatewayBind);
      if (!bound.ok)
        throw new DeployError(
          `The gateway cannot listen on the ${rt.kind} bridge address ${net.gatewayBind}: ${bound.error}`,
          'Check that nothing else uses the gateway port on that address',
        );
    }
    await this.writeEnv(row, key);
    await this.clearStale(rt, row);
    const mounts: ContainerSpec['mounts'] = [
      { hostPath: folder.home, containerPath: '/home/agent', readOnly: false },
    ];
    if (fw.mounts_runtime) {
      const bundle = this.d.runtimeBundleDir();
      if (!bundle)
        throw new DeployError(
          'The agent runtime bundle (agent-runtime.cjs) is missing from this installation',
          'Reinstall Agent Desk; from a source checkout run `npm run build`',
        );
      mounts.push({ hostPath: bundle, containerPath: RUNTIME_MOUNT, readOnly: true });
    }
    this.d.progress(id, 'starting', 0.68, `Creating the container ${row.container}`);
    await rt.create({
      name: row.container,
      image: fw.image,
      env: { AGENTDESK_AGENT_ID: id },
      labels: { [LABELS.agentId]: id, [LABELS.slug]: row.slug, [LABELS.instance]: this.d.instanceId },
      mounts,
      memoryMiB: row.memory_mib,
      cpus: row.cpus,
      ports: [{ containerPort: fw.drive.port, hostPort: 0 }],
      hostServicePort: this.d.gateway.port(),
      command: fw.command,
    });
    const port = await this.startContainer(row, fw, 0.72);

    this.d.setPhase(id, 'verifying', null);
    this.d.progress(id, 'verifying', 0.9, 'Checking the model path from inside the container');
    await this.verify(rt, row, fw, port);
    this.d.setPhase(id, 'running', null, { running_since: Date.now() });
    this.d.progress(id, 'running', 1, 'Running');
  }

  /**
   * Writes the agent's env file (0600): the gateway as the container sees it, the virtual key, the model.
   * Restore calls it with a new key, so no reinstall is needed.
   */
  async writeEnv(row: AgentRow, key: string): Promise<void> {
    const rt = this.d.runtime(row.runtime);
    const gw = await rt.hostServiceAddress(this.d.gateway.port());
    const folder = agentFolder(this.d.dataDir, row.id);
    const baseUrl = `http://${gw.host}:${gw.port}/v1`;
    // Frameworks configured by file (manifest `config`) get it next to the env file, with the same key.
    if (this.d.frameworks?.get(row.framework)?.config === 'openclaw')
      writeOpenClawConfig({
        home: folder.home,
        baseUrl,
        virtualKey: key,
        model: row.model,
        fallbacks: JSON.parse(row.fallbacks) as string[],
      });
    writeEnvFile(folder.envFile, {
      OPENAI_BASE_URL: baseUrl,
      OPENAI_API_KEY: key,
      AGENTDESK_MODEL: row.model,
      AGENTDESK_FALLBACKS: (JSON.parse(row.fallbacks) as string[]).join(','),
      AGENTDESK_AGENT_ID: row.id,
      AGENTDESK_AGENT_NAME: row.name,
      ...instructionsEnv(this.d.instructions?.get(row.id) ?? DEFAULT_INSTRUCTIONS),
    });
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
  async verifyRunning(row: AgentRow, fw: FrameworkManifest, port: number): Promise<void> {
    await this.verify(this.d.runtime(row.runtime), row, fw, port);
  }

  /** Starts an existing container and waits for its runtime (phase `starting` already written). */
  async startContainer(row: AgentRow, fw: FrameworkManifest, fraction = 0.5): Promise<number> {
    const rt = this.d.runtime(row.runtime);
    this.d.progress(row.id, 'starting', fraction, 'Starting the container');
    await rt.start(row.container);
    const info = await rt.inspect(row.container);
    const port = info?.ports.find((p) => p.containerPort === fw.drive.port)?.hostPort ?? null;
    if (!port)
      throw new DeployError(`The container ${row.container} has no port forward for ${fw.drive.port}`);
    this.d.setPhase(row.id, 'starting', null, { runtime_port: port });
    this.d.progress(row.id, 'starting', fraction + 0.08, 'Waiting for the agent runtime to answer');
    const deadlineMs = fw.drive.ready_timeout_s
      ? Math.max(fw.drive.ready_timeout_s * 1000, this.d.healthDeadlineMs ?? 0)
      : this.d.healthDeadlineMs;
    await this.waitHealthy(rt, row.container, port, fw.drive.health, deadlineMs);
    return port;
  }

  /** running → stopping → stopped (SIGTERM, killed after the timeout). */
  async stop(row: AgentRow, reason: string | null = null): Promise<void> {
    this.d.setPhase(row.id, 'stopping', reason);
    await this.d.runtime(row.runtime).stop(row.container, { timeoutS: this.d.stopTimeoutS ?? 10 });
    this.d.setPhase(row.id, 'stopped', reason, { runtime_port: null, running_since: null });
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

  private async waitHealthy(
    rt: ContainerRuntime,
    name: string,
    port: number,
    healthPath: string,
    deadlineMs = this.d.healthDeadlineMs ?? 30_000,
  ): Promise<void> {
    const deadline = Date.now() + deadlineMs;
    let lastError = 'no answer yet';
    let checks = 0;
    while (Date.now() < deadline) {
      try {
        const res = await fetch(`http://127.0.0.1:${port}${healthPath}`, {
          signal: AbortSignal.timeout(2000),
        });
        if (res.ok) return;
        lastError = `HTTP ${res.status}`;
      } catch (err) {
        lastError = (err as Error).message;
      }
      if (++checks % 20 === 0) {
        const info = await rt.inspect(name);
        if (!info || info.state !== 'running')
          throw new DeployError(
            `The container ${name} stopped while starting${info?.exitCode != null ? ` (exit code ${info.exitCode})` : ''}`,
            'See the log lines below',
          );
      }
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new DeployError(
      `The agent runtime did not answer ${healthPath} within ${Math.round(deadlineMs / 1000)} s (${lastError})`,
      'See the log lines below',
    );
  }

  private async verify(
    rt: ContainerRuntime,
    row: AgentRow,
    fw: FrameworkManifest,
    port: number,
  ): Promise<void> {
    const deadline = this.d.verifyDeadlineMs ?? 90_000;
    const failed = (message: string) =>
      new DeployError(`Verifying the model ${row.model} from inside the container failed: ${message}`);
    if (this.d.litellmState) {
      let waited = false;
      await waitForLitellm(this.d.litellmState, () => {
        waited = true;
        this.d.setPhase(row.id, 'verifying', WAITING_FOR_LITELLM);
        this.d.progress(row.id, 'verifying', 0.88, 'Waiting for LiteLLM to start');
      }).catch((err: Error) => {
        throw new DeployError(err.message, 'Open the System view to see why LiteLLM does not start');
      });
      if (waited) this.d.setPhase(row.id, 'verifying', null);
    }
    if (fw.verify.kind === 'http') {
      let res: Response;
      try {
        res = await fetch(`http://127.0.0.1:${port}${fw.verify.path}`, {
          signal: AbortSignal.timeout(deadline),
        });
      } catch (err) {
        throw failed(`the harness did not answer ${fw.verify.path}: ${(err as Error).message}`);
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
      throw failed(message);
    }
    const quoted = fw.verify.command.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
    const r = await rt.exec(
      row.container,
      ['sh', '-c', `set -a; . /home/agent/.agentdesk/env; set +a; exec ${quoted}`],
      { timeoutMs: deadline },
    );
    if (r.exitCode === 0) return;
    const line = r.stdout.trim().split('\n').at(-1) ?? '';
    let message = r.stderr.trim().split('\n').at(-1) || `exit code ${r.exitCode}`;
    try {
      const parsed = JSON.parse(line) as { error?: string };
      if (parsed.error) message = parsed.error;
    } catch {
      /* not JSON: keep stderr */
    }
    throw failed(message);
  }
}
