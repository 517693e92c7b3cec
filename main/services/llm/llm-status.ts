// The System view's data: LiteLLM and gateway status (contract `llm.status`) and their health components.
import type { LitellmState, LlmStatus } from '../../../contract/llm';
import type { ComponentHealth } from '../../../contract/health';
import type { SupervisorStatus } from '../../platform/supervised-process';
import type { Gateway } from './gateway/gateway';
import type { LitellmCommand } from './litellm/command';
import type { LlmInstance } from './litellm/process';

/** What {@link buildStatus} reads. */
export interface StatusInput {
  active: LlmInstance | null;
  candidate: LlmInstance | null;
  /** Why nothing runs: `idle` no models, `missing` not installed, `stopped` shut down; `null` when an instance exists. */
  idle: 'idle' | 'missing' | 'stopped' | null;
  notes: string[];
  lastReloadError: string | null;
  /** Why the command is not run although providers have models (unsafe owner or mode), with the fix. */
  refusal: string | null;
  logFile: string;
  command: LitellmCommand | null;
  gateway: Gateway;
  gatewayError: string | null;
  /** What the user can do about `gatewayError`. */
  gatewayFix?: string | null;
}

/** Builds the contract's LlmStatus from the service's parts. `now` in UTC ms. */
export function buildStatus(i: StatusInput, now = Date.now()): LlmStatus {
  const shown = i.active ?? i.candidate;
  const sup = shown?.proc.supervisor.status() ?? null;
  let state: LitellmState;
  if (!shown || !sup) state = i.idle ?? 'starting';
  else if (sup.state === 'idle' || sup.state === 'starting') state = 'starting';
  else if (sup.state === 'stopping') state = 'stopped';
  else state = sup.state;
  const readyAt = sup?.state === 'ready' ? sup.readyAt : null;
  const elapsed = sup ? Math.round((now - sup.since) / 1000) : 0;
  const models = shown?.models.map((m) => m.name) ?? [];
  const detail: Record<LitellmState, string> = {
    idle: 'Not running: no provider has models yet. Add a provider on the Providers page.',
    missing: i.refusal
      ? `LiteLLM is not started. ${i.refusal}`
      : i.command
        ? `${i.command.command} is not an executable file.`
        : 'LiteLLM is not installed (no app venv, no `litellm` on PATH).',
    starting: `Starting LiteLLM (${elapsed} s; it usually takes 10–40 s).`,
    ready: `Serving ${models.length} model${models.length === 1 ? '' : 's'} on 127.0.0.1:${shown?.proc.port() ?? '?'}.`,
    restarting: `Restarting after a crash${sup?.nextRestartAt && sup.nextRestartAt > now ? ` in ${Math.ceil((sup.nextRestartAt - now) / 1000)} s` : ''}: ${sup?.lastError ?? ''}`,
    failed: `Gave up after ${sup?.recentCrashes ?? 0} crashes in 5 minutes: ${sup?.lastError ?? ''}`,
    stopped: 'Stopped.',
  };
  const gwListening = i.gateway.port > 0 && i.gateway.addresses.length > 0;
  const stats = i.gateway.stats();
  return {
    litellm: {
      state,
      detail: detail[state] + (i.candidate && i.active ? ' Reloading with the new providers…' : ''),
      reloading: Boolean(i.candidate && i.active),
      pid: sup?.pid ?? null,
      port: shown?.proc.port() ?? null,
      version: (shown?.command ?? i.command)?.version ?? null,
      command: (shown?.command ?? i.command)?.command ?? null,
      ready_at: readyAt,
      uptime_ms: readyAt ? now - readyAt : null,
      restarts: sup?.restarts ?? 0,
      recent_crashes: sup?.recentCrashes ?? 0,
      next_restart_at: sup?.state === 'restarting' ? sup.nextRestartAt : null,
      last_error: i.lastReloadError ?? sup?.lastError ?? i.refusal ?? null,
      stderr_tail: shown?.proc.supervisor.tail() ?? [],
      models,
      notes: i.notes,
      log_file: i.logFile,
      config_file: shown?.configFile ?? null,
    },
    gateway: {
      state: i.gatewayError ? 'error' : gwListening ? 'listening' : 'stopped',
      url: gwListening ? i.gateway.url : null,
      port: gwListening ? i.gateway.port : null,
      addresses: gwListening ? i.gateway.addresses : [],
      requests: stats.requests,
      inflight: stats.inflight,
      ...(i.gatewayError && i.gatewayFix ? { fix: i.gatewayFix } : {}),
      detail: i.gatewayError
        ? `Could not listen: ${i.gatewayError}`
        : gwListening
          ? `Listening on ${i.gateway.addresses.join(', ')} port ${i.gateway.port}` +
            (i.gateway.bindErrors.length
              ? `; not on ${i.gateway.bindErrors.map((b) => `${b.address} (${b.error})`).join(', ')}`
              : '')
          : 'Not listening.',
    },
  };
}

