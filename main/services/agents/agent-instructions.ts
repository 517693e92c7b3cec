// Per-agent instructions and sampling (system prompt, temperature, tools on/off): stored (migration 007), handed to the runtime by env.
import fs from 'node:fs';
import type { Db } from '../storage/database';
import type { AgentFolder, AgentIdentity } from './agent-folder';
import { writeEnvFile } from './agent-folder';

/** What the user set for one agent. */
export interface AgentInstructions {
  /** `null` = the framework's built-in system prompt. */
  system_prompt: string | null;
  /** `null` = the model's default. */
  temperature: number | null;
  tools: boolean;
}

/** An agent that set nothing. */
export const DEFAULT_INSTRUCTIONS: AgentInstructions = {
  system_prompt: null,
  temperature: null,
  tools: true,
};

/** A prompt as stored: trimmed; blank = `null` (the built-in one). */
export function normalizePrompt(text: string | null | undefined): string | null {
  const t = text?.trim();
  return t ? t : null;
}

/** The rows of `agent_instructions` (synchronous, better-sqlite3); no row = {@link DEFAULT_INSTRUCTIONS}. */
export class InstructionsRepository {
  constructor(private readonly db: Db) {}

  get(agentId: string): AgentInstructions {
    const r = this.db
      .prepare('SELECT system_prompt, temperature, tools FROM agent_instructions WHERE agent_id = ?')
      .get(agentId) as
      { system_prompt: string | null; temperature: number | null; tools: number } | undefined;
    return r
      ? { system_prompt: r.system_prompt, temperature: r.temperature, tools: r.tools === 1 }
      : { ...DEFAULT_INSTRUCTIONS };
  }

  set(agentId: string, v: AgentInstructions): void {
    this.db
      .prepare(
        `INSERT INTO agent_instructions (agent_id, system_prompt, temperature, tools) VALUES (?, ?, ?, ?)
         ON CONFLICT (agent_id) DO UPDATE SET system_prompt = excluded.system_prompt,
           temperature = excluded.temperature, tools = excluded.tools`,
      )
      .run(agentId, v.system_prompt, v.temperature, v.tools ? 1 : 0);
  }

  delete(agentId: string): void {
    this.db.prepare('DELETE FROM agent_instructions WHERE agent_id = ?').run(agentId);
  }
}

/**
 * The runtime's variables for `v` (resources/agent-runtime/PROTOCOL.md "Environment"):
 * `AGENTDESK_SYSTEM_PROMPT` as a JSON string (the env file holds one line per variable), `AGENTDESK_TEMPERATURE`
 * ('' = the model's default) and `AGENTDESK_TOOLS` (`1`/`0`).
 */
export function instructionsEnv(v: AgentInstructions): Record<string, string> {
  return {
    AGENTDESK_SYSTEM_PROMPT: v.system_prompt === null ? '' : JSON.stringify(v.system_prompt),
    AGENTDESK_TEMPERATURE: v.temperature === null ? '' : String(v.temperature),
    AGENTDESK_TOOLS: v.tools ? '1' : '0',
  };
}

/**
 * Replaces (or adds) variables in the env file of the agent's config folder (written by
 * {@link writeEnvFile}), keeping the others (the virtual key among them, which the core cannot write
 * again: it keeps only its hash). The config folder is the core's alone (mounted read-only, never in
 * the agent's home): the file is read without following a link and written back atomically by
 * {@link writeEnvFile}. Nothing is done when the agent has no env file yet (its deploy writes one).
 * @returns whether the file existed and was patched.
 * @throws Error when the file cannot be read or written.
 */
export function patchEnvFile(
  folder: AgentFolder,
  updates: Record<string, string>,
  who?: AgentIdentity,
): boolean {
  let text: string;
  try {
    const fd = fs.openSync(folder.envFile, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
    try {
      text = fs.readFileSync(fd, 'utf8');
    } finally {
      fs.closeSync(fd);
    }
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return false;
    if (code === 'ELOOP')
      throw new Error(
        `${folder.envFile} is a symbolic link; the config folder holds only files the core wrote`,
      );
    throw err;
  }
  const env: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)='(.*)'$/.exec(line);
    if (m) env[m[1]!] = m[2]!.replace(/'\\''/g, "'");
  }
  writeEnvFile(folder, { ...env, ...updates }, who);
  return true;
}
