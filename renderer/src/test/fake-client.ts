// A scripted stand-in for the core, for renderer unit tests only (stores, connection): the real client over a fake transport.
import { createClient } from '../../../contract/client';
import type { Client, Transport } from '../../../contract/client';
import type { Agent, Harness } from '../../../contract/agents';
import type { ErrorBody, Result } from '../../../contract/errors';
import type { LlmStatus } from '../../../contract/llm';
import type { CoreInfo, HealthReport } from '../../../contract/health';
import type { Settings } from '../../../contract/settings';
import { traceEvent } from '../../../contract/traces';
import type { AgentDayTotals, TraceEvent } from '../../../contract/traces';

/** A handler answers one channel: return a value, or throw {@link FakeCoreError} to answer `{ok:false}`. */
export type FakeHandler = (input: unknown) => unknown;

/** Thrown by a fake handler to make the fake core answer `{ok:false, error: body}`. */
export class FakeCoreError extends Error {
  constructor(readonly body: ErrorBody) {
    super(body.message);
  }
}

export interface FakeCore {
  client: Client;
  /** Replaces the handler of `<group>.<method>`. */
  handle(channel: string, handler: FakeHandler): void;
  /** Pushes an event to every subscriber. */
  emit(event: string, payload: unknown): void;
  /** Every call made, in order. */
  calls: { channel: string; input: unknown }[];
  /** Number of live subscriptions per event. */
  listenerCount(event: string): number;
}

export const SAMPLE_HEALTH: HealthReport = {
  checked_at: 1_000,
  components: [
    { name: 'gateway', state: 'ok', detail: 'Listening on 127.0.0.1:4100', fix: '' },
    { name: 'egress', state: 'ok', detail: 'Enforced by Agent Desk itself (root)', fix: '' },
    {
      name: 'docker',
      state: 'missing',
      detail: 'No socket at /var/run/docker.sock',
      fix: 'Install Docker: sudo apt install docker.io',
    },
    { name: 'keychain', state: 'ok', detail: 'Secret Service (gnome-keyring)', fix: '' },
    { name: 'incus', state: 'error', detail: 'Permission denied', fix: 'sudo usermod -aG incus-admin $USER' },
    {
      name: 'litellm',
      state: 'starting',
      detail: 'Waiting for /health/readiness',
      fix: 'Wait a few seconds',
    },
  ],
};

export const SAMPLE_INFO: CoreInfo = {
  version: '0.1.0',
  data_dir: '/tmp/agentdesk-home',
  platform: 'linux',
  mode: 'headless',
  pid: 4242,
  started_at: 500,
  schema_version: 1,
};

export const SAMPLE_SETTINGS: Settings = {
  version: 2,
  theme: 'system',
  close_to_tray: null,
  start_at_login: false,
  start_hidden: false,
  stop_agents_on_quit: true,
  build_images_on_demand: true,
  container_runtime: 'docker',
  litellm_command: null,
  trace_retention_days: 30,
  onboarding_done: true,
  default_budget_day_usd: 5,
  default_budget_month_usd: 50,
  default_rpm: 60,
  webhook_listen: '127.0.0.1',
  webhook_port: 0,
};

/** A LiteLLM that is ready with two models, behind a listening gateway (`llm.status`). */
export const SAMPLE_LLM_STATUS: LlmStatus = {
  litellm: {
    state: 'ready',
    detail: 'Serving 2 models on 127.0.0.1:41001.',
    reloading: false,
    pid: 5151,
    port: 41001,
    version: '1.74.0',
    command: '/opt/agentdesk/.venv/litellm/bin/litellm',
    ready_at: 10_000,
    uptime_ms: 65_000,
    restarts: 0,
    recent_crashes: 0,
    next_restart_at: null,
    last_error: null,
    stderr_tail: [
      'INFO:     Started server process [5151]',
      'INFO:     Uvicorn running on http://127.0.0.1:41001',
    ],
    models: ['scripted/gpt-test-mini', 'scripted/gpt-4o-mini'],
    notes: ['openai: the key is missing'],
    log_file: '/tmp/agentdesk-home/litellm/litellm.log',
    config_file: '/tmp/agentdesk-home/litellm/config-1.yaml',
  },
  gateway: {
    state: 'listening',
    url: 'http://127.0.0.1:4100/v1',
    port: 4100,
    addresses: ['127.0.0.1'],
    requests: 3,
    inflight: 0,
    detail: 'Listening on 127.0.0.1 port 4100',
  },
};

