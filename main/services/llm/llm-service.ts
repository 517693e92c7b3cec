// LiteLLM and the gateway together: config from the providers, start without blocking, reload without downtime.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { AppError } from '../../../contract/errors';
import type { LlmStatus, LlmTestInput, LlmTestResult } from '../../../contract/llm';
import type { Logger } from '../../platform/logging';
import { RotatingFileStream } from '../../platform/logging';
import type { SupervisorStatus } from '../../platform/supervised-process';
import { describeExecutableProblem, executableProblem } from '../../platform/trusted-executable';
import { JsonlAgentTraceSink } from './agent-trace-sink';
import type { AgentTraceSink } from './agent-trace-sink';
import { Gateway } from './gateway/gateway';
import type { GatewayTarget } from './gateway/target';
import { GatewayPortKeeper } from './gateway/port';
import type { KeyStore } from './gateway/policy';
import type { GatewayBudget } from './gateway/budget';
import { buildLitellmConfig, writeLitellmConfig } from './litellm/config';
import type { ServedModel } from './litellm/config';
import type { LitellmCommand } from './litellm/command';
import { LitellmProcess } from './litellm/process';
import type { LitellmProcessOptions, LlmInstance, Redactor } from './litellm/process';
import type { LlmCallSink } from './llm-calls';
import { buildStatus, unavailableReason } from './llm-status';
import { describeModel, keyStateFromSnapshot } from './model-info';
import { PriceBook } from './price-map';
import type { LlmProviderSnapshot, LlmProviderSource } from './provider-source';
import { testModel } from './test-model';

/** What the LLM service needs. Times in ms. */
export interface LlmServiceDeps {
  /** The data dir; LiteLLM's files go to `<home>/litellm/`. */
  home: string;
  /** Resolves the litellm command at each (re)configuration (the setting may change). */
  resolveCommand: () => LitellmCommand | null;
  source: LlmProviderSource;
  keys: KeyStore;
  sink: LlmCallSink;
  /** Where runtimes' tool events go (`POST /v1/agentdesk/trace`); default `<home>/logs/agent-trace.jsonl`. */
  traceSink?: AgentTraceSink;
  redactor: Redactor & { scrub(text: string): string };
  log: Logger;
  /** Called with the full status after every change (the `llm.status` event). */
  onStatus?: (status: LlmStatus) => void;
  /**
   * Gateway binds (default 127.0.0.1), port (default: the one used last time, else a free one) and
   * `hostAliasPorts` (more ports agents may name in `Host`, see GatewayOptions).
   */
  gateway?: { binds?: string[]; port?: number; hostAliasPorts?: number[]; budget?: GatewayBudget };
  /**
   * Whether anything may still call the gateway at the port of last time (agents are configured with it;
   * default true). Only when this answers false may a taken port be replaced by a free one.
   */
  gatewayDependents?: () => boolean;
  /** How often a gateway port held by another process is tried again, ms (default 3 000). */
  gatewayRetryMs?: number;
  /** Names a provider whose server did not answer and has it re-probed (upstream-down.ts). */
  upstreamDown?: (provider: string) => string | null;
  startDeadlineMs?: number;
  /** How long a replaced LiteLLM may finish its in-flight requests (default 30 000). */
  drainMs?: number;
  /** How long the gateway holds a request while LiteLLM starts before answering 503 (default 10 000). */
  holdMs?: number;
  /** The core's environment, passed on (in part) to LiteLLM: PATH, locale, proxies, CA settings. */
  env: Readonly<NodeJS.ProcessEnv>;
  /** Test hooks for the processes (port choice, backoff, grace). */
  processOptions?: Partial<Pick<LitellmProcessOptions, 'port' | 'backoff' | 'stopGraceMs' | 'parentEnv'>>;
}

/**
 * Owns the gateway and the LiteLLM processes (docs/decisions/004-litellm-supervision-and-gateway.md).
 * {@link init} starts the gateway and
 * returns; LiteLLM starts in the background (the UI never waits for it). {@link reload} rebuilds the
 * config from the providers: unchanged → nothing; no models → LiteLLM stopped (`idle`); otherwise a
 * new LiteLLM starts beside the serving one, the gateway switches once it is ready, and the old one
 * finishes its in-flight requests (≤ `drainMs`) before it is stopped.
 */
