// Conversations on disk (`<threadsDir>/<thread_id>.json`, written atomically) and the one-turn-per-thread lock.
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';

/** One OpenAI chat message as the runtime stores and sends it. */
export type ChatMessage =
  | { role: 'system' | 'user'; content: string }
  | { role: 'assistant'; content: string | null; tool_calls?: ToolCall[] }
  | {
      role: 'tool';
      tool_call_id: string;
      content: string;
      /** The runtime's own: the tool's exit code (0 = success), so a failure still shows when the thread is read back. */
      exit_code?: number;
      /** The runtime's own: the call was not run (a repeat of an earlier call of the turn). */
      not_run?: boolean;
    };

/** A tool call in OpenAI's format; `arguments` is the JSON text the model wrote. */
export interface ToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

/** A stored conversation. Times are UTC ms. */
export interface Thread {
  thread_id: string;
  created_at: number;
  updated_at: number;
  messages: ChatMessage[];
}

/** Thread ids are file names: letters, digits, `_`, `-`, `.` (not first), 1–128 characters. */
export const THREAD_ID = /^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,127}$/;

/** Why a thread id is refused, or `null` when it is valid. */
export function threadIdProblem(id: string): string | null {
  return THREAD_ID.test(id)
    ? null
    : `thread_id ${JSON.stringify(id.slice(0, 140))} is invalid: use 1–128 letters, digits, "_", "-" or "." (not first)`;
}

/**
 * The threads of one agent: load, save (tmp file + fsync + rename, so a crash leaves the old or the new
 * file, never half of one), and a lock so only one turn runs on a thread at a time.
 */
export class ThreadStore {
  private readonly busy = new Set<string>();

  /** @param dir the threads folder; created on the first save. */
  constructor(readonly dir: string) {}

  /** A new empty thread (not yet saved) with a random UUID unless `id` is given. */
  create(id: string = randomUUID()): Thread {
    const now = Date.now();
    return { thread_id: id, created_at: now, updated_at: now, messages: [] };
  }

  /**
   * The stored thread, or `null` when there is none.
   * @throws Error naming the file when it cannot be read or is not a thread (corrupt JSON).
   */
  async load(id: string): Promise<Thread | null> {
    const problem = threadIdProblem(id);
    if (problem) throw new Error(problem);
    const file = this.fileOf(id);
    let text: string;
    try {
      text = await fs.readFile(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw new Error(`cannot read thread file ${file}: ${(err as Error).message}`);
    }
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch (err) {
      throw new Error(`thread file ${file} is not valid JSON: ${(err as Error).message}`);
    }
    const t = data as Partial<Thread> | null;
    if (!t || typeof t !== 'object' || t.thread_id !== id || !Array.isArray(t.messages))
      throw new Error(`thread file ${file} is not a thread (expected {thread_id: "${id}", messages: [...]})`);
    return t as Thread;
  }

  /**
   * Writes the thread atomically and stamps `updated_at`. The thread is serialised at the call, so a
   * caller may change it while the write is under way (the file holds the thread as it was when called).
   * @throws Error from the file system.
   */
  async save(thread: Thread): Promise<void> {
    thread.updated_at = Date.now();
    const text = JSON.stringify(thread);
    await fs.mkdir(this.dir, { recursive: true, mode: 0o700 });
    const file = this.fileOf(thread.thread_id);
    const tmp = `${file}.${process.pid}.${randomUUID().slice(0, 8)}.tmp`;
    const handle = await fs.open(tmp, 'w', 0o600);
    try {
      await handle.writeFile(text);
      await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      await fs.rename(tmp, file);
    } catch (err) {
      await fs.rm(tmp, { force: true });
      throw err;
    }
  }

  /** Takes the thread's lock: a release function, or `null` when a turn already holds it. */
  acquire(id: string): (() => void) | null {
    if (this.busy.has(id)) return null;
    this.busy.add(id);
    let released = false;
    return () => {
      if (!released) this.busy.delete(id);
      released = true;
    };
  }

  private fileOf(id: string): string {
    return path.join(this.dir, `${id}.json`);
  }
}