/** Builds a fake core with sample answers for system.health, system.info, settings.get, settings.update and llm.status. */
export function createFakeCore(): FakeCore {
  const handlers = new Map<string, FakeHandler>();
  const listeners = new Map<string, Set<(p: unknown) => void>>();
  const calls: FakeCore['calls'] = [];
  let settings = { ...SAMPLE_SETTINGS };
  handlers.set('system.health', () => SAMPLE_HEALTH);
  handlers.set('system.info', () => SAMPLE_INFO);
  handlers.set('settings.get', () => settings);
  handlers.set('llm.status', () => SAMPLE_LLM_STATUS);
  handlers.set('settings.update', (patch) => (settings = { ...settings, ...(patch as Partial<Settings>) }));

  const transport: Transport = {
    async invoke(channel, input): Promise<Result<unknown>> {
      calls.push({ channel, input });
      const handler = handlers.get(channel);
      if (!handler) return { ok: false, error: { code: 'NOT_FOUND', message: `No fake for ${channel}` } };
      try {
        return { ok: true, value: await handler(input) };
      } catch (err) {
        if (err instanceof FakeCoreError) return { ok: false, error: err.body };
        throw err;
      }
    },
    on(event, listener) {
      let set = listeners.get(event);
      if (!set) listeners.set(event, (set = new Set()));
      set.add(listener);
      return () => void set.delete(listener);
    },
  };
  return {
    client: createClient(transport),
    handle: (channel, handler) => void handlers.set(channel, handler),
    emit: (event, payload) => listeners.get(event)?.forEach((l) => l(payload)),
    calls,
    listenerCount: (event) => listeners.get(event)?.size ?? 0,
  };
}

// ---- Agents (features/agents, stores/agents) ----

/** The built-in harness as `harnesses.list` answers it (main/services/harnesses/builtin/manifest.json). */
export const SAMPLE_HARNESS: Harness = {
  id: 'builtin',
  label: 'Agent Desk runtime',
  description: 'The built-in harness: a tool loop with shell and file tools.',
  emoji: '🤖',
  version: '1',
  image: 'agentdesk/agent-base:2',
  api_shapes: ['openai-chat'],
  engines: ['docker', 'incus'],
  models: 'any',
  memory: { min_mib: 256, default_mib: 1024 },
  instructions: true,
};

/** Claude Code as `harnesses.list` answers it: its own image, Docker only, more memory. */
export const SAMPLE_CLAUDE_CODE: Harness = {
  id: 'claude-code',
  label: 'Claude Code',
  description: 'Claude Code, driven headless.',
  emoji: '✳️',
  version: '2.1.328',
  image: 'agentdesk/claude-code:2.1.328-base2',
  api_shapes: ['anthropic-messages'],
  engines: ['docker'],
  models: 'any',
  memory: { min_mib: 768, default_mib: 2048 },
  instructions: false,
};

/** An agent record as the core answers it (running on Docker, serving `scripted/gpt-test-mini`), with overrides. */
export function sampleAgent(over: Partial<Agent> = {}): Agent {
  const slug = over.slug ?? 'helper';
  return {
    id: '6f1c2d3e-4b5a-4c6d-8e7f-0a1b2c3d4e5f',
    slug,
    name: 'Helper',
    emoji: '🤖',
    harness: 'builtin',
    runtime: 'docker',
    model: 'scripted/gpt-test-mini',
    fallbacks: [],
    memory_mib: 1024,
    cpus: 1,
    phase: 'running',
    phase_reason: null,
    phase_at: 20_000,
    failed_log: [],
    container: `agentdesk-${slug}`,
    runtime_port: null,
    runtime_endpoint: 'http://172.30.0.5:8100',
    pids_limit: 512,
    folders: [],
    key_prefix: 'AbCdEfGh',
    created_at: 10_000,
    running_since: 20_000,
    archived_at: null,
    egress: { mode: 'none', allow: [], enforced: true, enforcement: 'root', address: '172.19.128.5' },
    engine: 'local',
    engine_name: 'This machine',
    member: null,
    engine_state: 'reachable',
    system_prompt: null,
    temperature: null,
    tools: true,
    ...over,
  };
}

