// Driving Claude Code headless: `claude -p` with streaming JSON, one session per thread; its events mapped to our turn events.
import { createHash } from 'node:crypto';
import type { CliDriver, DriveEvent, EventMapper } from '../cli-adapter/driver';
import { tinyRequest } from '../cli-adapter/verify';

/** The binary in the image (image/Dockerfile). */
export const CLAUDE_BIN = '/usr/local/bin/claude';

/**
 * The Claude Code session of thread `threadId`: a UUID made from it (Claude Code takes only UUIDs as
 * `--session-id`), so the same thread always resumes the same session.
 */
export function sessionOf(threadId: string): string {
  const h = createHash('sha256').update(`agentdesk-thread:${threadId}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {});
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/** The text of a tool_result's `content`: a string, or the text parts of an array. */
function resultText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((p) => obj(p))
    .filter((p) => p.type === 'text')
    .map((p) => str(p.text))
    .join('\n');
}

/**
 * Maps `claude -p --output-format stream-json --verbose --include-partial-messages` lines (Claude Code
 * 2.1.328, checked against a scripted provider):
 * - `{type:"system",subtype:"init",session_id}` → session;
 * - `{type:"stream_event",event:{type:"content_block_delta",delta:{type:"text_delta",text}}}` → text as
 *   it streams (the main conversation's only: `parent_tool_use_id` null);
 * - `{type:"assistant",message:{id,content:[…]}}` → each `tool_use {id,name,input}` → tool_call; its
 *   `text` parts → text only when that message was not streamed already;
 * - `{type:"user",message:{content:[{type:"tool_result",tool_use_id,content,is_error}]}}` → tool_result
 *   (exit code 1 when `is_error`; Claude Code reports no exit status of its own);
 * - `{type:"result",subtype,is_error,result,api_error_status}` → the reply, or the error (`result` is
 *   Claude Code's own message, e.g. "API Error: 404 …").
 */
export function claudeCodeMapper(): EventMapper {
  const streamed = new Set<string>();
  const names = new Map<string, string>();
  let current = '';
  return {
    map(line: unknown): DriveEvent[] {
      const o = obj(line);
      const top = o.parent_tool_use_id === null || o.parent_tool_use_id === undefined;
      switch (o.type) {
        case 'system':
          return o.subtype === 'init' && str(o.session_id)
            ? [{ kind: 'session', id: str(o.session_id) }]
            : [];
        case 'stream_event': {
          const ev = obj(o.event);
          if (ev.type === 'message_start') current = str(obj(ev.message).id);
          const delta = obj(ev.delta);
          if (!top || ev.type !== 'content_block_delta' || delta.type !== 'text_delta') return [];
          streamed.add(current);
          return str(delta.text) ? [{ kind: 'text', delta: str(delta.text) }] : [];
        }
        case 'assistant': {
          const msg = obj(o.message);
          const out: DriveEvent[] = [];
          for (const part of Array.isArray(msg.content) ? msg.content : []) {
            const p = obj(part);
            if (p.type === 'tool_use') {
              names.set(str(p.id), str(p.name));
              out.push({
                kind: 'tool_call',
                id: str(p.id),
                name: str(p.name),
                arguments: JSON.stringify(p.input ?? {}),
              });
            } else if (p.type === 'text' && top && !streamed.has(str(msg.id)) && str(p.text))
              out.push({ kind: 'text', delta: str(p.text) });
          }
          return out;
        }
        case 'user': {
          const out: DriveEvent[] = [];
          for (const part of Array.isArray(obj(o.message).content)
            ? (obj(o.message).content as unknown[])
            : []) {
            const p = obj(part);
            if (p.type !== 'tool_result') continue;
            const id = str(p.tool_use_id);
            out.push({
              kind: 'tool_result',
              id,
              name: names.get(id) ?? 'tool',
              output: resultText(p.content),
              exit_code: p.is_error === true ? 1 : 0,
            });
          }
          return out;
        }
        case 'result': {
          if (o.is_error === true || (o.subtype !== undefined && o.subtype !== 'success')) {
            const status = typeof o.api_error_status === 'number' ? ` (HTTP ${o.api_error_status})` : '';
            const what = str(o.result) || `it ended with ${str(o.subtype) || 'an error'}`;
            return [{ kind: 'error', message: `Claude Code: ${what}${status}` }];
          }
          return [{ kind: 'reply', text: str(o.result) }];
        }
        default:
          return [];
      }
    },
  };
}

/**
 * Claude Code as a {@link CliDriver}: `claude -p` (prompt on stdin) with streaming JSON, every tool
 * allowed (`--permission-mode bypassPermissions`: the container is the sandbox, with the egress policy
 * outside it), the agent's model and first fallback, and the thread's session: `--session-id` on its
 * first turn, `--resume` afterwards. The gateway, key and model come from the env file written by the
 * harness's configure step (ANTHROPIC_BASE_URL, ANTHROPIC_API_KEY, ANTHROPIC_MODEL …).
 */
export const claudeCodeDriver: CliDriver = {
  label: 'Claude Code',
  command(turn) {
    const session = turn.session ?? sessionOf(turn.threadId);
    const fallback = (turn.env.AGENTDESK_FALLBACKS ?? '').split(',').find((m) => m && m !== turn.model);
    return {
      file: CLAUDE_BIN,
      args: [
        '-p',
        '--output-format',
        'stream-json',
        '--verbose',
        '--include-partial-messages',
        '--permission-mode',
        'bypassPermissions',
        '--model',
        turn.model,
        ...(fallback ? ['--fallback-model', fallback] : []),
        ...(turn.session ? ['--resume', session] : ['--session-id', session]),
      ],
      session,
    };
  },
  mapper: claudeCodeMapper,
  verifyShape: (gateway, key, model) =>
    tinyRequest(
      `${gateway}/v1/messages`,
      { 'x-api-key': key, 'anthropic-version': '2023-06-01' },
      { model, max_tokens: 1, messages: [{ role: 'user', content: 'ping' }] },
    ),
};
