// What a harness driven as a headless CLI (Claude Code, Codex) tells the in-container adapter: how to run a turn, how to read its events.

/** One event of a turn, mapped from the CLI's own JSON events. */
export type DriveEvent =
  /** The CLI's own session id for the thread (resumed on the thread's next turn). */
  | { kind: 'session'; id: string }
  /** Reply text as it streams. */
  | { kind: 'text'; delta: string }
  /** A tool call: `id` is the CLI's call id, `arguments` JSON text. */
  | { kind: 'tool_call'; id: string; name: string; arguments: string }
  /** A tool's result (`exit_code` 0 = success; the CLI's own status when it gives one, else 0/1). */
  | { kind: 'tool_result'; id: string; name: string; output: string; exit_code: number }
  /** The turn's final reply (replaces the text streamed so far as the reply). */
  | { kind: 'reply'; text: string }
  /** The turn failed: the CLI's own message. */
  | { kind: 'error'; message: string }
  /** Something worth a log line that does not end the turn (a warning of the CLI). */
  | { kind: 'notice'; message: string };

/** Maps the JSON lines of one turn (stateful: some CLIs repeat what they streamed). */
export interface EventMapper {
  /** The events for one parsed JSON line of the CLI's stdout (none for lines it does not know). */
  map(line: unknown): DriveEvent[];
  /** Events due once the CLI has exited (an error it reported but never ended the turn with). */
  end?(): DriveEvent[];
}

/** What the adapter knows when it starts a turn. */
export interface TurnStart {
  /** The agent's model, `<provider-id>/<model-id>`. */
  model: string;
  /** Our thread id. */
  threadId: string;
  /** The CLI's session of this thread from an earlier turn, or null on the thread's first turn. */
  session: string | null;
  /** The adapter's environment (the image's init filled it from the config folder's env file). */
  env: Readonly<NodeJS.ProcessEnv>;
}

/** How a CLI is run for one turn: the prompt goes to its stdin, its JSON events come on stdout, one per line. */
export interface CliCommand {
  file: string;
  args: string[];
  /** Added to the adapter's environment (which the image's init filled from the config folder's env file). */
  env?: Record<string, string>;
  /** The session this run will have when the CLI takes ours (Claude Code's `--session-id`), else null. */
  session: string | null;
}

/** A harness driven as a headless CLI inside its container. */
export interface CliDriver {
  /** Its name in messages, e.g. "Claude Code". */
  label: string;
  /** The command of one turn. */
  command(turn: TurnStart): CliCommand;
  /** A fresh mapper for one turn's events. */
  mapper(): EventMapper;
  /**
   * Proves, from inside the container, that the gateway serves the model in the API shape this CLI
   * calls (one tiny request). `gateway` is the gateway's root URL (no `/v1`).
   * @returns null when it works, else why not (URL, HTTP status, the gateway's message).
   */
  verifyShape(gateway: string, key: string, model: string): Promise<string | null>;
}