/**
 * Installs a stateful fake of the `agents` and `harnesses` groups on `core`: `agents.list`, `create`
 * (answers in `creating`; the test moves phases with `setPhase`), `start`, `stop`, `archive`, `restore`,
 * `purge`, `logs`. Every change pushes `agents.changed` with the whole list, like the core.
 */
export function handleAgents(
  core: FakeCore,
  initial: Agent[] = [],
): { agents: () => Agent[]; setPhase: (id: string, phase: Agent['phase'], over?: Partial<Agent>) => void } {
  let agents = [...initial];
  let clock = 100_000;
  let ids = 0;
  const push = (): void => core.emit('agents.changed', { agents: [...agents] });
  const find = (input: unknown): Agent => {
    const id = (input as { id: string }).id;
    const a = agents.find((x) => x.id === id);
    if (!a) throw new FakeCoreError({ code: 'NOT_FOUND', message: `No agent ${id}` });
    return a;
  };
  const setPhase = (id: string, phase: Agent['phase'], over: Partial<Agent> = {}): void => {
    clock += 1000;
    agents = agents.map((a) => (a.id === id ? { ...a, phase, phase_at: clock, ...over } : a));
    push();
  };
  const moved = (input: unknown, phase: Agent['phase'], over: Partial<Agent> = {}): Agent => {
    const a = find(input);
    setPhase(a.id, phase, over);
    return find(input);
  };
  core.handle('harnesses.list', () => ({ harnesses: [SAMPLE_HARNESS, SAMPLE_CLAUDE_CODE] }));
  core.handle('agents.list', () => ({ agents: [...agents] }));
  core.handle('agents.create', (input) => {
    const i = input as {
      name: string;
      emoji?: string;
      model: string;
      fallbacks?: string[];
      egress?: Agent['egress']['mode'];
      allow?: string[];
    };
    ids += 1;
    const slug = i.name.toLowerCase().replace(/[^a-z0-9]+/g, '-');
    const agent = sampleAgent({
      id: `00000000-0000-4000-8000-${String(ids).padStart(12, '0')}`,
      slug,
      name: i.name,
      emoji: i.emoji ?? SAMPLE_HARNESS.emoji,
      model: i.model,
      fallbacks: i.fallbacks ?? [],
      egress: {
        mode: i.egress ?? (i.allow?.length ? 'allowlist' : 'none'),
        allow: i.allow ?? [],
        enforced: true,
        enforcement: 'root',
        address: null,
      },
      phase: 'creating',
      phase_at: (clock += 1000),
      running_since: null,
      runtime_port: null,
      runtime_endpoint: null,
      folders: ((input as { folders?: { path: string; mode?: 'ro' | 'rw' }[] }).folders ?? []).map((f) => ({
        path: f.path,
        mode: f.mode ?? 'ro',
        mount: `/shared/${f.path.split('/').pop()}`,
      })),
    });
    agents = [agent, ...agents];
    push();
    return agent;
  });
  core.handle('agents.start', (input) =>
    moved(input, 'running', { running_since: clock, phase_reason: null }),
  );
  core.handle('agents.stop', (input) => moved(input, 'stopped', { running_since: null }));
  core.handle('agents.folders', (input) => {
    const i = input as { id: string; add?: { path: string; mode?: 'ro' | 'rw' }[]; remove?: string[] };
    const a = find(i);
    const kept = a.folders.filter((f) => !(i.remove ?? []).includes(f.path));
    const added = (i.add ?? []).map((f) => ({
      path: f.path,
      mode: f.mode ?? 'ro',
      mount: `/shared/${f.path.split('/').pop()}`,
    }));
    return moved(i, a.phase, {
      folders: [...kept.filter((f) => !added.some((x) => x.path === f.path)), ...added],
    });
  });
  core.handle('agents.archive', (input) =>
    moved(input, 'archived', { archived_at: clock, running_since: null }),
  );
  core.handle('agents.restore', (input) =>
    moved(input, 'running', { archived_at: null, running_since: clock }),
  );
  core.handle('agents.purge', (input) => {
    const a = find(input);
    agents = agents.filter((x) => x.id !== a.id);
    push();
    return { id: a.id, container_removed: true, files_removed: true, key_revoked: true };
  });
  core.handle('agents.logs', (input) => ({ id: find(input).id, lines: ['runtime listening on 8100'] }));
  // Like EgressService.update: remove must name listed entries; adds keep one copy.
  core.handle('agents.policy', (input) => {
    const i = input as { id: string; egress?: Agent['egress']['mode']; allow?: string[]; remove?: string[] };
    const a = find(i);
    for (const r of i.remove ?? [])
      if (!a.egress.allow.includes(r))
        throw new FakeCoreError({
          code: 'INVALID_INPUT',
          message: `remove: "${r}" is not in the allowlist of this agent`,
        });
    const allow = a.egress.allow.filter((x) => !(i.remove ?? []).includes(x));
    for (const x of i.allow ?? []) if (!allow.includes(x)) allow.push(x);
    agents = agents.map((x) =>
      x.id === a.id ? { ...x, egress: { ...x.egress, mode: i.egress ?? x.egress.mode, allow } } : x,
    );
    push();
    return find(i);
  });
  return { agents: () => [...agents], setPhase };
}

