// The create form: name (live slug, taken check), emoji, framework, model and fallbacks, memory and CPU limits.
import { useMemo, useState } from 'react';
import type { FormEvent, ReactElement } from 'react';
import type { Agent, AgentCreateInput, Framework } from '../../../../contract/agents';
import type { LlmStatus } from '../../../../contract/llm';
import type { ComponentHealth } from '../../../../contract/models';
import { InputField, RadioField, SelectField } from '../../components/Field';
import { containerNameOf, modelGroups, noModelReason, slugOf } from '../../stores/agents';
import type { CreateErrors } from '../../stores/agents';
import { checkDraft, LIMITS, nameProblem, newDraft } from './create-form';
import type { CreateDraft } from './create-form';
import { EgressEditor } from './EgressEditor';
import { EmojiField } from './EmojiField';
import { ModelFields } from './ModelFields';
import { quickPicks } from './quick-emoji';
import { SharedFoldersEditor } from './SharedFoldersEditor';

/** The form's element id: the dialog's footer buttons submit it with `form=`. */
export const CREATE_FORM_ID = 'create-agent-form';

/** Fallback when the frameworks are not loaded yet (the core's default framework and emoji). */
const FALLBACK_FRAMEWORK: Pick<Framework, 'id' | 'label' | 'emoji'> = {
  id: 'builtin',
  label: 'Agent Desk runtime',
  emoji: '🤖',
};

/**
 * The create form. Checks run before sending (name, typed emoji, model, limits); `onSubmit` sends the
 * input and answers the core's errors split by field (`null` on success). While `status` serves no
 * model, the model field is replaced by why, with a link to Providers, and Create is disabled.
 * `onBusy` reports a submit under way (the dialog then refuses to close).
 */
