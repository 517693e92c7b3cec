// One supervised LiteLLM proxy: its minimal environment (master key, provider keys), free port, readiness, gateway target.
import http from 'node:http';
import path from 'node:path';
import fs from 'node:fs';
import { freePort } from '../../../platform/free-port';
import { groupOwnsListener } from '../../../platform/socket-owner';
import { SupervisedProcess } from '../../../platform/supervised-process';
import { describeExecutableProblem, executableProblem } from '../../../platform/trusted-executable';
import type { SpawnPlan, SupervisorStatus } from '../../../platform/supervised-process';
import type { GatewayTarget } from '../gateway/target';
import type { LitellmCommand } from './command';
import { MASTER_KEY_ENV } from './config';
import type { ServedModel } from './config';
import { randomBase62 } from '../virtual-keys';
import { loadUpstreamClient, upstreamAgent } from '../gateway/upstream';

/** One start of LiteLLM: what the supervisor runs, plus the port and master key chosen for it. */
export interface LitellmPlan extends SpawnPlan {
  port: number;
  masterKey: string;
}

/** Where secrets seen here are registered, so no log line can carry them; `scrub` cleans LiteLLM's output. */
export interface Redactor {
  add(secret: string): void;
  remove(secret: string): void;
  /** `text` with every known secret (and every key of our own shapes) replaced. */
  scrub(text: string): string;
}

/** Options of a {@link LitellmProcess}. Times in ms. */
export interface LitellmProcessOptions {
  /** The `litellm` executable (see resolveLitellmCommand). */
  command: string;
  /** The config file (written by writeLitellmConfig; holds no secret). */
  configFile: string;
  /** `<data>/litellm`: working directory; `home/` inside is the child's HOME. */
  workDir: string;
  /** Provider keys by env var (`AGENTDESK_KEY_<ID>` → key). Only this child's environment holds them. */
  keys: Record<string, string>;
  redactor: Redactor;
  /** The core's environment, from which PATH, TMPDIR, locale, proxy and CA settings are taken. */
  parentEnv: Readonly<NodeJS.ProcessEnv>;
  /** The port of each start (default: a free one on 127.0.0.1 each time). */
  port?: () => Promise<number>;
  startDeadlineMs?: number;
  stopGraceMs?: number;
  backoff?: { initialMs: number; maxMs: number };
  onOutput?: (line: string, stream: 'stdout' | 'stderr', port: number) => void;
  onChange?: (status: SupervisorStatus) => void;
  onProgress?: (elapsedMs: number) => void;
}

/** Parent variables passed on: not secrets, needed to run Python and to reach providers through a proxy. */
const PASSED_ON = [
  'PATH',
  'TMPDIR',
  'LANG',
  'LC_ALL',
  'TZ',
  'HTTP_PROXY',
  'HTTPS_PROXY',
  'NO_PROXY',
  'http_proxy',
  'https_proxy',
  'no_proxy',
  'SSL_CERT_FILE',
  'SSL_CERT_DIR',
  'REQUESTS_CA_BUNDLE',
];

/**
 * The complete environment of a LiteLLM child (docs/architecture.md, "The key rule": the only place
 * besides the keychain where provider keys exist): a few harmless parent variables, a HOME inside the
 * data dir, offline price map, no telemetry, the master key, the provider keys. Nothing else is inherited.
 * `LITELLM_USE_CHAT_COMPLETIONS_URL_FOR_ANTHROPIC_MESSAGES`: Anthropic-shape requests (`/v1/messages`,
 * Claude Code's) for `openai/` models go to the provider's chat completions rather than its
 * `/v1/responses`, which most OpenAI-compatible servers lack (measured on litellm 1.106.2: 404 without it).
 */
export function litellmEnv(opts: {
  parentEnv: Readonly<NodeJS.ProcessEnv>;
  home: string;
  masterKey: string;
  keys: Record<string, string>;
}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const name of PASSED_ON) if (opts.parentEnv[name]) env[name] = opts.parentEnv[name];
  env.PATH ??= '/usr/local/bin:/usr/bin:/bin';
  env.LANG ??= 'C.UTF-8';
  for (const v of ['NO_PROXY', 'no_proxy'])
    if (env.HTTP_PROXY || env.HTTPS_PROXY || env.http_proxy || env.https_proxy)
      env[v] = [env[v], '127.0.0.1', 'localhost'].filter(Boolean).join(',');
  return {
    ...env,
    HOME: opts.home,
    PYTHONUNBUFFERED: '1',
    PYTHONDONTWRITEBYTECODE: '1',
    NO_COLOR: '1',
    LITELLM_LOCAL_MODEL_COST_MAP: 'True',
    LITELLM_TELEMETRY: 'False',
    LITELLM_USE_CHAT_COMPLETIONS_URL_FOR_ANTHROPIC_MESSAGES: 'true',
    [MASTER_KEY_ENV]: opts.masterKey,
    ...opts.keys,
  };
}

/**
 * The `setpriv` of util-linux on Linux, else `null`. LiteLLM is started through
 * `setpriv --pdeathsig KILL -- litellm …`, so the kernel kills it when the core dies without stopping it
 * (kill -9, crash): no orphan keeps serving with provider keys in its environment. The signal
 * is prctl(2) PR_SET_PDEATHSIG, kept across execve(2) for a binary that is not set-user-ID; it fires
 * when the thread that spawned the child exits (Node spawns from the main thread).
 */
export function parentDeathGuard(
  platform: NodeJS.Platform = process.platform,
  exists: (file: string) => boolean = fs.existsSync,
): string | null {
  if (platform !== 'linux') return null;
  return ['/usr/bin/setpriv', '/bin/setpriv'].find((f) => exists(f)) ?? null;
}