// ---- Chat and traces (features/chat, stores/chat, features/traces, stores/traces) ----

/** A trace event (envelope v1) of {@link sampleAgent}, a `message_in` unless overridden. */
export function sampleTraceEvent(
  over: Partial<TraceEvent> & Pick<TraceEvent, 'id' | 'created_at'>,
): TraceEvent {
  return {
    ...traceEvent('message_in', {
      trace_id: 'turn-1',
      agent_id: sampleAgent().id,
      channel_id: 'chat',
      thread_id: 'thread-1',
      payload: { from: 'user', text: 'hello' },
    }),
    ...over,
  } as TraceEvent;
}

/** One scripted turn event: its name and data (as the runtime streams them). */
export type ScriptedTurnEvent = [event: string, data: Record<string, unknown>];

/** The turn the fake runtime plays for a message: `#tool` asks for `shell` (`echo hi`), `#fail` ends in an error. */
export function scriptedTurn(text: string): ScriptedTurnEvent[] {
  const events: ScriptedTurnEvent[] = [];
  if (text.includes('#tool')) {
    events.push(['tool_call', { id: 'call_1', name: 'shell', arguments: '{"command":"echo hi"}' }]);
    events.push([
      'tool_result',
      { id: 'call_1', name: 'shell', output: 'hi\n', exit_code: 0, truncated: false, size: 3 },
    ]);
  }
  if (text.includes('#fail'))
    events.push(['error', { message: 'HTTP 502 from http://gw/v1/chat/completions: upstream down' }]);
  else events.push(['text', { delta: 'Hel' }], ['text', { delta: 'lo' }]);
  return events;
}

/**
 * Installs a stateful fake of `agents.chat`, `agents.threads` and `agents.thread` for `agentId` on `core`:
 * `chat` pushes the `agents.turn` events of {@link scriptedTurn} (`turn` first, `done` last unless it
 * failed), stores the thread in OpenAI format, then answers — after `gate()` resolves (or `agents.cancel`
 * stops it: the turn ends with a "Stopped" error), so a test can look
 * at the turn mid-stream.
 */
