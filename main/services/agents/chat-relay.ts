// Chat with an agent: relays a message to its runtime's `POST /turn`, re-emits the SSE stream, records message_in/out; lists threads.
import crypto from 'node:crypto';
import path from 'node:path';
import type { Agent } from '../../../contract/agents';
import { AppError } from '../../../contract/errors';
import type { ErrorCode } from '../../../contract/errors';
import { TRACE_PAGE_MAX } from '../../../contract/traces';
import type { TraceEvent, TracePage, TraceQuery } from '../../../contract/traces';
import type { Logger } from '../../platform/logging';
import { errorEvent, messageIn, messageOut } from '../traces/chat-trace';
import type { ChatTurn } from '../traces/chat-trace';
import {
  cappedText,
  causeOf,
  newestThreadFiles,
  readInside,
  runtimeMessage,
  SseLimitError,
  sseParser,
  titleOf,
} from './chat-relay-io';
import { failedTurnsOf, tracedThreadsOf } from './chat-failures';
import type { FailedTurn } from './chat-failures';
import { remoteHomeOf } from './remote-threads';
import { parseEndpoint, runtimeFetch } from './runtime-client';

/** Thread ids are file names in the runtime (resources/agent-runtime/PROTOCOL.md). */
const THREAD_ID = /^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,127}$/;

/**
 * Most events relayed in one turn (250 000): a long turn streams one `text` event per token, a few
 * thousand per step. A runtime sending more is cut off, so a prompt-injected agent cannot keep the core
 * and every window relaying events without end.
 */
export const TURN_MAX_EVENTS = 250_000;
/** Most bytes of one turn's event stream (256 MiB, keep-alives included). */
export const TURN_MAX_BYTES = 256 * 1024 * 1024;

/** One event of a turn as re-emitted (`agents.turn`). */
export interface TurnEventOut {
  agent_id: string;
  thread_id: string;
  turn_id: string;
  event: string;
  data: Record<string, unknown>;
}

/** What the relay needs. Times in ms. */
export interface ChatRelayDeps {
  /** The agent record. @throws AppError NOT_FOUND */
  agent(id: string): Agent;
  /** The agent's folder (`<data>/agents/<id>`, or its archive folder), `null` when there is none. */
  folderOf(id: string): string | null;
  /**
   * For an agent whose home is on a remote engine: refreshes a core-only copy of its thread files and
   * returns the folder standing for its home (remote-threads.ts); null for an agent on this machine.
   */
  remoteHome?: (id: string) => Promise<string | null>;
  /** The runtime credential of the agent (from its config folder), `null` when it has none. */
  credentialOf(id: string): string | null;
  /** Where message_in, message_out and relay errors go. */
  record(event: TraceEvent): void;
  /**
   * One page of the trace (`traces.list`), where failed turns are read back; without it threads show
   * only what the runtime stored.
   */
  events?: (q: TraceQuery) => Promise<TracePage>;
  /** Turn windows, so model calls can be tied to the turn (see TurnWindows). */
  turns: {
    begin(agentId: string, turnId: string, threadId: string, at: number): void;
    end(agentId: string, turnId: string, at: number): void;
  };
  /** Publishes one turn event (the `agents.turn` bus event). */
  emit(event: TurnEventOut): void;
  /**
   * Whether the kernel killed a process of the agent's container for lack of memory since last asked:
   * the report (its harness, its limit, the fix), else null. Asked after a turn that failed or broke.
   */
  oomOf?: (agentId: string) => Promise<{ message: string; fix: string } | null>;
  log: Logger;
  /** A turn that sends nothing (not even the runtime's 15 s keep-alive) for this long is cancelled (default 90 000). */
  idleTimeoutMs?: number;
}

/** Output of {@link ChatRelay.chat}. */
export interface ChatResult {
  thread_id: string;
  turn_id: string;
  reply: string | null;
  error: string | null;
}

/** One thread in the list. */
export interface ThreadSummary {
  thread_id: string;
  updated_at: number;
  title: string;
}

/** Most trace events read to find a thread's failed turns (10 pages). */
const THREAD_EVENTS_MAX = 10 * TRACE_PAGE_MAX;
/** Most trace events read to find the threads that exist only through failed turns (5 pages, newest first). */
const THREADS_EVENTS_MAX = 5 * TRACE_PAGE_MAX;

/** The abort reason of a turn stopped by the user ({@link ChatRelay.cancel}). */
const USER_STOP = new Error('stopped by the user');

const STATUS_CODES: Record<number, ErrorCode> = {
  400: 'INVALID_INPUT',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
};

