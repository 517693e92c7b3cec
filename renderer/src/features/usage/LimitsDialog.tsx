// Edits an agent's spend limits (USD per day and month, requests per minute); also how a refused run's budget is raised.
import { useState } from 'react';
import type { ReactElement } from 'react';
import type { Agent } from '../../../../contract/agents';
import type { AgentLimits } from '../../../../contract/usage';
import { Dialog, DialogActions } from '../../components/Dialog';
import { InputField } from '../../components/Field';
import { usageStore, usd } from './store';

/** A limit as typed: a number, or empty for the Settings default. */
function parse(v: string): number | null | 'bad' {
  if (v.trim() === '') return null;
  const n = Number(v);
  return Number.isFinite(n) && n >= 0 ? n : 'bad';
}

type LimitKey = 'usd_day' | 'usd_month' | 'rpm';

/** One field of the dialog: which limit it edits, its text as typed, and its lowest value. */
interface LimitFieldSpec {
  id: string;
  label: string;
  limit: LimitKey;
  min: number;
  value: string;
  onChange: (v: string) => void;
  hint?: string;
}

/**
 * The limits dialog of `agent`. Empty fields go back to the Settings defaults. With `suggestRaise`,
 * the daily budget is prefilled at twice its current value (the "Raise the budget" offer of a refused run).
 */
export function LimitsDialog({
  agent,
  limits,
  suggestRaise = false,
  onClose,
}: {
  agent: Agent;
  limits: AgentLimits | undefined;
  suggestRaise?: boolean;
  onClose: () => void;
}): ReactElement {
  const own = (v: number | undefined, dflt: boolean | undefined) =>
    v === undefined || dflt ? '' : String(v);
  const [day, setDay] = useState(
    suggestRaise && limits
      ? String(Math.max(1, Math.ceil(limits.usd_day * 2)))
      : own(limits?.usd_day, limits?.defaults.usd_day),
  );
  const [month, setMonth] = useState(own(limits?.usd_month, limits?.defaults.usd_month));
  const [rpm, setRpm] = useState(own(limits?.rpm, limits?.defaults.rpm));
  /** The three fields, in order: budgets in USD (0 or more), then requests per minute (1 or more). */
  const fields: LimitFieldSpec[] = [
    {
      id: 'limits-day',
      label: 'USD per day',
      limit: 'usd_day',
      min: 0,
      value: day,
      onChange: setDay,
      hint: 'Resets at midnight, local time. Empty: the Settings default.',
    },
    {
      id: 'limits-month',
      label: 'USD per month',
      limit: 'usd_month',
      min: 0,
      value: month,
      onChange: setMonth,
    },
    { id: 'limits-rpm', label: 'Requests per minute', limit: 'rpm', min: 1, value: rpm, onChange: setRpm },
  ];
  /** The placeholder of limit `k`'s field: the default in force, when the agent uses it. */
  const placeholder = (k: LimitKey): string => (limits?.defaults[k] ? String(limits[k]) : 'Settings default');
  const [error, setError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const save = async () => {
    const d = parse(day);
    const m = parse(month);
    const r = parse(rpm);
    if (d === 'bad' || m === 'bad')
      return setError('Budgets are amounts of USD, 0 or more (empty = the Settings default)');
    if (r === 'bad' || (r !== null && (!Number.isInteger(r) || r < 1)))
      return setError('Requests per minute: a whole number, 1 or more (empty = the Settings default)');
    setSaving(true);
    const res = await usageStore
      .getState()
      .setLimits({ agent_id: agent.id, usd_day: d, usd_month: m, rpm: r });
    setSaving(false);
    if ('error' in res) return setError(res.error.message);
    onClose();
  };
  return (
    <Dialog
      title={`${agent.emoji} ${agent.name} · Limits`}
      description="Checked by the gateway before each model call: a call that would pass a budget is refused (429) and nothing is spent."
      onClose={onClose}
      testId="limits-dialog"
      footer={
        <DialogActions
          onCancel={onClose}
          onAction={() => void save()}
          label="Save"
          busy={saving}
          disabled={saving}
          testId="limits-save"
        />
      }
    >
      {limits ? (
        <p className="card__note" data-testid="limits-spent">
          Spent today {usd(limits.spent_day)} of {usd(limits.usd_day)}; this month {usd(limits.spent_month)}{' '}
          of {usd(limits.usd_month)}.
        </p>
      ) : null}
      {fields.map((f) => (
        <InputField
          key={f.id}
          id={f.id}
          label={f.label}
          type="number"
          min={f.min}
          value={f.value}
          placeholder={placeholder(f.limit)}
          onChange={f.onChange}
          hint={f.hint}
        />
      ))}
      {error ? (
        <p className="inline-error" role="alert" data-testid="limits-error">
          {error}
        </p>
      ) : null}
    </Dialog>
  );
}