export class LlmService {
  readonly gateway: Gateway;
  active: LlmInstance | null = null;
  candidate: LlmInstance | null = null;
  private idle: 'idle' | 'missing' | 'stopped' | null = null;
  /** Why the resolved command is not run (not safe: see trusted-executable.ts), while providers have models. */
  private refusal: string | null = null;
  private notes: string[] = [];
  private lastReloadError: string | null = null;
  private readonly dir: string;
  private readonly log: RotatingFileStream;
  private readonly port: GatewayPortKeeper;
  private readonly prices = new PriceBook();
  private readonly traceSink: AgentTraceSink;
  /** Key states come from here when the source cannot tell (only the providers and notes are kept). */
  private lastSnapshot: Pick<LlmProviderSnapshot, 'providers' | 'notes'> = { providers: [], notes: [] };
  private queue: Promise<void> = Promise.resolve();
  private queued = false;
  private debounce: NodeJS.Timeout | null = null;
  private gen = 0;
  private lastProgressEmit = 0;
  private closed = false;
  private logOpen = true;
  /** Base URL agents are given, by runtime (see {@link noteAgentUrl}). */
  private readonly agentUrls = new Map<string, string>();

  constructor(private readonly deps: LlmServiceDeps) {
    this.dir = path.join(deps.home, 'litellm');
    fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    this.log = new RotatingFileStream(path.join(this.dir, 'litellm.log'), 5 * 1024 * 1024, 3);
    this.traceSink =
      deps.traceSink ?? new JsonlAgentTraceSink(path.join(deps.home, 'logs', 'agent-trace.jsonl'));
    this.gateway = new Gateway({
      binds: deps.gateway?.binds ?? ['127.0.0.1'],
      port: deps.gateway?.port ?? GatewayPortKeeper.persisted(path.join(this.dir, 'gateway.json')),
      hostAliasPorts: deps.gateway?.hostAliasPorts,
      budget: deps.gateway?.budget,
      keys: deps.keys,
      sink: deps.sink,
      target: () => this.target(),
      unavailable: () => this.unavailable(),
      waitForTarget: () => this.waitForTarget(deps.holdMs ?? 10_000),
      cost: (model, tin, tout) => this.prices.cost(this.active?.models, model, tin, tout),
      scrub: (s) => deps.redactor.scrub(s),
      upstreamDown: deps.upstreamDown,
      traceSink: this.traceSink,
      describeModel: (model) =>
        describeModel(model, {
          target: () => this.target(),
          unavailable: () => this.unavailable(),
          keyState: (p) => this.deps.source.keyState?.(p) ?? keyStateFromSnapshot(this.lastSnapshot, p),
        }),
      log: deps.log,
    });
    this.port = new GatewayPortKeeper({
      gateway: this.gateway,
      file: path.join(this.dir, 'gateway.json'),
      explicitPort: deps.gateway?.port,
      dependents: deps.gatewayDependents,
      retryMs: deps.gatewayRetryMs,
      log: deps.log,
      onChange: () => this.emit(),
    });
  }

  /** The log file of LiteLLM's output. */
  get logFile(): string {
    return path.join(this.dir, 'litellm.log');
  }

  /**
   * Starts the gateway (GatewayPortKeeper.start) and schedules the first LiteLLM start without waiting
   * for it. Never throws for LiteLLM or gateway problems; they show in the status.
   */
  async init(): Promise<void> {
    for (const f of fs.readdirSync(this.dir))
      if (/^config-\d+\.yaml$/.test(f)) fs.rmSync(path.join(this.dir, f), { force: true });
    await this.port.start();
    void this.reload();
  }

  /**
   * Why agents may not start now (the gateway does not listen on the port their endpoints name), or
   * `null`. Agents started meanwhile would send their requests, virtual key included, to whatever holds
   * that port.
   */
  gatewayRefusal(): string | null {
    return this.port.refusal(this.closed);
  }

  /** The gateway's port of last time, while another process holds it (see GatewayPortKeeper); else `null`. */
  get takenPort(): number | null {
    return this.port.taken;
  }

  /**
   * Makes the gateway listen on one more address too (at its port), e.g. the Docker bridge's gateway
   * address once the network exists (ContainerRuntime.prepareNetwork → `gatewayBind`). Idempotent;
   * emits the status. @returns `{ok: false, error}` naming why (see Gateway.addBind); never throws.
   */
  /**
   * Records the base URL agents of `runtime` are given (shown as `gateway.agent_urls` in the System
   * view); a change is pushed as `llm.status`.
   */
  noteAgentUrl(runtime: string, url: string): void {
    if (this.agentUrls.get(runtime) === url) return;
    this.agentUrls.set(runtime, url);
    this.emit();
  }

  async addGatewayBind(address: string): Promise<{ ok: true } | { ok: false; error: string }> {
    const r = await this.gateway.addBind(address);
    this.emit();
    return r;
  }