export function handleChat(
  core: FakeCore,
  agentId: string,
  gate: () => Promise<void> = () => Promise.resolve(),
): { threads: Map<string, { updated_at: number; messages: Record<string, unknown>[] }> } {
  const threads = new Map<string, { updated_at: number; messages: Record<string, unknown>[] }>();
  let clock = 1_000_000;
  let turns = 0;
  core.handle('agents.threads', () => ({
    threads: [...threads.entries()]
      .map(([thread_id, t]) => ({
        thread_id,
        updated_at: t.updated_at,
        title:
          t.messages
            .map((m) => (m.role === 'user' && typeof m.content === 'string' ? m.content : ''))
            .find(Boolean) ?? '',
      }))
      .sort((a, b) => b.updated_at - a.updated_at),
  }));
  core.handle('agents.thread', (input) => {
    const { thread_id } = input as { thread_id: string };
    const t = threads.get(thread_id);
    if (!t) throw new FakeCoreError({ code: 'NOT_FOUND', message: `No thread ${thread_id}` });
    return { thread_id, messages: t.messages };
  });
  /** Stops the turn waiting at the gate in a thread (`agents.cancel`). */
  const running = new Map<string, () => void>();
  core.handle('agents.cancel', (input) => {
    const stop = running.get((input as { thread_id: string }).thread_id);
    stop?.();
    return { cancelled: stop !== undefined };
  });
  core.handle('agents.chat', async (input) => {
    const { text, thread_id } = input as { id: string; text: string; thread_id: string };
    const turn_id = `turn-${++turns}`;
    const emit = (event: string, data: Record<string, unknown>) =>
      core.emit('agents.turn', { agent_id: agentId, thread_id, turn_id, event, data });
    emit('turn', { thread_id, turn_id });
    const script = scriptedTurn(text);
    const t = threads.get(thread_id) ?? { updated_at: 0, messages: [] };
    t.messages.push({ role: 'user', content: text });
    for (const [event, data] of script) emit(event, data);
    if (script.some(([e]) => e === 'tool_call'))
      t.messages.push(
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            {
              id: 'call_1',
              type: 'function',
              function: { name: 'shell', arguments: '{"command":"echo hi"}' },
            },
          ],
        },
        { role: 'tool', tool_call_id: 'call_1', content: 'hi\n' },
      );
    const failed = script.find(([e]) => e === 'error');
    if (!failed) t.messages.push({ role: 'assistant', content: 'Hello' });
    t.updated_at = clock += 1000;
    threads.set(thread_id, t);
    const stopped = new Promise<'stopped'>((resolve) => running.set(thread_id, () => resolve('stopped')));
    const how = await Promise.race([gate().then(() => 'ended' as const), stopped]);
    running.delete(thread_id);
    if (how === 'stopped') {
      if (!failed) t.messages.pop();
      const message = 'Stopped: you stopped the turn of Helper; send a message (or Retry) to go on';
      emit('error', { message, source: 'relay' });
      return { thread_id, turn_id, reply: null, error: message };
    }
    if (failed) return { thread_id, turn_id, reply: null, error: String(failed[1].message) };
    emit('done', { thread_id, turn_id, reply: 'Hello', steps: 1 });
    return { thread_id, turn_id, reply: 'Hello', error: null };
  });
  return { threads };
}

// ---- Daily totals (traces.totals, the Agents list's "Today" column) ----

/** One agent's totals of a day as `traces.totals` answers them ({@link sampleAgent}, no call unless overridden). */
export function sampleDayTotals(over: Partial<AgentDayTotals> = {}): AgentDayTotals {
  return {
    agent_id: sampleAgent().id,
    tokens_in: 0,
    tokens_out: 0,
    cost_usd: null,
    calls: 0,
    errors: 0,
    ...over,
  };
}

/**
 * Installs `traces.totals` on `core`, answering `{day, totals}` with the current list (every agent of it,
 * whatever the input); `set` replaces the list, `calls` counts the calls made so far.
 */
export function handleTraceTotals(
  core: FakeCore,
  initial: AgentDayTotals[] = [],
  day = '2024-05-01',
): { set: (totals: AgentDayTotals[]) => void; calls: () => number } {
  let totals = [...initial];
  let calls = 0;
  core.handle('traces.totals', () => {
    calls += 1;
    return { day, totals: [...totals] };
  });
  return { set: (t) => void (totals = [...t]), calls: () => calls };
}
