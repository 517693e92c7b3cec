// The settings of one agent: its system prompt, temperature and whether tools are offered (`agents.configure`).
import { useState } from 'react';
import type { ReactElement } from 'react';
import type { Agent, AgentConfigureInput, Harness } from '../../../../contract/agents';
import { Dialog } from '../../components/Dialog';
import type { ShownError } from '../../stores/errors';
import { checkInstructions, instructionsDraft } from './instructions-form';
import { InstructionsFields } from './InstructionsFields';

/**
 * Edits the agent's instructions; Save checks them, sends them through `onSave` and closes on success.
 * A running agent is restarted to apply them (said next to the button). For a harness that applies no
 * instructions of its own (`harness.instructions` false) it says so and offers nothing to save.
 */
export function AgentSettingsDialog({
  agent,
  harness,
  onSave,
  onClose,
}: {
  agent: Pick<Agent, 'id' | 'emoji' | 'name' | 'phase' | 'system_prompt' | 'temperature' | 'tools'>;
  /** The agent's harness, when the list is loaded. */
  harness?: Pick<Harness, 'label' | 'instructions'> | undefined;
  onSave: (input: AgentConfigureInput) => Promise<ShownError | null>;
  onClose: () => void;
}): ReactElement {
  const [draft, setDraft] = useState(() => instructionsDraft(agent));
  const [errors, setErrors] = useState<{ system_prompt?: string; temperature?: string }>({});
  const [failure, setFailure] = useState<ShownError | null>(null);
  const [busy, setBusy] = useState(false);
  const applies = harness?.instructions !== false;
  const save = async () => {
    const checked = checkInstructions(draft);
    if (!checked.ok) return setErrors({ [checked.field]: checked.error });
    setErrors({});
    setBusy(true);
    const err = await onSave({ id: agent.id, ...checked.value });
    setBusy(false);
    if (err) setFailure(err);
    else onClose();
  };
  return (
    <Dialog
      title={
        <>
          <span aria-hidden="true">{agent.emoji}</span> Settings of {agent.name}
        </>
      }
      description={
        !applies
          ? `${harness?.label ?? 'This harness'} brings its own system prompt and tools: a system prompt, temperature or tools switch of Agent Desk does not apply to it.`
          : agent.phase === 'running'
            ? 'Saving restarts the agent so its runtime reads the new settings.'
            : 'The agent uses them from its next start.'
      }
      onClose={() => (busy ? undefined : onClose())}
      testId="agent-settings-dialog"
      footer={
        <>
          <button type="button" className="button" onClick={onClose} disabled={busy}>
            Cancel
          </button>
          {applies ? (
            <button
              type="button"
              className="button button--primary"
              onClick={() => void save()}
              disabled={busy}
              aria-busy={busy}
              data-testid="agent-settings-save"
            >
              {busy ? 'Saving…' : 'Save'}
            </button>
          ) : null}
        </>
      }
    >
      {applies ? (
        <InstructionsFields value={draft} onChange={setDraft} errors={errors} idPrefix="settings" />
      ) : null}
      {failure && !failure.unreachable ? (
        <p className="inline-error" role="alert" data-testid="agent-settings-error">
          <code>{failure.code}</code> {failure.message}
        </p>
      ) : null}
    </Dialog>
  );
}
