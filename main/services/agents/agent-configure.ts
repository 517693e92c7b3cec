// `agents.create`/`agents.configure` for instructions: validation, storage and the agent's env file.
import type { AgentConfigureInput, AgentCreateInput } from '../../../contract/agents';
import { AgentConfigureInput as ConfigureSchema } from '../../../contract/agents';
import { AppError } from '../../../contract/errors';
import { agentFolder, agentIdentity } from './agent-folder';
import type { AgentIdentity } from './agent-folder';
import type { AgentInstructions, InstructionsRepository } from './agent-instructions';
import { DEFAULT_INSTRUCTIONS, instructionsEnv, normalizePrompt, patchEnvFile } from './agent-instructions';
import type { AgentRow } from './agent-repository';
import type { HarnessRegistry } from '../harnesses/registry';

/** The instructions an `agents.create` input sets, or `null` when it sets none (the defaults). */
export function instructionsOfCreate(raw: AgentCreateInput): AgentInstructions | null {
  const v: AgentInstructions = {
    system_prompt: normalizePrompt(raw.system_prompt),
    temperature: raw.temperature ?? null,
    tools: raw.tools ?? true,
  };
  return v.system_prompt === null && v.temperature === null && v.tools ? null : v;
}

/** Phases in which instructions may change (not while the agent is moving or archived). */
const CONFIGURABLE = new Set(['running', 'stopped', 'failed']);

/**
 * Applies an `agents.configure` input to agent `row`: stores the new values and patches the env file
 * of its config folder (when it has one; host-written, never its home), so the runtime reads them at
 * its next start.
 * @returns whether the agent is running (the caller restarts it to apply them).
 * @throws AppError INVALID_INPUT (a bad field, or a harness that applies no instructions), CONFLICT (an agent being deployed, stopped, archived…).
 */
export function configureAgent(
  d: {
    dataDir: string;
    instructions?: InstructionsRepository;
    identity?: AgentIdentity;
    /** The core's environment, for who agents run as when `identity` is not given ({@link agentIdentity}). */
    env?: Readonly<NodeJS.ProcessEnv>;
    harnesses?: Pick<HarnessRegistry, 'get'>;
  },
  row: AgentRow,
  raw: AgentConfigureInput,
): boolean {
  const input = ConfigureSchema.parse(raw);
  if (!d.instructions) throw new AppError('UNAVAILABLE', 'Agent instructions are not available in this core');
  const m = d.harnesses?.get(row.harness)?.manifest;
  if (m && !m.instructions)
    throw new AppError(
      'INVALID_INPUT',
      `${m.label} brings its own system prompt and tools and applies no other: this agent's instructions cannot be set`,
    );
  if (!CONFIGURABLE.has(row.phase))
    throw new AppError(
      'CONFLICT',
      `The agent is ${row.phase}; its instructions can be changed when it is running, stopped or failed`,
    );
  const before = d.instructions.get(row.id);
  const next: AgentInstructions = {
    system_prompt:
      input.system_prompt === undefined ? before.system_prompt : normalizePrompt(input.system_prompt),
    temperature: input.temperature === undefined ? before.temperature : input.temperature,
    tools: input.tools ?? before.tools,
  };
  // The env file first: when it cannot be written, nothing is stored either.
  patchEnvFile(
    agentFolder(d.dataDir, row.id),
    instructionsEnv(next),
    d.identity ?? agentIdentity(d.env ?? {}),
  );
  const same = JSON.stringify(next) === JSON.stringify(DEFAULT_INSTRUCTIONS);
  if (same) d.instructions.delete(row.id);
  else d.instructions.set(row.id, next);
  return row.phase === 'running';
}