  /** Reloads soon (coalescing bursts of provider changes). */
  requestReload(delayMs = 300): void {
    if (this.debounce) clearTimeout(this.debounce);
    this.debounce = setTimeout(() => {
      this.debounce = null;
      void this.reload();
    }, delayMs);
    this.debounce.unref();
  }

  /**
   * Applies the current providers (serialised; calls during a reload coalesce into one more).
   * Resolves when the new LiteLLM serves, or when the reload gave up (see `last_error` in the status).
   */
  reload(): Promise<void> {
    if (this.queued) return this.queue;
    this.queued = true;
    this.queue = this.queue.then(async () => {
      this.queued = false;
      try {
        await this.apply();
      } catch (err) {
        this.lastReloadError = `Reload failed: ${this.deps.redactor.scrub((err as Error).message)}`;
        this.deps.log.error({ err }, 'LiteLLM reload failed');
      }
      this.emit();
    });
    return this.queue;
  }

  private async apply(): Promise<void> {
    if (this.closed) return;
    const snap = await this.deps.source.snapshot();
    if (this.closed) return;
    this.notes = snap.notes;
    this.lastSnapshot = { providers: snap.providers, notes: snap.notes };
    const cfg = buildLitellmConfig(snap.providers);
    const command = this.deps.resolveCommand();
    // Checked at every (re)configuration and again by LitellmProcess right before each spawn.
    const unsafe =
      cfg.models.length > 0 && command && isExecutable(command.command)
        ? executableProblem(command.command)
        : null;
    this.refusal = unsafe && command ? describeExecutableProblem(command.command, unsafe) : null;
    if (this.refusal) this.deps.log.error({ reason: this.refusal }, 'LiteLLM not started');
    if (cfg.models.length === 0 || !command || !isExecutable(command.command) || unsafe) {
      this.idle = cfg.models.length === 0 ? 'idle' : 'missing';
      const old = this.active;
      this.active = null;
      if (old) await this.retire(old, false);
      return;
    }
    const fingerprint = crypto
      .createHash('sha256')
      .update(cfg.yaml)
      .update(JSON.stringify(Object.entries(snap.keys).sort()))
      .update(command.command)
      .digest('hex');
    const serving = this.active;
    const servingState = serving?.proc.supervisor.status().state;
    if (serving && serving.fingerprint === fingerprint && servingState !== 'failed') return;
    this.idle = null;
    const inst = this.spawn(command, cfg.yaml, cfg.models, snap.keys, fingerprint);
    void this.prices.load(command.command, this.deps.log);
    if (!serving || servingState !== 'ready') {
      this.active = inst;
      inst.proc.start();
      this.emit();
      if (serving) await this.retire(serving, false);
      return;
    }
    this.candidate = inst;
    inst.proc.start();
    this.emit();
    try {
      await inst.proc.whenReady();
    } catch (err) {
      this.candidate = null;
      await this.retire(inst, false);
      this.lastReloadError = `The new configuration did not start; still serving the previous one. ${(err as Error).message}`;
      return;
    }
    this.candidate = null;
    this.active = inst;
    this.lastReloadError = null;
    this.deps.log.info(
      { port: inst.proc.port(), models: inst.models.length },
      'gateway switched to the reloaded LiteLLM',
    );
    this.emit();
    await this.retire(serving, true);
  }

  private spawn(
    command: LitellmCommand,
    yaml: string,
    models: ServedModel[],
    keys: Record<string, string>,
    fingerprint: string,
  ): LlmInstance {
    const gen = ++this.gen;
    const configFile = writeLitellmConfig(this.dir, yaml, `config-${gen}.yaml`);
    const proc = new LitellmProcess({
      command: command.command,
      configFile,
      workDir: this.dir,
      keys,
      redactor: this.deps.redactor,
      startDeadlineMs: this.deps.startDeadlineMs,
      parentEnv: this.deps.env,
      ...this.deps.processOptions,
      onOutput: (line, stream, port) =>
        this.logOpen && this.log.write(`${new Date().toISOString()} [${port}] ${stream}: ${line}\n`),
      onChange: (s) => this.onProcessChange(s),
      onProgress: () => {
        if (Date.now() - this.lastProgressEmit >= 2000) this.emit();
      },
    });
    return { proc, fingerprint, configFile, models, command };
  }

  /** Drains (when `drain`) then stops an instance that no longer serves, and removes its config file. */
  private async retire(inst: LlmInstance, drain: boolean): Promise<void> {
    const target = drain ? inst.proc.target() : null;
    const t0 = Date.now();
    const drainMs = this.deps.drainMs ?? 30_000;
    while (target && target.inflight > 0 && Date.now() - t0 < drainMs)
      await new Promise((r) => setTimeout(r, 100));
    if (target && target.inflight > 0)
      this.deps.log.warn({ inflight: target.inflight }, 'drain deadline passed; stopping the old LiteLLM');
    await inst.proc.stop();
    fs.rmSync(inst.configFile, { force: true });
  }

