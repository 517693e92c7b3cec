// The model's tools (shell, read_file, write_file, list_dir): OpenAI definitions, argument checks, execution.
import fs from 'node:fs/promises';
import path from 'node:path';
import { LIMITS } from './config';
import { runShell } from './shell';
import type { Workspace } from './workspace';
import { PathError } from './workspace';

/** What one tool call produced, as the `tool_result` event and the `tool` message carry it. */
export interface ToolResult {
  /** Text for the model: the output (at most the cap) plus a note when it was cut, timed out or failed. */
  output: string;
  /** 0 = success; the command's status for `shell`; 1 = the tool failed (bad arguments, refused path…). */
  exit_code: number;
  /** Bytes of the full output before the cap. */
  size: number;
  truncated: boolean;
}

/** Settings of {@link ToolBox}. */
export interface ToolBoxOptions {
  workspace: Workspace;
  /** The agent's home: `HOME` of shell commands. */
  homeDir: string;
  /** Deadline of one `shell` command, ms. */
  shellTimeoutMs: number;
  /** Output cap, bytes (default 64 KiB). */
  capBytes?: number;
}

/** The tools in OpenAI's `tools` format (https://platform.openai.com/docs/api-reference/chat/create#tools). */
export const TOOL_DEFINITIONS = [
  {
    type: 'function',
    function: {
      name: 'shell',
      description:
        'Run a bash command in the workspace (bash -lc, cwd = the workspace). Returns stdout and stderr ' +
        'interleaved and the exit status. Time limit 60 s; output beyond 64 KiB is cut.',
      parameters: {
        type: 'object',
        properties: { command: { type: 'string', description: 'The command line to run.' } },
        required: ['command'],
      },
    },
  },
  {
    type: 'function',
    function: {
      name: 'read_file',
      description: 'Read a UTF-8 text file of the workspace (first 64 KiB).',
      parameters: {
        type: 'object',
        properties: { path: { type: 'string', description: 'Path relative to the workspace.' } },
        required: ['path'],
      },
    },
  },
  {
    type: 'function',
    function: {
      name: 'write_file',
      description: 'Create or replace a text file in the workspace; missing folders are created.',
      parameters: {
        type: 'object',
        properties: {
          path: { type: 'string', description: 'Path relative to the workspace.' },
          content: { type: 'string', description: 'The whole new content of the file.' },
        },
        required: ['path', 'content'],
      },
    },
  },
  {
    type: 'function',
    function: {
      name: 'list_dir',
      description: 'List a folder of the workspace: one entry per line, folders end with "/".',
      parameters: {
        type: 'object',
        properties: {
          path: { type: 'string', description: 'Folder relative to the workspace; default ".".' },
        },
      },
    },
  },
] as const;

/** Names of the tools, for messages. */
export const TOOL_NAMES = TOOL_DEFINITIONS.map((t) => t.function.name);

const fail = (message: string): ToolResult => ({
  output: `error: ${message}`,
  exit_code: 1,
  size: Buffer.byteLength(message),
  truncated: false,
});

function capped(text: string, cap: number): { text: string; size: number; truncated: boolean } {
  const buf = Buffer.from(text, 'utf8');
  if (buf.length <= cap) return { text, size: buf.length, truncated: false };
  return { text: buf.subarray(0, cap).toString('utf8'), size: buf.length, truncated: true };
}

function stringArg(
  args: Record<string, unknown>,
  name: string,
  tool: string,
  optional = false,
): string | null {
  const v = args[name];
  if (v === undefined && optional) return null;
  if (typeof v !== 'string')
    throw new ArgumentError(
      `${tool} needs "${name}" as a string; got ${v === undefined ? 'no such argument' : typeof v}` +
        ` (arguments given: ${Object.keys(args).join(', ') || 'none'})`,
    );
  return v;
}

class ArgumentError extends Error {}

/**
 * Runs the model's tool calls in the workspace. Never throws: a bad call (unknown tool, arguments that are
 * not JSON or lack a field, a refused path, a file-system error) becomes a result with `exit_code` 1 and a
 * message the model can act on.
 */
export class ToolBox {
  private readonly cap: number;

  constructor(private readonly opts: ToolBoxOptions) {
    this.cap = opts.capBytes ?? LIMITS.outputBytes;
  }

