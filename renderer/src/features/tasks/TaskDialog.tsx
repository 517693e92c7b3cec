// The new/edit task dialog: agent, prompt, trigger (cron with time zone, interval, once, webhook) and run policies.
import { useState } from 'react';
import type { ReactElement, ReactNode } from 'react';
import type { Agent } from '../../../../contract/agents';
import type { Task } from '../../../../contract/tasks';
import { Dialog, DialogActions } from '../../components/Dialog';
import { InputField, optionsOf, RadioField, SelectField, SwitchField } from '../../components/Field';
import { tasksStore } from './store';
import { createInputOf, emptyForm, fieldOfError, formOf, triggerOfForm } from './task-form';
import type { TaskForm } from './task-form';

const KINDS = optionsOf({ cron: 'Schedule (cron)', interval: 'Every…', once: 'Once', webhook: 'Webhook' });

const EVERY_UNITS = optionsOf({ s: 'seconds', min: 'minutes', h: 'hours' });

const THREAD_MODES = optionsOf({ fresh: 'A fresh thread per run', named: 'Always the same thread' });

const OVERLAP = optionsOf({ wait: 'Wait for it', skip: 'Skip this run' });

const MISSED = optionsOf({ run_once: 'Run once when back', skip: 'Record them as missed' });

/** A field around a control of its own (`children`, with id `id`): label above, the core's error below. */
function PlainField({
  id,
  label,
  error,
  children,
}: {
  id: string;
  label: string;
  error: string | undefined;
  children: ReactNode;
}): ReactElement {
  return (
    <div className={`field${error ? ' field--invalid' : ''}`}>
      <label htmlFor={id} className="field__label">
        {label}
      </label>
      {children}
      {error ? (
        <p className="field__error" role="alert" data-testid={`${id}-error`}>
          {error}
        </p>
      ) : null}
    </div>
  );
}

/**
 * Adds a task (`task` absent) or edits one. The core checks the cron expression and time zone; its
 * refusal (naming the field, with a valid example) is shown under that field.
 */
