// The agent's instructions and sampling as form fields: system prompt, temperature, tools on/off (create dialog and settings).
import type { ReactElement } from 'react';
import { InputField, SwitchField } from '../../components/Field';
import type { InstructionsDraft } from './instructions-form';
import { SYSTEM_PROMPT_MAX } from './instructions-form';

/**
 * Three fields, as LM Studio and Jan offer them: a system prompt (empty = the built-in one), a
 * temperature (empty = the model's default; 0 = most predictable) and whether tools are offered
 * (off = a plain chat, for small models that call a tool for everything). Ids start with `idPrefix`.
 */
export function InstructionsFields({
  value,
  onChange,
  errors,
  idPrefix = 'agent',
}: {
  value: InstructionsDraft;
  onChange: (next: InstructionsDraft) => void;
  errors?: { system_prompt?: string; temperature?: string };
  idPrefix?: string;
}): ReactElement {
  const promptId = `${idPrefix}-system-prompt`;
  return (
    <div className="instructions-fields" data-testid={`${idPrefix}-instructions`}>
      <div className={`field${errors?.system_prompt ? ' field--invalid' : ''}`} data-field="system_prompt">
        <label htmlFor={promptId} className="field__label">
          System prompt
        </label>
        <textarea
          id={promptId}
          className="input input--area"
          rows={4}
          maxLength={SYSTEM_PROMPT_MAX}
          value={value.systemPrompt}
          placeholder="Empty: the built-in prompt (the agent’s workspace and tools)"
          onChange={(e) => onChange({ ...value, systemPrompt: e.target.value })}
          aria-describedby={errors?.system_prompt ? `${promptId}-error` : undefined}
          aria-invalid={errors?.system_prompt ? true : undefined}
          data-testid={promptId}
        />
        {errors?.system_prompt ? (
          <p id={`${promptId}-error`} className="field__error" role="alert" data-testid={`${promptId}-error`}>
            {errors.system_prompt}
          </p>
        ) : null}
      </div>
      <div data-field="temperature">
        <InputField
          id={`${idPrefix}-temperature`}
          label="Temperature"
          type="number"
          min={0}
          max={2}
          value={value.temperature}
          placeholder="default"
          onChange={(v) => onChange({ ...value, temperature: v })}
          hint="0–2; empty = the model’s default. Lower is more predictable."
          error={errors?.temperature}
        />
      </div>
      <SwitchField
        id={`${idPrefix}-tools`}
        label="Offer tools (shell, files)"
        hint="Off: the model only chats. Small models may call a tool for everything."
        checked={value.tools}
        onChange={(tools) => onChange({ ...value, tools })}
      />
    </div>
  );
}
