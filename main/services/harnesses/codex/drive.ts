// Driving the Codex CLI headless: `codex exec --json`, resuming the thread's session; its JSONL events mapped to our turn events.
import fs from 'node:fs';
import path from 'node:path';
import type { CliDriver, DriveEvent, EventMapper } from '../cli-adapter/driver';
import { tinyRequest } from '../cli-adapter/verify';

/** The binary in the image (image/Dockerfile). */
export const CODEX_BIN = '/usr/local/bin/codex';
/** The file in the config folder holding Codex's `-c key=value` overrides (written by configure). */
export const CODEX_OVERRIDES_FILE = 'codex-overrides.json';

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {});
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/**
 * Maps `codex exec --json` lines (Codex 0.169.0, checked against a scripted provider):
 * - `{type:"thread.started",thread_id}` → session (`codex exec resume <id>` continues it);
 * - `item.started`/`item.completed` of `command_execution {id,command,aggregated_output,exit_code}` →
 *   tool_call (`exec_command`, at start) and tool_result with its exit code; `file_change {changes}`,
 *   `mcp_tool_call {server,tool,arguments,result}` and `web_search {query}` likewise;
 * - `item.completed` of `agent_message {text}` → text (the last one is the reply);
 * - `item.completed` of `error {message}` → a notice (Codex's warnings, e.g. unknown model metadata);
 * - `turn.completed` → the reply; `turn.failed {error:{message}}` → the error; a top-level
 *   `{type:"error",message}` is kept and becomes the error when the turn ends without completing.
 */
export function codexMapper(): EventMapper {
  const started = new Set<string>();
  let last: string | null = null;
  let lastError: string | null = null;
  let ended = false;
  const call = (item: Json): DriveEvent | null => {
    const id = str(item.id);
    switch (item.type) {
      case 'command_execution':
        return {
          kind: 'tool_call',
          id,
          name: 'exec_command',
          arguments: JSON.stringify({ command: str(item.command) }),
        };
      case 'file_change':
        return {
          kind: 'tool_call',
          id,
          name: 'apply_patch',
          arguments: JSON.stringify({ changes: item.changes ?? [] }),
        };
      case 'mcp_tool_call':
        return {
          kind: 'tool_call',
          id,
          name: `${str(item.server)}.${str(item.tool)}`,
          arguments: JSON.stringify(item.arguments ?? {}),
        };
      case 'web_search':
        return {
          kind: 'tool_call',
          id,
          name: 'web_search',
          arguments: JSON.stringify({ query: str(item.query) }),
        };
      default:
        return null;
    }
  };
  const result = (item: Json): DriveEvent | null => {
    const id = str(item.id);
    const failed = item.status === 'failed' || item.status === 'declined';
    switch (item.type) {
      case 'command_execution':
        return {
          kind: 'tool_result',
          id,
          name: 'exec_command',
          output: str(item.aggregated_output),
          exit_code: typeof item.exit_code === 'number' ? item.exit_code : failed ? 1 : 0,
        };
      case 'file_change':
        return {
          kind: 'tool_result',
          id,
          name: 'apply_patch',
          output: str(item.status),
          exit_code: failed ? 1 : 0,
        };
      case 'mcp_tool_call':
        return {
          kind: 'tool_result',
          id,
          name: `${str(item.server)}.${str(item.tool)}`,
          output: JSON.stringify(item.result ?? item.error ?? null),
          exit_code: failed || item.error ? 1 : 0,
        };
      case 'web_search':
        return { kind: 'tool_result', id, name: 'web_search', output: '', exit_code: 0 };
      default:
        return null;
    }
  };
  return {
    map(line: unknown): DriveEvent[] {
      const o = obj(line);
      const item = obj(o.item);
      switch (o.type) {
        case 'thread.started':
          return str(o.thread_id) ? [{ kind: 'session', id: str(o.thread_id) }] : [];
        case 'item.started': {
          const c = call(item);
          if (!c) return [];
          started.add(str(item.id));
          return [c];
        }
        case 'item.completed': {
          if (item.type === 'agent_message') {
            const sep = last !== null ? '\n\n' : '';
            last = str(item.text);
            return [{ kind: 'text', delta: sep + last }];
          }
          if (item.type === 'error') return [{ kind: 'notice', message: `Codex: ${str(item.message)}` }];
          const r = result(item);
          if (!r) return [];
          const c = started.has(str(item.id)) ? null : call(item);
          return c ? [c, r] : [r];
        }
        case 'turn.completed':
          ended = true;
          return [{ kind: 'reply', text: last ?? '' }];
        case 'turn.failed':
          ended = true;
          return [{ kind: 'error', message: `Codex: ${str(obj(o.error).message) || 'the turn failed'}` }];
        case 'error':
          lastError = str(o.message);
          return [{ kind: 'notice', message: `Codex: ${lastError}` }];
        default:
          return [];
      }
    },
    end(): DriveEvent[] {
      return !ended && lastError ? [{ kind: 'error', message: `Codex: ${lastError}` }] : [];
    },
  };
}

/**
 * The `-c key=value` overrides configure wrote into the config folder (the agent cannot change them: the
 * folder is mounted read-only), each passed as `-c`. `configDir`: the agent's config folder
 * (`AGENTDESK_CONFIG_DIR` of the adapter's environment, else /opt/agentdesk/config). @throws Error naming the file when it is missing or
 * not a JSON array of strings.
 */
export function readCodexOverrides(configDir: string): string[] {
  const file = path.join(configDir, CODEX_OVERRIDES_FILE);
  const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as unknown;
  if (!Array.isArray(parsed) || !parsed.every((v) => typeof v === 'string'))
    throw new Error(`${file} must hold a JSON array of "key=value" strings`);
  return parsed;
}

/**
 * Codex as a {@link CliDriver}: `codex exec --json` (prompt on stdin, `-`) with the provider of the
 * config folder's overrides (the gateway, the key from `OPENAI_API_KEY`), the agent's model, and its own
 * sandbox off (`danger-full-access`: the container is the sandbox; Codex's bubblewrap would need the
 * user namespaces our containment refuses). The thread's next turns run `codex exec resume <session>`.
 */
export const codexDriver: CliDriver = {
  label: 'Codex',
  command(turn) {
    return {
      file: CODEX_BIN,
      args: [
        'exec',
        '--json',
        '--skip-git-repo-check',
        ...readCodexOverrides(turn.env.AGENTDESK_CONFIG_DIR ?? '/opt/agentdesk/config').flatMap((o) => [
          '-c',
          o,
        ]),
        '--sandbox',
        'danger-full-access',
        '--model',
        turn.model,
        ...(turn.session ? ['resume', turn.session] : []),
        '-',
      ],
      session: null,
    };
  },
  mapper: codexMapper,
  verifyShape: (gateway, key, model) =>
    tinyRequest(
      `${gateway}/v1/responses`,
      { Authorization: `Bearer ${key}` },
      { model, input: 'ping', max_output_tokens: 16 },
    ),
};