/**
 * The `litellm` and `gateway` components of the health report, from the status. Details carry no
 * timers (uptime), so the report only changes when a state does.
 */
export function healthOf(s: LlmStatus): { litellm: ComponentHealth; gateway: ComponentHealth } {
  const l = s.litellm;
  const version = l.version ? ` ${l.version}` : '';
  const byState: Record<LitellmState, Omit<ComponentHealth, 'name'>> = {
    idle: {
      state: 'ok',
      detail: `LiteLLM${version} installed; not running: no provider has models yet`,
      fix: '',
    },
    missing: {
      state: 'missing',
      detail: l.detail,
      fix: 'Run `sudo bash scripts/bootstrap-linux.sh`, or `pip install "litellm[proxy]"` and set AGENTDESK_LITELLM (or the LiteLLM command setting) to its path',
    },
    starting: { state: 'starting', detail: `LiteLLM${version} is starting`, fix: '' },
    ready: {
      state: 'ok',
      detail: `LiteLLM${version} serving ${l.models.length} model${l.models.length === 1 ? '' : 's'} on 127.0.0.1:${l.port}`,
      fix: '',
    },
    restarting: {
      state: 'starting',
      detail: `LiteLLM${version} is restarting after a crash: ${l.last_error ?? ''}`,
      fix: 'See the last LiteLLM lines in the System view',
    },
    failed: {
      state: 'error',
      detail: `LiteLLM${version} failed: ${l.last_error ?? ''}`,
      fix: `See the last LiteLLM lines in the System view and ${l.log_file}; change or re-test a provider to start it again`,
    },
    stopped: { state: 'missing', detail: 'LiteLLM is stopped', fix: '' },
  };
  const g = s.gateway;
  return {
    litellm: { name: 'litellm', ...byState[l.state] },
    gateway: {
      name: 'gateway',
      state: g.state === 'listening' ? 'ok' : g.state === 'error' ? 'error' : 'missing',
      detail: g.state === 'listening' ? `Listening at ${g.url}` : g.detail,
      fix: g.state === 'error' ? (g.fix ?? 'Free the port or restart Agent Desk') : '',
    },
  };
}

/**
 * Why the gateway cannot forward now, and when to retry (s; `null` = no point retrying soon): the
 * message and Retry-After of its 503.
 * @param active the supervisor status of the serving LiteLLM, `null` when none exists.
 */
export function unavailableReason(
  closed: boolean,
  idle: 'idle' | 'missing' | 'stopped' | null,
  active: SupervisorStatus | null,
  now = Date.now(),
  refused = false,
): { message: string; retryAfterS: number | null } {
  if (closed) return { message: 'Agent Desk is shutting down.', retryAfterS: null };
  if (!active) {
    if (idle === 'idle')
      return {
        message: 'No model is configured: add a provider with models in Agent Desk.',
        retryAfterS: null,
      };
    if (idle === 'missing' && refused)
      return {
        message: 'LiteLLM is not started: its command is not safe to run; see the System view in Agent Desk.',
        retryAfterS: null,
      };
    if (idle === 'missing')
      return { message: 'LiteLLM is not installed; see the System view in Agent Desk.', retryAfterS: null };
    return { message: 'LiteLLM is starting.', retryAfterS: 5 };
  }
  if (active.state === 'failed')
    return { message: `LiteLLM failed: ${active.lastError ?? 'unknown error'}`, retryAfterS: null };
  if (active.state === 'restarting') {
    const wait = active.nextRestartAt ? Math.max(0, Math.ceil((active.nextRestartAt - now) / 1000)) : 0;
    return { message: 'LiteLLM is restarting after a crash.', retryAfterS: wait + 10 };
  }
  return { message: 'LiteLLM is starting.', retryAfterS: 5 };
}