export function CreateAgentForm({
  frameworks,
  status,
  providerNames,
  agents,
  onSubmit,
  onBusy,
  initial,
  initialErrors,
  defaultRuntime = 'docker',
  runtimeHealth = [],
}: {
  frameworks: readonly Framework[];
  status: LlmStatus | null;
  providerNames: Record<string, string>;
  agents: readonly Agent[];
  onSubmit: (input: AgentCreateInput) => Promise<CreateErrors | null>;
  onBusy: (busy: boolean) => void;
  /** Starting values (tests, a reopened form). */
  initial?: Partial<CreateDraft>;
  initialErrors?: CreateErrors;
  /** The runtime Settings names for new agents (what an untouched choice means). */
  defaultRuntime?: 'docker' | 'incus';
  /** Health of the `docker` and `incus` components, to say when the chosen one is not usable. */
  runtimeHealth?: readonly ComponentHealth[];
}): ReactElement {
  const served = status?.litellm.models ?? [];
  const [draft, setDraft] = useState<CreateDraft>(() => ({
    ...newDraft(frameworks[0]?.id ?? FALLBACK_FRAMEWORK.id, served[0] ?? ''),
    ...initial,
  }));
  const [errors, setErrors] = useState<CreateErrors>(initialErrors ?? { fields: {}, rest: null });
  const [typedValid, setTypedValid] = useState(true);
  const [busy, setBusy] = useState(false);
  const groups = useMemo(() => modelGroups(served, providerNames), [served, providerNames]);

  // A model that appears after the form opened (LiteLLM became ready) is picked for the user.
  const model = draft.model === '' ? (served[0] ?? '') : draft.model;
  const framework = frameworks.find((f) => f.id === draft.framework) ?? FALLBACK_FRAMEWORK;
  const emoji = draft.emoji ?? framework.emoji;
  const picks = useMemo(
    () => quickPicks(framework.emoji, framework.label),
    [framework.emoji, framework.label],
  );
  const why = noModelReason(status);
  const slug = slugOf(draft.name);
  const liveNameProblem = nameProblem(draft.name, agents);

  const edit = <K extends keyof CreateDraft>(key: K, value: CreateDraft[K]): void => {
    setDraft((d) => ({ ...d, [key]: value }));
    if (errors.fields[key as keyof CreateErrors['fields']])
      setErrors((e) => ({ ...e, fields: { ...e.fields, [key]: undefined } }));
  };

  async function submit(e: FormEvent): Promise<void> {
    e.preventDefault();
    if (busy || why) return;
    const checked = checkDraft(
      { ...draft, model },
      { agents, frameworkEmoji: framework.emoji, typedEmojiValid: typedValid },
    );
    if (!checked.input) {
      setErrors({ fields: checked.errors, rest: null });
      const first = Object.keys(checked.errors)[0];
      requestAnimationFrame(() =>
        document
          .querySelector<HTMLElement>(`[data-field="${first}"] input, [data-field="${first}"] select`)
          ?.focus(),
      );
      return;
    }
    setBusy(true);
    onBusy(true);
    setErrors({ fields: {}, rest: null });
    const result = await onSubmit(checked.input);
    setBusy(false);
    onBusy(false);
    if (result) setErrors(result);
  }

  const fieldError = (f: keyof CreateErrors['fields']): string | undefined => errors.fields[f];

  return (
    <form
      id={CREATE_FORM_ID}
      className="create-form"
      onSubmit={(e) => void submit(e)}
      noValidate
      aria-busy={busy}
      data-testid="create-agent-form"
    >
      <div data-field="name">
        <InputField
          id="agent-name"
          label="Name"
          value={draft.name}
          onChange={(v) => edit('name', v)}
          placeholder="Research helper"
          error={fieldError('name') ?? liveNameProblem ?? undefined}
          hint={
            <>
              Container <code data-testid="agent-slug">{containerNameOf(slug)}</code>
              {draft.name.trim() === '' ? ' (from the name)' : ''}
            </>
          }
        />
      </div>
      <div data-field="emoji">
        <EmojiField
          value={emoji}
          picks={picks}
          defaultNote={
            draft.emoji === null || draft.emoji === framework.emoji ? `default of ${framework.label}` : null
          }
          onChange={(v) => edit('emoji', v)}
          onTypedValid={setTypedValid}
          error={fieldError('emoji')}
        />
      </div>
      <div data-field="framework">
        <SelectField
          id="agent-framework"
          label="Framework"
          value={draft.framework}
          options={(frameworks.length > 0 ? frameworks : [FALLBACK_FRAMEWORK]).map((f) => ({
            value: f.id,
            label: `${f.emoji} ${f.label}`,
          }))}
          onChange={(v) => edit('framework', v)}
          hint={frameworks.find((f) => f.id === draft.framework)?.description}
          error={fieldError('framework')}
        />
      </div>
      <div data-field="runtime">
        <RuntimeField
          value={draft.runtime ?? defaultRuntime}
          isDefault={draft.runtime === null || draft.runtime === defaultRuntime}
          health={runtimeHealth}
          onChange={(v) => edit('runtime', v)}
          error={fieldError('runtime')}
        />
      </div>
      <div data-field="model">
        {why ? (
          <div className="no-models" role="status" data-testid="agent-no-models">
            <p className="field__label">Model</p>
            <p>{why}</p>
            <p>
              <a href="#/providers" data-testid="agent-no-models-link">
                Add a provider on the Providers page
              </a>{' '}
              — its models appear here once LiteLLM serves them.
            </p>
          </div>
        ) : (
          <ModelFields
            groups={groups}
            model={model}
            fallbacks={draft.fallbacks}
            onModel={(v) => edit('model', v)}
            onFallbacks={(v) => edit('fallbacks', v)}
            disabled={busy}
            modelError={fieldError('model')}
            fallbacksError={fieldError('fallbacks')}
          />
        )}
      </div>
      <div className="create-form__limits">
        <div data-field="memory_mib">
          <InputField
            id="agent-memory"
            label="Memory"
            type="number"
            value={draft.memory}
            onChange={(v) => edit('memory', v)}
            min={LIMITS.memory.min}
            max={LIMITS.memory.max}
            suffix="MiB"
            hint={`${LIMITS.memory.min}–${LIMITS.memory.max} MiB`}
            error={fieldError('memory_mib')}
          />
        </div>
        <div data-field="cpus">
          <InputField
            id="agent-cpus"
            label="CPUs"
            type="number"
            value={draft.cpus}
            onChange={(v) => edit('cpus', v)}
            min={LIMITS.cpus.min}
            max={LIMITS.cpus.max}
            hint={`${LIMITS.cpus.min}–${LIMITS.cpus.max}, e.g. 0.5`}
            error={fieldError('cpus')}
          />
        </div>
      </div>
      <div data-field="egress">
        <EgressEditor
          id="agent-egress"
          mode={draft.egress}
          allow={draft.allow}
          onMode={(m) => edit('egress', m)}
          onAllow={(entries) => {
            edit('allow', entries);
            if (errors.fields.allow) setErrors((e) => ({ ...e, fields: { ...e.fields, allow: undefined } }));
          }}
          disabled={busy}
          modeError={fieldError('egress')}
          allowError={fieldError('allow')}
        />
      </div>
      <div data-field="folders">
        <SharedFoldersEditor
          rows={draft.folders}
          onChange={(folders) => setDraft((d) => ({ ...d, folders }))}
          disabled={busy}
          idPrefix="create"
        />
        {fieldError('folders') ? (
          <p className="inline-error" role="alert" data-testid="create-folders-error">
            {fieldError('folders')}
          </p>
        ) : null}
      </div>
      {errors.rest && !errors.rest.unreachable ? (
        <p className="inline-error" role="alert" data-testid="create-agent-error">
          <code>{errors.rest.code}</code> {errors.rest.message}
        </p>
      ) : null}
    </form>
  );
}

const RUNTIMES = [
  { value: 'docker', label: 'Docker' },
  { value: 'incus', label: 'Incus' },
] as const;

/** Docker or Incus for this agent; says which one Settings uses by default and when the chosen one is down. */
function RuntimeField({
  value,
  isDefault,
  health,
  onChange,
  error,
}: {
  value: 'docker' | 'incus';
  isDefault: boolean;
  health: readonly ComponentHealth[];
  onChange: (v: 'docker' | 'incus') => void;
  error?: string | undefined;
}): ReactElement {
  const label = value === 'docker' ? 'Docker' : 'Incus';
  const state = health.find((c) => c.name === value);
  const down = state && state.state !== 'ok' && state.state !== 'starting';
  return (
    <RadioField
      id="agent-runtime"
      label="Runtime"
      value={value}
      options={RUNTIMES}
      onChange={onChange}
      hint={
        down
          ? `${label} is not usable here: ${state.detail}${state.fix ? ` — ${state.fix}` : ''}`
          : isDefault
            ? `${label}, the default in Settings.`
            : `${label} for this agent; Settings names the default for new agents.`
      }
      error={error}
    />
  );
}
