// The instructions part of the create and settings forms: system prompt, temperature, tools on/off (draft, checks, input).

/** What the fields hold; the temperature stays text until checked ('' = the model's default). */
export interface InstructionsDraft {
  systemPrompt: string;
  temperature: string;
  tools: boolean;
}

/** The draft of an agent's current values (or of a new agent). */
export function instructionsDraft(v?: {
  system_prompt: string | null;
  temperature: number | null;
  tools: boolean;
}): InstructionsDraft {
  return {
    systemPrompt: v?.system_prompt ?? '',
    temperature: v?.temperature === null || v?.temperature === undefined ? '' : String(v.temperature),
    tools: v?.tools ?? true,
  };
}

/** Most characters of a system prompt (contract/agents.ts SystemPrompt). */
export const SYSTEM_PROMPT_MAX = 20_000;

/**
 * Checks the draft: `{error}` naming the field and what is valid, or the values to send (`null` =
 * the built-in prompt / the model's temperature).
 */
export function checkInstructions(
  d: InstructionsDraft,
):
  | { ok: true; value: { system_prompt: string | null; temperature: number | null; tools: boolean } }
  | { ok: false; field: 'system_prompt' | 'temperature'; error: string } {
  if (d.systemPrompt.length > SYSTEM_PROMPT_MAX)
    return {
      ok: false,
      field: 'system_prompt',
      error: `The system prompt is ${d.systemPrompt.length} characters; at most ${SYSTEM_PROMPT_MAX}`,
    };
  const t = d.temperature.trim();
  const n = Number(t);
  if (t !== '' && (!Number.isFinite(n) || n < 0 || n > 2))
    return {
      ok: false,
      field: 'temperature',
      error: `The temperature must be a number from 0 to 2 (e.g. 0.2), or empty for the model’s default; “${d.temperature}” is not`,
    };
  return {
    ok: true,
    value: { system_prompt: d.systemPrompt.trim() || null, temperature: t === '' ? null : n, tools: d.tools },
  };
}
