// One turn of a headless CLI: run it with the prompt on stdin, map its JSON events to the turn's SSE events, the trace and the thread.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { LIMITS } from '../../../../resources/agent-runtime/src/config';
import {
  logError,
  logInfo,
  messageOf,
  redact,
  redactSecrets,
} from '../../../../resources/agent-runtime/src/log';
import type { Thread, ToolCall } from '../../../../resources/agent-runtime/src/threads';
import type { TraceClient } from '../../../../resources/agent-runtime/src/trace';
import type { CliDriver, DriveEvent } from './driver';

/** An SSE event of the turn (resources/agent-runtime/PROTOCOL.md "HTTP"). */
export interface TurnEvent {
  event: 'turn' | 'text' | 'tool_call' | 'tool_result' | 'error' | 'done';
  data: Record<string, unknown>;
}

/** A thread file as this adapter keeps it: the runtime's, plus the CLI's session of the thread. */
export type CliThread = Thread & { session?: string | null };

/** What one turn needs. */
export interface CliTurnInput {
  driver: CliDriver;
  model: string;
  /** The thread (loaded, or new); its messages and session are updated in place. */
  thread: CliThread;
  text: string;
  /** The CLI's working folder (the agent's workspace). */
  cwd: string;
  trace: TraceClient;
  emit: (e: TurnEvent) => void;
  /** Aborted when the core closes the connection: the CLI's process group is killed. */
  signal: AbortSignal;
  /** The adapter's environment: the CLI runs with it, plus its command's own variables. */
  env: Readonly<NodeJS.ProcessEnv>;
}

/** The end of a turn. */
export interface CliTurnResult {
  turnId: string;
  reply: string | null;
  error: string | null;
  steps: number;
}

/** Keeps a tool output within {@link LIMITS.outputBytes}, with its original size. */
function capped(text: string): { output: string; size: number; truncated: boolean } {
  const clean = redactSecrets(text);
  const size = Buffer.byteLength(clean);
  if (size <= LIMITS.outputBytes) return { output: clean, size, truncated: false };
  return {
    output: Buffer.from(clean).subarray(0, LIMITS.outputBytes).toString('utf8'),
    size,
    truncated: true,
  };
}

/**
 * Runs one turn: spawns the driver's command in its own process group (cwd = the workspace), writes the
 * prompt to its stdin, maps each JSON line of its stdout to SSE events (`text`, `tool_call`,
 * `tool_result`), posts tool events and a turn error to the gateway's trace, and appends the turn to the
 * thread (OpenAI message format). The turn ends with its final reply, or an error naming the CLI's own
 * message, its exit status and the last lines of its stderr. Cancelling kills the whole process group.
 */
