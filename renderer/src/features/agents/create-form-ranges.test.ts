// The create form's checks and the contract's schemas read the same ranges (contract/ranges.ts): at each
// bound the form and `agents.create` agree on what is accepted and what is refused.
import { describe, expect, it } from 'vitest';
import { AgentCreateInput } from '../../../../contract/agents';
import { AGENT_NAME_MAX, AGENT_RANGES } from '../../../../contract/ranges';
import { checkDraft, newDraft } from './create-form';

type Field = 'memory' | 'cpus' | 'day' | 'rpm' | 'name';

/** A valid draft with one field set as typed. */
function draftWith(field: Field, value: string) {
  const d = newDraft('builtin', 'scripted/model');
  d.name = 'Ranger';
  if (field === 'name') d.name = value;
  else if (field === 'day' || field === 'rpm') d.limits = { ...d.limits, [field]: value };
  else d[field] = value;
  return d;
}

/** Whether the form accepts the draft, and whether the contract accepts what the form would send. */
function verdicts(field: Field, value: string): { form: boolean; contract: boolean } {
  const { input, errors } = checkDraft(draftWith(field, value), {
    agents: [],
    harnessEmoji: '🤖',
    typedEmojiValid: true,
  });
  const sent = input ?? {
    ...checkDraft(draftWith('name', 'Ranger'), { agents: [], harnessEmoji: '🤖', typedEmojiValid: true })
      .input,
    ...{
      memory: { memory_mib: Number(value) },
      cpus: { cpus: Number(value) },
      day: { budget_day_usd: Number(value) },
      rpm: { rpm: Number(value) },
      name: { name: value },
    }[field],
  };
  return {
    form: input !== null && Object.keys(errors).length === 0,
    contract: AgentCreateInput.safeParse(sent).success,
  };
}

describe('create form and contract ranges', () => {
  const cases: [Field, number, number][] = [
    ['memory', AGENT_RANGES.memory_mib.min, AGENT_RANGES.memory_mib.max],
    ['cpus', AGENT_RANGES.cpus.min, AGENT_RANGES.cpus.max],
    ['day', AGENT_RANGES.budget_usd.min, AGENT_RANGES.budget_usd.max],
    ['rpm', AGENT_RANGES.rpm.min, AGENT_RANGES.rpm.max],
  ];
  it.each(cases)('%s: both accept the bounds and both refuse just outside them', (field, min, max) => {
    const step = field === 'cpus' ? 0.05 : field === 'day' ? 0.01 : 1;
    expect(verdicts(field, String(min))).toEqual({ form: true, contract: true });
    expect(verdicts(field, String(max))).toEqual({ form: true, contract: true });
    expect(verdicts(field, String(min - step))).toEqual({ form: false, contract: false });
    expect(verdicts(field, String(max + step))).toEqual({ form: false, contract: false });
  });

  it('name: both accept the longest name and refuse one character more', () => {
    expect(verdicts('name', 'n'.repeat(AGENT_NAME_MAX))).toEqual({ form: true, contract: true });
    expect(verdicts('name', 'n'.repeat(AGENT_NAME_MAX + 1))).toEqual({ form: false, contract: false });
  });
});
