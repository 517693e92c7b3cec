// State of the chat pane: the open agent, its threads, the selected thread's messages and the turn streaming in.
import type { ShownError } from '../errors';
import type { FailedTurn } from './failed-turns';

/** A tool call as a card: arguments, and the output once its result arrived. */
export interface ToolCard {
  /** The model's call id (ties the result to the call). */
  call_id: string;
  name: string;
  /** The arguments as the model wrote them (JSON text). */
  arguments: string;
  /** `null` until the result arrives. */
  output: string | null;
  /** `null` when unknown (results of threads written before exit codes were stored carry none). */
  exit_code: number | null;
  /** The runtime did not run it (the model repeated a call it had already made in the turn). */
  not_run?: boolean;
  /** Whether the runtime cut the output (64 KiB); `size` = the original size in bytes. */
  truncated: boolean;
  size: number | null;
}

/** One row of the conversation. */
export type ChatItem =
  /** `failed`: a message of a failed turn the runtime never stored (kept by the renderer). */
  | { kind: 'user'; key: string; text: string; failed?: boolean }
  | { kind: 'assistant'; key: string; text: string }
  | { kind: 'tool'; key: string; tool: ToolCard }
  /** `retry`: the message a Retry button sends again (a failed turn kept in the thread). */
  | { kind: 'error'; key: string; message: string; hint: string | null; retry?: string }
  /** What the runtime did about the model's behaviour (a repeated call not run, a malformed call retried). */
  | { kind: 'notice'; key: string; message: string };

/** The turn being sent or streamed: the user's message, then what the runtime streams, in arrival order. */
export interface LiveTurn {
  thread_id: string;
  /** Known once the runtime's `turn` event arrived. */
  turn_id: string | null;
  text: string;
  items: ChatItem[];
  status: 'sending' | 'streaming' | 'done' | 'error';
  error: string | null;
}

/** A thread in the list (as `agents.threads` answers). */
export interface ThreadSummary {
  thread_id: string;
  updated_at: number;
  title: string;
}

export interface ChatState {
  /** The agent whose chat is open; `null` when none. */
  agentId: string | null;
  threads: ThreadSummary[];
  threadsLoading: boolean;
  threadsError: ShownError | null;
  /** The selected thread; `null` = a new thread (made by the first message). */
  threadId: string | null;
  /** The selected thread's rows as stored by the runtime. */
  stored: ChatItem[];
  /**
   * The open agent's failed turns seen in this window (every thread): they show at once, before the
   * core's trace has them, and refusals that never reached the agent (it was stopped) stay for the session.
   */
  failed: FailedTurn[];
  /** The selected thread's failed turns as the core read them from the agent's trace (`agents.thread`). */
  serverFailed: FailedTurn[];
  /** The selected thread's conversation: the stored rows with its failed turns put back in. */
  messages: ChatItem[];
  threadLoading: boolean;
  threadError: ShownError | null;
  turn: LiveTurn | null;
}

export const initialChatState: ChatState = {
  agentId: null,
  threads: [],
  threadsLoading: false,
  threadsError: null,
  threadId: null,
  stored: [],
  failed: [],
  serverFailed: [],
  messages: [],
  threadLoading: false,
  threadError: null,
  turn: null,
};