export async function runCliTurn(i: CliTurnInput): Promise<CliTurnResult> {
  const turnId = randomUUID();
  const t0 = Date.now();
  const { thread, driver } = i;
  const cmd = driver.command({
    model: i.model,
    threadId: thread.thread_id,
    session: thread.session ?? null,
    env: i.env,
  });
  if (cmd.session) thread.session = cmd.session;
  i.emit({ event: 'turn', data: { thread_id: thread.thread_id, turn_id: turnId } });
  thread.messages.push({ role: 'user', content: i.text });

  const mapper = driver.mapper();
  let pendingText = '';
  let streamed = '';
  let reply: string | null = null;
  let error: string | null = null;
  let steps = 0;
  let open: { role: 'assistant'; content: string | null; tool_calls: ToolCall[] } | null = null;
  const callEvents = new Map<string, { traceId: string; name: string }>();

  const apply = (e: DriveEvent): void => {
    switch (e.kind) {
      case 'session':
        thread.session = e.id;
        return;
      case 'text': {
        const delta = redactSecrets(e.delta);
        pendingText += delta;
        streamed += delta;
        i.emit({ event: 'text', data: { delta } });
        return;
      }
      case 'tool_call': {
        steps++;
        const args = redactSecrets(e.arguments);
        if (!open) {
          open = { role: 'assistant', content: pendingText || null, tool_calls: [] };
          thread.messages.push(open);
          pendingText = '';
        }
        open.tool_calls.push({ id: e.id, type: 'function', function: { name: e.name, arguments: args } });
        i.emit({ event: 'tool_call', data: { id: e.id, name: e.name, arguments: args } });
        const ev = i.trace.send({
          trace_id: turnId,
          parent_id: null,
          kind: 'tool_call',
          thread_id: thread.thread_id,
          payload: { name: e.name, arguments: args, call_id: e.id },
        });
        callEvents.set(e.id, { traceId: ev.id, name: e.name });
        return;
      }
      case 'tool_result': {
        open = null;
        const out = capped(e.output);
        const name = callEvents.get(e.id)?.name ?? e.name;
        thread.messages.push({ role: 'tool', tool_call_id: e.id, content: out.output });
        i.emit({ event: 'tool_result', data: { id: e.id, name, exit_code: e.exit_code, ...out } });
        i.trace.send({
          trace_id: turnId,
          parent_id: callEvents.get(e.id)?.traceId ?? null,
          kind: 'tool_result',
          thread_id: thread.thread_id,
          payload: { name, exit_code: e.exit_code, call_id: e.id, ...out },
        });
        logInfo('tool', {
          thread: thread.thread_id,
          turn: turnId,
          tool: name,
          exit_code: e.exit_code,
          size: out.size,
        });
        return;
      }
      case 'reply':
        reply = redactSecrets(e.text);
        return;
      case 'error':
        error = redact(e.message);
        return;
      case 'notice':
        logInfo('notice', { thread: thread.thread_id, message: e.message.slice(0, 300) });
        return;
    }
  };

  const status = await new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>(
    (resolve) => {
      const child = spawn(cmd.file, cmd.args, {
        cwd: i.cwd,
        env: { ...i.env, ...cmd.env },
        stdio: ['pipe', 'pipe', 'pipe'],
        detached: true,
      });
      let stderr = '';
      let buf = '';
      const kill = (sig: NodeJS.Signals) => {
        try {
          if (child.pid) process.kill(-child.pid, sig);
        } catch {
          /* already gone */
        }
      };
      const onAbort = () => {
        kill('SIGTERM');
        setTimeout(() => kill('SIGKILL'), 3000).unref();
      };
      i.signal.addEventListener('abort', onAbort, { once: true });
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        buf += chunk;
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl).trim();
          buf = buf.slice(nl + 1);
          if (!line.startsWith('{')) continue;
          try {
            for (const e of mapper.map(JSON.parse(line))) apply(e);
          } catch (err) {
            logError('event.skipped', { error: messageOf(err), line: line.slice(0, 200) });
          }
        }
        if (buf.length > 8 * 1024 * 1024) buf = ''; // a line that never ends is not an event
      });
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
        stderr = (stderr + chunk).slice(-4000);
      });
      child.on('error', (err) => {
        stderr += `\n${err.message}`;
      });
      child.on('close', (code, signal) => {
        i.signal.removeEventListener('abort', onAbort);
        resolve({ code, signal, stderr });
      });
      child.stdin.on('error', () => {}); // the CLI may exit before reading everything
      child.stdin.end(i.text);
    },
  );

  for (const e of mapper.end?.() ?? []) apply(e);
  if (i.signal.aborted && error === null) error = 'The turn was cancelled (the connection closed)';
  if (error === null && reply === null) {
    const tail = redact(status.stderr.trim().split('\n').slice(-3).join(' | '));
    error =
      status.signal !== null
        ? `${driver.label} was killed (${status.signal})${tail ? `: ${tail}` : ''}`
        : `${driver.label} ended without an answer (exit code ${status.code})${tail ? `: ${tail}` : ''}`;
  }
  if (reply === null && error === null) reply = streamed;
  const finalReply: string | null = error === null ? (reply ?? '') : null;
  if (finalReply !== null && finalReply !== '')
    thread.messages.push({ role: 'assistant', content: finalReply });
  if (error !== null) {
    i.emit({ event: 'error', data: { message: error } });
    i.trace.send({
      trace_id: turnId,
      parent_id: null,
      kind: 'error',
      thread_id: thread.thread_id,
      payload: { message: error },
    });
  } else
    i.emit({
      event: 'done',
      data: { thread_id: thread.thread_id, turn_id: turnId, reply: finalReply, steps: steps + 1 },
    });
  (error ? logError : logInfo)('turn', {
    thread: thread.thread_id,
    turn: turnId,
    status: error ? 'error' : 'done',
    steps: steps + 1,
    ms: Date.now() - t0,
    ...(error ? { error } : {}),
  });
  return { turnId, reply: finalReply, error, steps: steps + 1 };
}
