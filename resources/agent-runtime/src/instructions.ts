// The agent's instructions and sampling: its system prompt, temperature and whether tools are offered (env, default prompt).
import { ConfigError } from './config-error';

/** What the user set for this agent (PROTOCOL.md "Environment"). */
export interface Instructions {
  /** The user's system prompt; `null` = the built-in one ({@link defaultSystemPrompt}). */
  systemPrompt: string | null;
  /** Sampling temperature sent with every model call; `null` = the model's default (not sent). */
  temperature: number | null;
  /** Whether the tools are offered to the model (off = a plain chat). */
  toolsEnabled: boolean;
}

type Env = Record<string, string | undefined>;

/**
 * Reads `AGENTDESK_SYSTEM_PROMPT` (a JSON string, so it may hold newlines), `AGENTDESK_TEMPERATURE`
 * (0–2) and `AGENTDESK_TOOLS` (`1`/`0`, default `1`).
 * @throws ConfigError naming the variable and what is valid.
 */
export function loadInstructions(env: Env): Instructions {
  let systemPrompt: string | null = null;
  const rawPrompt = env.AGENTDESK_SYSTEM_PROMPT?.trim();
  if (rawPrompt) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(rawPrompt);
    } catch {
      parsed = undefined;
    }
    if (typeof parsed !== 'string')
      throw new ConfigError('AGENTDESK_SYSTEM_PROMPT must be a JSON string, e.g. "You are terse."');
    systemPrompt = parsed.trim() || null;
  }
  let temperature: number | null = null;
  const rawTemp = env.AGENTDESK_TEMPERATURE?.trim();
  if (rawTemp) {
    const t = Number(rawTemp);
    if (!/^\d+(\.\d+)?$/.test(rawTemp) || t > 2)
      throw new ConfigError(
        `AGENTDESK_TEMPERATURE=${JSON.stringify(rawTemp)} is invalid: use a number from 0 to 2`,
      );
    temperature = t;
  }
  const rawTools = env.AGENTDESK_TOOLS?.trim() || '1';
  if (rawTools !== '0' && rawTools !== '1')
    throw new ConfigError(
      `AGENTDESK_TOOLS=${JSON.stringify(rawTools)} is invalid: use 1 (tools on) or 0 (off)`,
    );
  return { systemPrompt, temperature, toolsEnabled: rawTools === '1' };
}

/**
 * The built-in system prompt. Written for small local models as much as for large ones: it says when a
 * tool is worth calling and, once a tool has answered, to answer in words instead of calling it again.
 */
export function defaultSystemPrompt(agentName: string, workspace: string, tools: boolean): string {
  const intro = `You are ${agentName}, an agent running in a Linux container managed by Agent Desk.`;
  if (!tools) return `${intro} Answer the user concisely.`;
  return (
    `${intro} Your workspace is ${workspace}; the tools shell, read_file, write_file and list_dir work there. ` +
    'Call a tool only when the task needs it, one step at a time. ' +
    'When the results you need are in the conversation, do not call the same tool again: ' +
    'answer the user in plain words and quote what the tools showed.'
  );
}
