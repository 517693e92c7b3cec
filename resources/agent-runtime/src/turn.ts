// One turn: the tool loop (model call → tool calls → results → model call …) with events, trace and persistence.
import { randomUUID } from 'node:crypto';
import { CallLoopGuard } from './call-loop';
import type { RuntimeConfig } from './config';
import { defaultSystemPrompt } from './instructions';
import { finalAnswerMessages } from './final-answer';
import type { ChatAnswer, UpstreamError } from './llm';
import { streamChat } from './llm';
import { logError, logInfo, messageOf, redact, redactSecrets } from './log';
import {
  isMalformedToolCall,
  malformedMessage,
  oneLine,
  TEXT_CALL_STOP,
  TextGate,
  textCallers,
  toModelMessages,
  withTextToolCalls,
} from './model-step';
import type { Thread, ThreadStore, ToolCall } from './threads';
import type { ToolBox, ToolResult } from './tools';
import { TOOL_DEFINITIONS, TOOL_NAMES } from './tools';
import type { TraceClient } from './trace';

/** The events of a turn, in PROTOCOL.md's names and shapes. */
export type TurnEvent =
  | { event: 'turn'; data: { thread_id: string; turn_id: string } }
  | { event: 'text'; data: { delta: string } }
  | { event: 'tool_call'; data: { id: string; name: string; arguments: string } }
  | {
      event: 'tool_result';
      data: { id: string; name: string; output: string; exit_code: number; truncated: boolean; size: number };
    }
  | { event: 'error'; data: { message: string } }
  | { event: 'notice'; data: { message: string } }
  | { event: 'done'; data: { thread_id: string; turn_id: string; reply: string; steps: number } };

/** What a turn needs besides its input. */
export interface TurnDeps {
  config: Pick<
    RuntimeConfig,
    | 'baseUrl'
    | 'apiKey'
    | 'model'
    | 'maxSteps'
    | 'agentName'
    | 'workspace'
    | 'systemPrompt'
    | 'temperature'
    | 'toolsEnabled'
  >;
  threads: ThreadStore;
  tools: ToolBox;
  trace: TraceClient;
}

/** The input of one turn. The caller holds the thread's lock. */
export interface TurnInput {
  text: string;
  threadId: string;
  /** Called for every event, in order; `turn` first, then `done` or `error` last. */
  emit: (e: TurnEvent) => void;
  /** Aborted when the client went away: the model call stops and a running shell command is killed. */
  signal: AbortSignal;
}

function systemPrompt(cfg: TurnDeps['config']): { role: 'system'; content: string } {
  return {
    role: 'system',
    content: cfg.systemPrompt ?? defaultSystemPrompt(cfg.agentName, cfg.workspace, cfg.toolsEnabled),
  };
}

/** The result a repeated call gets in the conversation (it is not run). */
const NOT_RUN =
  'Not run: this exact call already ran in this turn and its result is above. Do the next step of the task, or answer the user.';

/** Most tokens of the final answer asked for without tools (a small model may otherwise ramble on). */
const FINAL_ANSWER_TOKENS = 1024;

/** Says what a repeated call was and what the runtime did about it (PROTOCOL.md "Tool loop"). */
function repeatNote(call: ToolCall, stopped: boolean): string {
  const what = `${call.function.name} ${oneLine(call.function.arguments, 160)}`;
  return stopped
    ? `The model asked again for ${what}, which already ran in this turn: the call loop was stopped and the model was asked to answer in words, without tools.`
    : `The model asked again for ${what}, which already ran in this turn: it was not run again.`;
}

/**
 * Runs one turn to its end and never throws: every failure (model call, tool, thread file) becomes an
 * `error` event (also on stderr and posted to the trace) and ends the turn. The thread is saved after each
 * step, always in a state a model accepts (every tool call has its result), so a failed turn can be
 * continued by the next message.
 * @returns the number of model calls made.
 */