export function TaskDialog({
  agents,
  task,
  agentId,
  onClose,
}: {
  agents: readonly Agent[];
  task?: Task;
  /** The agent preselected for a new task. */
  agentId?: string;
  onClose: () => void;
}): ReactElement {
  const live = agents.filter((a) => a.phase !== 'archived');
  const [form, setForm] = useState<TaskForm>(() =>
    task ? formOf(task) : emptyForm(agentId ?? live[0]?.id ?? ''),
  );
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [general, setGeneral] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const put = <K extends keyof TaskForm>(k: K, v: TaskForm[K]) => setForm((f) => ({ ...f, [k]: v }));
  /** A field's wiring to `form[k]`: its id, value, edit, and the error shown under it (keyed by id). */
  const bind = <K extends keyof TaskForm>(k: K, id: string) => ({
    id,
    value: form[k],
    onChange: (v: TaskForm[K]) => put(k, v),
    error: errors[id],
  });
  /** A switch's wiring to boolean `form[k]`. */
  const bindSwitch = (k: 'startAgent' | 'notifySuccess', id: string) => ({
    id,
    checked: form[k],
    onChange: (v: boolean) => put(k, v),
  });

  const save = async () => {
    setErrors({});
    setGeneral(null);
    const built = createInputOf(form);
    if ('error' in built) return setErrors({ [built.field]: built.error });
    setSaving(true);
    const store = tasksStore.getState();
    let r;
    if (task) {
      const t = triggerOfForm(form);
      const { agent_id: _agent, ...rest } = built.input;
      r = await store.update({ id: task.id, ...rest, ...('trigger' in t ? { trigger: t.trigger } : {}) });
    } else r = await store.create(built.input);
    setSaving(false);
    if ('error' in r) {
      const field = fieldOfError(r.error.message, r.error.details);
      if (field) setErrors({ [field]: r.error.message });
      else setGeneral(r.error.message);
      return;
    }
    onClose();
  };

  return (
    <Dialog
      title={task ? `Edit “${task.name}”` : 'New task'}
      description="The agent is asked the prompt at each run, in a turn of its own, with its own trace."
      onClose={onClose}
      wide
      testId="task-dialog"
      footer={
        <DialogActions
          onCancel={onClose}
          onAction={() => void save()}
          label={task ? 'Save' : 'Add task'}
          busy={saving}
          disabled={saving}
          testId="task-save"
        />
      }
    >
      <div className="task-form">
        {task ? null : (
          <SelectField
            {...bind('agentId', 'task-agent')}
            label="Agent"
            options={live.map((a) => ({ value: a.id, label: `${a.emoji} ${a.name}` }))}
          />
        )}
        <InputField
          {...bind('name', 'task-name')}
          label="Name"
          placeholder="Morning report"
          hint="Default: the prompt’s first words."
        />
        <PlainField id="task-prompt" label="Prompt" error={errors['task-prompt']}>
          <textarea
            id="task-prompt"
            className="input task-form__prompt"
            rows={4}
            value={form.prompt}
            onChange={(e) => put('prompt', e.target.value)}
            data-testid="task-prompt"
            aria-invalid={errors['task-prompt'] ? true : undefined}
          />
        </PlainField>
        <RadioField {...bind('kind', 'task-kind')} label="When" options={KINDS} />
        {form.kind === 'cron' ? (
          <div className="task-form__row">
            <InputField
              {...bind('cron', 'task-cron')}
              label="Cron expression"
              monospace
              hint="minute hour day month weekday, e.g. 0 9 * * 1-5 (09:00 on weekdays)"
            />
            <InputField {...bind('tz', 'task-tz')} label="Time zone" hint="IANA name, e.g. Europe/Paris" />
          </div>
        ) : null}
        {form.kind === 'interval' ? (
          <div className="task-form__row">
            <InputField {...bind('every', 'task-every')} label="Every" type="number" min={1} />
            <SelectField {...bind('everyUnit', 'task-every-unit')} label="Unit" options={EVERY_UNITS} />
          </div>
        ) : null}
        {form.kind === 'once' ? (
          <PlainField id="task-at" label="At (local time)" error={errors['task-at']}>
            <input
              id="task-at"
              className="input"
              type="datetime-local"
              value={form.at}
              onChange={(e) => put('at', e.target.value)}
              data-testid="task-at"
            />
          </PlainField>
        ) : null}
        {form.kind === 'webhook' ? (
          <p className="card__note">
            A local URL with a secret is shown once the task is added. Its JSON body is given to the prompt,
            marked as untrusted input — anyone holding the URL can make the agent read what they send.
          </p>
        ) : null}
        <RadioField {...bind('threadMode', 'task-thread-mode')} label="Thread" options={THREAD_MODES} />
        {form.threadMode === 'named' ? (
          <InputField
            {...bind('threadId', 'task-thread')}
            label="Thread name"
            monospace
            placeholder="daily-report"
          />
        ) : null}
        <div className="task-form__row">
          <SelectField
            {...bind('overlap', 'task-overlap')}
            label="When the agent is busy"
            options={OVERLAP}
          />
          <SelectField
            {...bind('missed', 'task-missed')}
            label="Runs missed while Agent Desk was off"
            options={MISSED}
          />
        </div>
        <SwitchField
          {...bindSwitch('startAgent', 'task-start-agent')}
          label="Start the agent for its runs when it is stopped"
          hint="Otherwise the run is skipped, with that reason."
        />
        <SwitchField
          {...bindSwitch('notifySuccess', 'task-notify-success')}
          label="Notify when a run succeeds"
          hint="Failures always notify while the window is hidden."
        />
        {general ? (
          <p className="inline-error" role="alert" data-testid="task-error">
            {general}
          </p>
        ) : null}
      </div>
    </Dialog>
  );
}