/**
 * Relays chat turns between the core and an agent's runtime (resources/agent-runtime/PROTOCOL.md):
 * `POST /turn` at the agent's `runtime_endpoint`, with its runtime credential, answers Server-Sent Events (`turn`, `text`, `tool_call`,
 * `tool_result`, `error` | `done`). Every event is re-emitted as it arrives; the message is recorded as
 * `message_in` and the reply as `message_out`, both with `trace_id` = the runtime's turn id (the id the
 * runtime also gives its own tool events). A turn error reported by the runtime is traced by the
 * runtime itself; errors only the relay sees (connection, HTTP status, silence) are traced here.
 */
export class ChatRelay {
  constructor(private readonly d: ChatRelayDeps) {}

  /** The turns being relayed, by `<agent id>/<thread id>`: aborting one closes its stream. */
  private readonly running = new Map<string, AbortController>();
  /** When the turn running in `<agent id>/<thread id>` was sent (UTC ms). */
  private readonly runningSince = new Map<string, number>();

  /**
   * Stops the turn running in thread `threadId` of agent `id`: its stream is closed (which cancels the
   * runtime's turn) and the turn ends with the error "stopped by the user", emitted and traced like
   * any relay error. @returns whether a turn was running there.
   * @throws AppError NOT_FOUND (agent)
   */
  cancel(id: string, threadId: string): boolean {
    this.d.agent(id);
    const abort = this.running.get(`${id}/${threadId}`);
    if (!abort) return false;
    abort.abort(USER_STOP);
    return true;
  }

  /** Records a trace event; a refusal is logged and never breaks the turn. */
  private trace(event: TraceEvent): void {
    try {
      this.d.record(event);
    } catch (err) {
      this.d.log.error({ err, kind: event.kind }, 'chat trace event not recorded');
    }
  }

  /**
   * Sends `text` to agent `id` (in `thread_id`, or a new thread) and resolves when the turn ends;
   * `signal` cancels it (the stream is closed, which cancels the runtime's turn).
   * @returns the turn's thread and id, the reply, or the turn's error (the step limit, a model failure,
   *   a connection that broke mid-turn) with what to do.
   * @throws AppError NOT_FOUND (agent), CONFLICT (not running, naming the phase; a turn already running
   *   in the thread), INVALID_INPUT (thread id), UNAVAILABLE (the runtime does not answer), UPSTREAM.
   */
  async chat(input: {
    id: string;
    text: string;
    thread_id?: string;
    signal?: AbortSignal;
  }): Promise<ChatResult> {
    const agent = this.d.agent(input.id);
    if (agent.phase !== 'running' || agent.runtime_endpoint === null)
      throw new AppError(
        'CONFLICT',
        `${agent.emoji} ${agent.name} is ${agent.phase}, not running: start it (its Start button, or run \`agentdesk agents start ${agent.slug}\`) to chat`,
      );
    const threadId = input.thread_id ?? crypto.randomUUID();
    checkThreadId(threadId);
    const sentAt = Date.now();
    const inId = crypto.randomUUID();
    const common = { agent, threadId, sentAt, inId };
    const endpoint = agent.runtime_endpoint;
    const abort = new AbortController();
    input.signal?.addEventListener('abort', () => abort.abort(input.signal?.reason), { once: true });
    const key = `${agent.id}/${threadId}`;
    this.running.set(key, abort);
    this.runningSince.set(key, sentAt);
    try {
      return await this.relay(common, endpoint, input.text, abort);
    } finally {
      if (this.running.get(key) === abort) {
        this.running.delete(key);
        this.runningSince.delete(key);
      }
    }
  }

  /** Posts the message to the runtime and follows the turn's stream (see {@link chat}). */
  private async relay(
    common: ChatTurn & { agent: Agent },
    endpoint: string,
    text: string,
    abort: AbortController,
  ): Promise<ChatResult> {
    const { agent, threadId } = common;
    const input = { text };
    const url = `${endpoint}/turn`;
    let res: Response;
    // Until the answer's headers arrive; the stream itself is watched by the idle deadline.
    const connect = setTimeout(() => abort.abort(new Error('no answer within 30 s')), 30_000);
    try {
      res = await runtimeFetch(parseEndpoint(endpoint), this.d.credentialOf(agent.id), '/turn', {
        method: 'POST',
        accept: 'text/event-stream',
        body: JSON.stringify({ text: input.text, thread_id: threadId }),
        signal: abort.signal,
      });
    } catch (err) {
      const message = `The runtime of ${agent.name} does not answer at ${url} (${causeOf(err)}); check its logs or restart the agent`;
      this.recordFailure(common, input.text, crypto.randomUUID(), message);
      throw new AppError('UNAVAILABLE', message);
    } finally {
      clearTimeout(connect);
    }
    if (!res.ok || !res.body) {
      const detail = await runtimeMessage(res);
      const message =
        res.status === 409
          ? `A turn is already running in this thread; wait for it to end or start a new thread`
          : `The runtime of ${agent.name} refused the message (HTTP ${res.status}: ${detail})`;
      this.recordFailure(common, input.text, crypto.randomUUID(), message);
      throw new AppError(STATUS_CODES[res.status] ?? 'UPSTREAM', message);
    }
    return this.follow(res.body, abort, common, input.text);
  }