/** A new master key: `sk-` (LiteLLM treats keys starting with it as keys) + 43 base62 characters. */
export function newMasterKey(): string {
  return `sk-master-${randomBase62(43)}`;
}

/**
 * GET http://127.0.0.1:<port>/health/readiness → 200 within 1 s (answers without a key; `/health` would
 * need the master key and call every model).
 */
export function readinessOk(port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get(
      { host: '127.0.0.1', port, path: '/health/readiness', timeout: timeoutMs, agent: false },
      (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      },
    );
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
  });
}

/**
 * LiteLLM as a supervised child: `litellm --config <file> --host 127.0.0.1 --port <free port>` in its own
 * process group, a new port and master key at every (re)start, ready when `/health/readiness` answers
 * 200 **and** (on Linux) the listening socket belongs to the child's group — a foreign server that
 * happens to hold the port is never taken for ours. The master key is registered with the redactor
 * while in use.
 */
export class LitellmProcess {
  readonly supervisor: SupervisedProcess<LitellmPlan>;
  private targetCache: { plan: LitellmPlan; target: GatewayTarget } | null = null;
  private readonly keysInUse = new Set<string>();
  private lastPlanPort: number | null = null;

  constructor(private readonly opts: LitellmProcessOptions) {
    const home = path.join(opts.workDir, 'home');
    for (const key of Object.values(opts.keys)) opts.redactor.add(key);
    this.supervisor = new SupervisedProcess<LitellmPlan>({
      name: 'LiteLLM',
      plan: async () => {
        // Right before each spawn (restarts too): the program may have changed since it was chosen.
        const unsafe = executableProblem(opts.command);
        if (unsafe) throw new Error(describeExecutableProblem(opts.command, unsafe));
        fs.mkdirSync(home, { recursive: true, mode: 0o700 });
        // The gateway's client for LiteLLM (target() makes one when LiteLLM is ready), loaded on first use.
        await loadUpstreamClient();
        const port = await (opts.port ?? (() => freePort('127.0.0.1')))();
        this.lastPlanPort = port;
        const masterKey = newMasterKey();
        this.retireKeys();
        opts.redactor.add(masterKey);
        this.keysInUse.add(masterKey);
        const args = ['--config', opts.configFile, '--host', '127.0.0.1', '--port', String(port)];
        const guard = parentDeathGuard();
        return {
          command: guard ?? opts.command,
          args: guard ? ['--pdeathsig', 'KILL', '--', opts.command, ...args] : args,
          env: litellmEnv({ parentEnv: opts.parentEnv, home, masterKey, keys: opts.keys }),
          cwd: opts.workDir,
          port,
          masterKey,
        };
      },
      isReady: async (plan, pid) =>
        (await readinessOk(plan.port)) && groupOwnsListener(pid, plan.port) !== false,
      readyIntervalMs: 200,
      startDeadlineMs: opts.startDeadlineMs ?? 90_000,
      stopGraceMs: opts.stopGraceMs ?? 5000,
      backoff: opts.backoff,
      // Every line of LiteLLM's stdout/stderr is scrubbed before it is kept (stderr tail → llm.status, the
      // UI, an agent's 503), forwarded (→ litellm.log) or used as a crash reason: a provider error may
      // echo its key, and LiteLLM logs provider errors.
      scrub: (line) => opts.redactor.scrub(line),
      onOutput: (line, stream) => this.opts.onOutput?.(line, stream, this.currentPort()),
      onChange: (s) => {
        if (s.state !== 'ready') this.dropTarget();
        opts.onChange?.(s);
      },
      onProgress: opts.onProgress,
    });
  }

  /** Start intent (returns at once). */
  start(): void {
    this.supervisor.start();
  }

  /** Resolves when ready; @throws Error when it fails or is stopped first. */
  whenReady(): Promise<void> {
    return this.supervisor.whenReady();
  }

  /** Stops the child (SIGTERM, SIGKILL after the grace period) and forgets its master key. */
  async stop(): Promise<void> {
    await this.supervisor.stop();
    this.dropTarget();
    this.retireKeys();
  }

  /** Where the gateway sends requests while this LiteLLM is ready (the same object for one start), else `null`. */
  target(): GatewayTarget | null {
    const ready = this.supervisor.ready();
    if (!ready) return null;
    if (this.targetCache?.plan !== ready.plan) {
      this.dropTarget();
      this.targetCache = {
        plan: ready.plan,
        target: {
          host: '127.0.0.1',
          port: ready.plan.port,
          masterKey: ready.plan.masterKey,
          dispatcher: upstreamAgent(),
          inflight: 0,
        },
      };
    }
    return this.targetCache.target;
  }

  /** The port of the current or last start (while starting too), or `null` before the first. */
  port(): number | null {
    return this.lastPlanPort;
  }

  private currentPort(): number {
    return this.lastPlanPort ?? 0;
  }

  private dropTarget(): void {
    const t = this.targetCache;
    this.targetCache = null;
    const close = (target: GatewayTarget) => void target.dispatcher.destroy().catch(() => {});
    if (t && t.target.inflight === 0) close(t.target);
    else if (t) setTimeout(() => close(t.target), 60_000).unref();
  }

  private retireKeys(): void {
    for (const k of this.keysInUse) this.opts.redactor.remove(k);
    this.keysInUse.clear();
  }
}

/** One LiteLLM with the config it was started from. */
export interface LlmInstance {
  proc: LitellmProcess;
  /** SHA-256 over config, keys and command: equal fingerprints need no reload. */
  fingerprint: string;
  configFile: string;
  models: ServedModel[];
  command: LitellmCommand;
}