  private onProcessChange(s: SupervisorStatus): void {
    if (s.state === 'failed') this.deps.log.error({ error: s.lastError }, 'LiteLLM failed');
    else if (s.state === 'restarting' && s.nextRestartAt)
      this.deps.log.warn({ error: s.lastError }, 'LiteLLM crashed; restarting');
    this.emit();
  }

  /** The LiteLLM requests go to: the serving instance while ready. */
  target(): GatewayTarget | null {
    return this.active?.proc.target() ?? null;
  }

  /**
   * Resolves when LiteLLM serves, at once when it is not starting (idle, missing, failed, restarting
   * after a crash, shutting down: callers are told at once), or after `maxMs` (ms). Polls every 100 ms.
   */
  waitForTarget(maxMs: number): Promise<void> {
    const until = Date.now() + maxMs;
    return new Promise((resolve) => {
      const tick = () => {
        if (this.target() || !this.starting() || Date.now() >= until) return resolve();
        setTimeout(tick, 100).unref();
      };
      tick();
    });
  }

  /** True while a LiteLLM is being started for the current providers (first start, or after one was added). */
  private starting(): boolean {
    if (this.closed) return false;
    if (!this.active) return this.idle === null;
    const state = this.active.proc.supervisor.status().state;
    return state === 'idle' || state === 'starting';
  }

  /** Why the gateway cannot forward now, and when to retry (s). */
  unavailable(): { message: string; retryAfterS: number | null } {
    return unavailableReason(
      this.closed,
      this.idle,
      this.active?.proc.supervisor.status() ?? null,
      Date.now(),
      this.refusal !== null,
    );
  }

  /** The status shown in the System view (contract `llm.status`). */
  status(): LlmStatus {
    const st = buildStatus({
      active: this.active,
      candidate: this.candidate,
      idle: this.closed ? 'stopped' : this.idle,
      notes: this.notes,
      lastReloadError: this.lastReloadError,
      refusal: this.refusal,
      logFile: this.logFile,
      command: this.active?.command ?? this.deps.resolveCommand(),
      gateway: this.gateway,
      gatewayError: this.port.error,
      gatewayFix: this.port.fix,
    });
    const agentUrls = [...this.agentUrls].map(([runtime, url]) => ({ runtime, url }));
    return agentUrls.length > 0 ? { ...st, gateway: { ...st.gateway, agent_urls: agentUrls } } : st;
  }

  /**
   * "Test model": a tiny prompt to a served model through the serving LiteLLM.
   * @returns the reply and latency, or `ok: false` with why (also when LiteLLM is not ready).
   * @throws AppError NOT_FOUND when LiteLLM serves and `model` is not one of its models (lists them).
   */
  async testModel(input: LlmTestInput): Promise<LlmTestResult> {
    const target = this.target();
    const inst = this.active;
    if (!target || !inst)
      return {
        ok: false,
        model: input.model,
        reply: null,
        latency_ms: 0,
        http_status: null,
        error: this.unavailable().message,
        tokens_in: null,
        tokens_out: null,
      };
    const valid = inst.models.map((m) => m.name);
    if (!valid.includes(input.model))
      throw new AppError(
        'NOT_FOUND',
        `Model "${input.model}" is not served. Served models: ${valid.join(', ')}`,
        { valid },
      );
    return testModel(target, input.model, input.prompt, { scrub: (s) => this.deps.redactor.scrub(s) });
  }

  /** Stops the gateway (in-flight requests get 5 s) and every LiteLLM. Safe to call twice. */
  async shutdown(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.debounce) clearTimeout(this.debounce);
    this.port.close();
    await this.gateway.stop();
    const stopAll = () =>
      Promise.all([this.active, this.candidate].filter((i) => i !== null).map((i) => this.retire(i, false)));
    await stopAll(); // a reload waiting for its candidate gives up now
    await this.queue;
    await stopAll(); // anything a reload started meanwhile
    this.active = this.candidate = null;
    try {
      this.deps.keys.flush?.();
    } catch (err) {
      this.deps.log.error({ err }, 'the spending of the last 250 ms could not be written');
    }
    await Promise.all([this.deps.sink.close?.() ?? this.deps.sink.flush(), this.traceSink.close?.()]);
    this.logOpen = false;
    this.log.end();
  }

  private emit(): void {
    this.lastProgressEmit = Date.now();
    this.deps.onStatus?.(this.status());
  }
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