export async function runTurn(deps: TurnDeps, input: TurnInput): Promise<number> {
  const { config, threads, trace } = deps;
  const turnId = randomUUID();
  const threadId = input.threadId;
  const started = Date.now();
  let steps = 0;
  let thread: Thread | null = null;
  /** The save of the user's message while the model is called: resolves to its error, or null. */
  let userSaved: Promise<Error | null> | null = null;
  /** Says `message` to the client as `event` (`notice` or `error`) and traces it as an `error` event of the turn. */
  const report = (event: 'notice' | 'error', message: string): void => {
    input.emit({ event, data: { message } });
    trace.send({
      trace_id: turnId,
      parent_id: null,
      kind: 'error',
      thread_id: threadId,
      payload: { message },
    });
  };
  input.emit({ event: 'turn', data: { thread_id: threadId, turn_id: turnId } });
  try {
    thread = (await threads.load(threadId)) ?? threads.create(threadId);
    thread.messages.push({ role: 'user', content: input.text });
    // The user's message is written while the model is called (the first token does not wait for the
    // disk); every later save waits for it first, so the saves land in order and its error is not lost.
    userSaved = threads.save(thread).then(
      () => null,
      (err: unknown) => (err instanceof Error ? err : new Error(messageOf(err))),
    );
    const saveThread = async (t: Thread): Promise<void> => {
      if (userSaved) {
        const failed = await userSaved;
        userSaved = null;
        if (failed) throw failed;
      }
      await threads.save(t);
    };
    const turnStart = thread.messages.length - 1;
    const guard = new CallLoopGuard();
    let repeats = 0;
    let malformed = false;
    // Set by a malformed tool call or a second repeated call: the next model call asks for the answer
    // in words, without tools, with this turn's calls written out as text (final-answer.ts).
    let finalAnswer = false;
    for (;;) {
      if (steps >= config.maxSteps) {
        throw new Error(
          `step limit reached: the model still asked for tools after ${steps} model calls ` +
            `(AGENTDESK_MAX_STEPS=${config.maxSteps}); send another message to let it continue`,
        );
      }
      steps++;
      const offered = config.toolsEnabled && !finalAnswer;
      const system = systemPrompt(config);
      const gate = new TextGate((delta) => input.emit({ event: 'text', data: { delta } }), offered);
      let answer: ChatAnswer & { fromText: boolean };
      try {
        answer = withTextToolCalls(
          await streamChat({
            baseUrl: config.baseUrl,
            apiKey: config.apiKey,
            model: config.model,
            messages: finalAnswer
              ? finalAnswerMessages(system.content, thread.messages, turnStart)
              : toModelMessages([system, ...thread.messages]),
            tools: offered ? TOOL_DEFINITIONS : [],
            temperature: config.temperature,
            maxTokens: finalAnswer ? FINAL_ANSWER_TOKENS : undefined,
            stop: offered && textCallers.has(config.model) ? TEXT_CALL_STOP : undefined,
            onText: (delta) => gate.push(delta),
            signal: input.signal,
          }),
          offered ? TOOL_NAMES : [],
        );
      } catch (err) {
        if (input.signal.aborted || !isMalformedToolCall(err)) throw err;
        const raw = (err as UpstreamError).partial;
        if (malformed || finalAnswer) throw new Error(malformedMessage(raw, false));
        malformed = true;
        finalAnswer = true;
        const message = malformedMessage(raw, true);
        report('notice', message);
        logInfo('turn.malformed_tool_call', { thread: threadId, turn: turnId, step: steps });
        continue;
      }
      gate.finish(answer.fromText ? answer.content : null);
      if (answer.fromText) textCallers.add(config.model);
      const calls = answer.toolCalls;
      thread.messages.push(
        calls.length
          ? { role: 'assistant', content: answer.content || null, tool_calls: calls }
          : { role: 'assistant', content: answer.content },
      );
      if (!calls.length) {
        await saveThread(thread);
        input.emit({
          event: 'done',
          data: { thread_id: threadId, turn_id: turnId, reply: answer.content, steps },
        });
        logInfo('turn', { thread: threadId, turn: turnId, status: 'done', steps, ms: Date.now() - started });
        return steps;
      }
      const last = steps >= config.maxSteps;
      for (const call of calls) {
        if (!last && !input.signal.aborted && guard.note(call.function.name, call.function.arguments) > 0) {
          // A call loop: the result is already in the conversation. The first repeat is answered
          // "not run"; a second one ends the loop with a request for the answer in words.
          repeats++;
          if (repeats >= 2) finalAnswer = true;
          input.emit({ event: 'notice', data: { message: repeatNote(call, repeats >= 2) } });
          thread.messages.push({ role: 'tool', tool_call_id: call.id, content: NOT_RUN, not_run: true });
          logInfo('turn.repeated_call', {
            thread: threadId,
            turn: turnId,
            tool: call.function.name,
            repeats,
          });
          continue;
        }
        const result: ToolResult =
          last || input.signal.aborted
            ? {
                output: last
                  ? `not run: the step limit (${config.maxSteps} model calls) was reached`
                  : 'not run: the turn was cancelled',
                exit_code: 1,
                size: 0,
                truncated: false,
              }
            : await runTool(deps, { turnId, threadId, call, emit: input.emit, signal: input.signal });
        thread.messages.push({
          role: 'tool',
          tool_call_id: call.id,
          content: result.output,
          exit_code: result.exit_code,
        });
      }
      await saveThread(thread);
      if (input.signal.aborted) throw new Error(cancelled(input.signal));
    }
  } catch (err) {
    const message = redact(input.signal.aborted ? cancelled(input.signal) : messageOf(err));
    if (userSaved) await userSaved; // the catch's save lands after it
    if (thread)
      await threads
        .save(thread)
        .catch((e: unknown) => logError('thread.save_failed', { thread: threadId, reason: messageOf(e) }));
    report('error', message);
    logError('turn', {
      thread: threadId,
      turn: turnId,
      status: 'error',
      steps,
      ms: Date.now() - started,
      error: message,
    });
    return steps;
  }
}

function cancelled(signal: AbortSignal): string {
  return `the turn was cancelled: ${signal.reason instanceof Error ? signal.reason.message : 'aborted'}`;
}

async function runTool(
  deps: TurnDeps,
  t: {
    turnId: string;
    threadId: string;
    call: { id: string; function: { name: string; arguments: string } };
    emit: TurnInput['emit'];
    signal: AbortSignal;
  },
): Promise<ToolResult> {
  const { name, arguments: args } = t.call.function;
  const started = Date.now();
  t.emit({ event: 'tool_call', data: { id: t.call.id, name, arguments: args } });
  const callEvent = deps.trace.send({
    trace_id: t.turnId,
    parent_id: null,
    kind: 'tool_call',
    thread_id: t.threadId,
    payload: { name, arguments: args, call_id: t.call.id },
  });
  const ran = await deps.tools.run(name, args, t.signal);
  // The agent's own key may show up (e.g. `env`); it goes no further than the container.
  const result = { ...ran, output: redactSecrets(ran.output) };
  t.emit({ event: 'tool_result', data: { id: t.call.id, name, ...result } });
  deps.trace.send({
    trace_id: t.turnId,
    parent_id: callEvent.id,
    kind: 'tool_result',
    thread_id: t.threadId,
    payload: { ...result, name, call_id: t.call.id },
  });
  logInfo('tool', {
    thread: t.threadId,
    turn: t.turnId,
    tool: name,
    exit_code: result.exit_code,
    size: result.size,
    ms: Date.now() - started,
  });
  return result;
}