  /** Reads the SSE stream of one turn to its end. */
  private async follow(
    body: ReadableStream<Uint8Array>,
    abort: AbortController,
    c: ChatTurn & { agent: Agent },
    text: string,
  ): Promise<ChatResult> {
    const agentId = c.agent.id;
    let turnId: string | null = null;
    let reply: string | null = null;
    let error: string | null = null;
    let runtimeError = false;
    let idle = false;
    let events = 0;
    let bytes = 0;
    const idleMs = this.d.idleTimeoutMs ?? 90_000;
    let timer = setTimeout(() => ((idle = true), abort.abort()), idleMs);
    const onEvent = (event: string, data: Record<string, unknown>): void => {
      if (++events > TURN_MAX_EVENTS) throw new SseLimitError(`more than ${TURN_MAX_EVENTS} events`);
      if (event === 'turn' && turnId === null) {
        turnId = typeof data.turn_id === 'string' ? data.turn_id : crypto.randomUUID();
        this.d.turns.begin(agentId, turnId, c.threadId, c.sentAt);
        this.trace(messageIn(c, turnId, text));
      }
      if (turnId === null) return;
      this.d.emit({ agent_id: agentId, thread_id: c.threadId, turn_id: turnId, event, data });
      if (event === 'done') reply = typeof data.reply === 'string' ? data.reply : '';
      if (event === 'error') {
        runtimeError = true;
        error = typeof data.message === 'string' ? data.message : 'The turn failed';
      }
    };
    try {
      const reader = body.getReader();
      const decoder = new TextDecoder();
      const parser = sseParser(onEvent);
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        clearTimeout(timer);
        timer = setTimeout(() => ((idle = true), abort.abort()), idleMs);
        bytes += value.byteLength;
        if (bytes > TURN_MAX_BYTES)
          throw new SseLimitError(`more than ${TURN_MAX_BYTES / 1024 / 1024} MiB in one turn`);
        parser(decoder.decode(value, { stream: true }));
      }
    } catch (err) {
      if (err instanceof SseLimitError) {
        // The runtime broke the protocol's bounds: whatever it said before, this is the turn's outcome.
        error = `${c.agent.name}'s runtime sent ${err.message}, past what Agent Desk relays, so the turn was cancelled; the agent may be misbehaving — check its logs or restart it`;
        reply = null;
        runtimeError = false;
        this.d.log.warn({ agent: agentId, limit: err.message }, 'runtime stream over a relay limit');
      } else if (reply === null && error === null && abort.signal.reason === USER_STOP)
        error = `Stopped: you stopped the turn of ${c.agent.name}; send a message (or Retry) to go on`;
      else if (reply === null && error === null)
        error = idle
          ? `${c.agent.name} sent nothing for ${Math.round(idleMs / 1000)} s, so the turn was cancelled; check its logs or restart it`
          : `The connection to ${c.agent.name} broke during the turn (${causeOf(err)}); the reply may be incomplete — send the message again or check its logs`;
    } finally {
      clearTimeout(timer);
      abort.abort(); // stops reading at once (and cancels a turn the runtime would still be running)
    }
    const traceId: string = turnId ?? crypto.randomUUID();
    if (turnId === null) this.trace(messageIn(c, traceId, text));
    if (reply === null && error === null)
      error = `${c.agent.name}'s runtime ended the turn without an answer; send the message again or check its logs`;
    // A harness killed by the kernel for lack of memory says only that its connection broke: say why.
    // A tool killed that way while the turn went on is said too, as a notice of the turn.
    const oom = await this.oomOf(agentId, reply === null);
    if (oom && reply === null) {
      error = `${oom.message}. ${oom.fix}, then send the message again`;
      runtimeError = false;
    }
    const endedAt = Date.now();
    this.d.turns.end(agentId, traceId, endedAt);
    if (reply !== null) {
      this.trace(messageOut(c, traceId, reply, endedAt));
      if (oom) {
        const message = `${oom.message}. ${oom.fix}`;
        this.d.emit({
          agent_id: agentId,
          thread_id: c.threadId,
          turn_id: traceId,
          event: 'notice',
          data: { message, source: 'relay', cause: 'oom' },
        });
        this.trace(errorEvent(c, traceId, message, endedAt));
      }
    } else if (!runtimeError) {
      this.d.emit({
        agent_id: agentId,
        thread_id: c.threadId,
        turn_id: traceId,
        event: 'error',
        data: { message: error, source: 'relay', ...(oom ? { cause: 'oom' } : {}) },
      });
      this.trace(errorEvent(c, traceId, error ?? 'The turn failed', endedAt));
    }
    return { thread_id: c.threadId, turn_id: traceId, reply, error };
  }

  /**
   * The OOM report of the agent (see {@link ChatRelayDeps.oomOf}); after a failed turn a second look
   * after 300 ms, as an engine may report a kill a moment after the connection broke.
   */
  private async oomOf(agentId: string, failed: boolean): Promise<{ message: string; fix: string } | null> {
    if (!this.d.oomOf) return null;
    for (const wait of failed ? [0, 300] : [0]) {
      if (wait) await new Promise((r) => setTimeout(r, wait));
      try {
        const report = await this.d.oomOf(agentId);
        if (report) return report;
      } catch (err) {
        this.d.log.debug({ agent: agentId, err: (err as Error).message }, 'OOM check failed');
      }
    }
    return null;
  }

  private recordFailure(
    c: ChatTurn & { agent: Agent },
    text: string,
    traceId: string,
    message: string,
  ): void {
    this.trace(messageIn(c, traceId, text));
    this.trace(errorEvent(c, traceId, message, Date.now()));
  }

  /**
   * The agent's threads, newest first, each with a title from its first user message (≤ 80 characters).
   * Read from the thread files in its home (`.agentdesk/threads/*.json`), so they are there after a
   * restart and while the agent is stopped; unreadable files are skipped. Threads the runtime never
   * stored but whose turns failed (read from the agent's trace, its newest 5 000 chat events) are
   * listed too, so they can be opened and retried. The agent writes that folder,
   * so what is read is bounded (see {@link newestThreadFiles}: 500 threads, 64 MiB).
   * @throws AppError NOT_FOUND
   */
  async threads(id: string): Promise<ThreadSummary[]> {
    this.d.agent(id);
    const home = await this.readableHome(id);
    const files = await newestThreadFiles(
      path.join(home, '.agentdesk', 'threads'),
      (n) => n.endsWith('.json') && THREAD_ID.test(n.slice(0, -5)),
    );
    const out: ThreadSummary[] = [];
    for (const file of files) {
      try {
        const t = JSON.parse(await readInside(home, file)) as StoredThread;
        if (typeof t.thread_id !== 'string' || !Array.isArray(t.messages)) continue;
        out.push({
          thread_id: t.thread_id,
          updated_at: Math.round(Number(t.updated_at) || 0),
          title: titleOf(t.messages),
        });
      } catch (err) {
        this.d.log.debug({ agent: id, file, err: (err as Error).message }, 'thread file skipped');
      }
    }
    const listed = new Set(out.map((t) => t.thread_id));
    for (const t of tracedThreadsOf(await this.chatEvents(id, undefined, THREADS_EVENTS_MAX)))
      if (t.failed && !listed.has(t.thread_id))
        out.push({
          thread_id: t.thread_id,
          updated_at: t.updated_at,
          title: titleOf([{ role: 'user', content: t.first }]),
        });
    return out.sort((a, b) => b.updated_at - a.updated_at);
  }

  /**
   * The chat events (message_in, message_out, error) of agent `id`, of thread `threadId` or all, at
   * most `max` (the newest when all, else the oldest); `[]` without a trace or when it cannot be read
   * (logged): a thread then shows what the runtime stored.
   */
  private async chatEvents(id: string, threadId: string | undefined, max: number): Promise<TraceEvent[]> {
    if (!this.d.events) return [];
    const out: TraceEvent[] = [];
    let cursor: string | undefined;
    try {
      do {
        const page = await this.d.events({
          agent_id: id,
          kinds: ['message_in', 'message_out', 'error'],
          ...(threadId ? { thread_id: threadId } : {}),
          order: threadId ? 'asc' : 'desc',
          limit: TRACE_PAGE_MAX,
          ...(cursor ? { cursor } : {}),
        });
        out.push(...page.events);
        cursor = page.next_cursor ?? undefined;
      } while (cursor && out.length < max);
    } catch (err) {
      this.d.log.warn({ agent: id, err: (err as Error).message }, 'failed turns not read from the trace');
    }
    return out;
  }

  /** The failed turns of thread `threadId` of agent `id`, placed among `messages` (its stored messages). */
  private async failedIn(
    id: string,
    threadId: string,
    messages: readonly Record<string, unknown>[],
  ): Promise<FailedTurn[]> {
    const events = await this.chatEvents(id, threadId, THREAD_EVENTS_MAX);
    const since = this.runningSince.get(`${id}/${threadId}`);
    const running =
      since === undefined
        ? null
        : (events.find((e) => e.kind === 'message_in' && e.created_at >= since)?.trace_id ?? null);
    return failedTurnsOf(events, threadId, messages, running);
  }

  /**
   * One thread's messages (OpenAI format, no system prompt): from the runtime (`GET /threads/<id>`) while
   * the agent runs, else (or when the runtime does not answer) from its file; with its failed turns
   * read from the agent's trace (only this agent's events of this thread; the error text is the one
   * the turn showed live). A thread the runtime never stored but with failed turns has no messages.
   * @throws AppError NOT_FOUND (agent or thread), INVALID_INPUT (thread id)
   */
  async thread(
    id: string,
    threadId: string,
  ): Promise<{ thread_id: string; messages: Record<string, unknown>[]; failed: FailedTurn[] }> {
    const agent = this.d.agent(id);
    checkThreadId(threadId);
    let messages: Record<string, unknown>[];
    try {
      messages = await this.storedThread(agent, threadId);
    } catch (err) {
      // A thread the runtime never stored (its first message was refused) exists through its failures.
      const failed = await this.failedIn(id, threadId, []);
      if (failed.length === 0) throw err;
      return { thread_id: threadId, messages: [], failed };
    }
    return { thread_id: threadId, messages, failed: await this.failedIn(id, threadId, messages) };
  }

  /**
   * The stored messages of thread `threadId` (see {@link thread}).
   * @throws AppError NOT_FOUND (thread)
   */
  private async storedThread(agent: Agent, threadId: string): Promise<Record<string, unknown>[]> {
    const id = agent.id;
    const missing = () =>
      new AppError('NOT_FOUND', `${agent.name} has no thread ${threadId}; see agents.threads`);
    if (agent.phase === 'running' && agent.runtime_endpoint !== null) {
      try {
        const res = await runtimeFetch(
          parseEndpoint(agent.runtime_endpoint),
          this.d.credentialOf(id),
          `/threads/${threadId}`,
          { signal: AbortSignal.timeout(10_000) },
        );
        if (res.status === 404) throw missing();
        if (res.ok) {
          const t = JSON.parse(await cappedText(res)) as StoredThread;
          if (Array.isArray(t.messages)) return t.messages;
        }
      } catch (err) {
        if (err instanceof AppError) throw err;
        this.d.log.debug(
          { agent: id, err: causeOf(err) },
          'runtime did not answer GET /threads; reading the file',
        );
      }
    }
    try {
      const home = await this.readableHome(id);
      const t = JSON.parse(
        await readInside(home, path.join(home, '.agentdesk', 'threads', `${threadId}.json`)),
      ) as StoredThread;
      if (!Array.isArray(t.messages)) throw missing();
      return t.messages;
    } catch (err) {
      if (err instanceof AppError) throw err;
      throw missing();
    }
  }

  /** The agent's home on the host (mounted at /home/agent), or a path that does not exist. */
  private homeOf(id: string): string {
    const root = this.d.folderOf(id);
    return root ? path.join(root, 'home') : path.join('/nonexistent-agentdesk', id);
  }

  /**
   * Where the agent's thread files are read: its home on this machine, or for an agent on a remote
   * engine a fresh copy of them (an engine that cannot be reached leaves the last copy, logged).
   */
  private async readableHome(id: string): Promise<string> {
    try {
      const remote = await this.d.remoteHome?.(id);
      if (remote) return remote;
    } catch (err) {
      this.d.log.warn(
        { agent: id, err: (err as Error).message },
        'threads not copied from the remote engine',
      );
      const root = this.d.folderOf(id);
      if (root) return remoteHomeOf(root);
    }
    return this.homeOf(id);
  }
}

interface StoredThread {
  thread_id?: unknown;
  updated_at?: unknown;
  messages?: Record<string, unknown>[];
}

function checkThreadId(id: string): void {
  if (!THREAD_ID.test(id))
    throw new AppError(
      'INVALID_INPUT',
      `thread_id: "${id.slice(0, 140)}" is invalid; use 1–128 letters, digits, "_", "-" or "." (not first)`,
    );
}