  /**
   * Runs tool `name` with `rawArgs` (the JSON text the model wrote).
   * @param signal aborting cancels a running `shell` command (its process group is killed).
   */
  async run(name: string, rawArgs: string, signal?: AbortSignal): Promise<ToolResult> {
    let args: Record<string, unknown>;
    try {
      const parsed: unknown = rawArgs.trim() === '' ? {} : JSON.parse(rawArgs);
      if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed))
        return fail(`arguments of ${name} must be a JSON object, got ${rawArgs.slice(0, 200)}`);
      args = parsed as Record<string, unknown>;
    } catch (err) {
      return fail(
        `arguments of ${name} are not valid JSON (${(err as Error).message}): ${rawArgs.slice(0, 200)}`,
      );
    }
    try {
      switch (name) {
        case 'shell':
          return await this.shell(stringArg(args, 'command', name)!, signal);
        case 'read_file':
          return await this.readFile(stringArg(args, 'path', name)!);
        case 'write_file':
          return await this.writeFile(stringArg(args, 'path', name)!, stringArg(args, 'content', name)!);
        case 'list_dir':
          return await this.listDir(stringArg(args, 'path', name, true) ?? '.');
        default:
          return fail(`unknown tool "${name}"; available tools: ${TOOL_NAMES.join(', ')}`);
      }
    } catch (err) {
      if (err instanceof ArgumentError || err instanceof PathError) return fail(err.message);
      return fail(`${name} failed: ${(err as Error).message}`);
    }
  }

  private async shell(command: string, signal?: AbortSignal): Promise<ToolResult> {
    const cwd = await this.opts.workspace.ensure();
    const r = await runShell(command, {
      cwd,
      home: this.opts.homeDir,
      timeoutMs: this.opts.shellTimeoutMs,
      capBytes: this.cap,
      signal,
    });
    const notes: string[] = [];
    if (r.truncated) notes.push(`[output truncated: showing the first ${this.cap} of ${r.size} bytes]`);
    if (r.timedOut)
      notes.push(
        `[timed out after ${this.opts.shellTimeoutMs / 1000} s: the command and its process group were killed]`,
      );
    if (r.cancelled) notes.push('[cancelled: the turn was stopped, the process group was killed]');
    if (!r.timedOut && !r.cancelled && r.exitCode !== 0) notes.push(`[exit status ${r.exitCode}]`);
    const sep = r.output && !r.output.endsWith('\n') ? '\n' : '';
    const output = notes.length ? `${r.output}${sep}${notes.join('\n')}` : r.output;
    return { output, exit_code: r.exitCode, size: r.size, truncated: r.truncated };
  }

  private async readFile(p: string): Promise<ToolResult> {
    const real = await this.opts.workspace.existing(p);
    const stat = await fs.stat(real);
    if (stat.isDirectory()) return fail(`${p}: is a folder; use list_dir`);
    if (!stat.isFile()) return fail(`${p}: is not a regular file`);
    const handle = await fs.open(real, 'r');
    let head: Buffer;
    try {
      head = Buffer.alloc(Math.min(stat.size, this.cap));
      const { bytesRead } = await handle.read(head, 0, head.length, 0);
      head = head.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
    if (head.includes(0)) return fail(`${p}: is a binary file (${stat.size} bytes); not shown`);
    const truncated = stat.size > head.length;
    const note = truncated ? `\n[truncated: showing the first ${head.length} of ${stat.size} bytes]` : '';
    return { output: head.toString('utf8') + note, exit_code: 0, size: stat.size, truncated };
  }

  private async writeFile(p: string, content: string): Promise<ToolResult> {
    const bytes = Buffer.byteLength(content);
    if (bytes > LIMITS.writeBytes)
      return fail(`content is ${bytes} bytes; write_file takes at most ${LIMITS.writeBytes} bytes`);
    const target = await this.opts.workspace.writable(p);
    await fs.writeFile(target, content);
    const msg = `wrote ${bytes} bytes to ${this.opts.workspace.display(target)}`;
    return { output: msg, exit_code: 0, size: Buffer.byteLength(msg), truncated: false };
  }

  private async listDir(p: string): Promise<ToolResult> {
    const real = await this.opts.workspace.existing(p);
    const stat = await fs.stat(real);
    if (!stat.isDirectory()) return fail(`${p}: is not a folder; use read_file`);
    const entries = await fs.readdir(real, { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const lines = await Promise.all(
      entries.map(async (e) => {
        if (e.isDirectory()) return `${e.name}/`;
        if (e.isSymbolicLink()) return `${e.name}@ -> ${await fs.readlink(path.join(real, e.name))}`;
        const size = e.isFile()
          ? (await fs.stat(path.join(real, e.name)).catch(() => null))?.size
          : undefined;
        return size === undefined ? e.name : `${e.name}  ${size} bytes`;
      }),
    );
    const text = lines.length ? lines.join('\n') : `(${this.opts.workspace.display(real)} is empty)`;
    const c = capped(text, this.cap);
    const note = c.truncated ? `\n[truncated: ${entries.length} entries]` : '';
    return { output: c.text + note, exit_code: 0, size: c.size, truncated: c.truncated };
  }
}
