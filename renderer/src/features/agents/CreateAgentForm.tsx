// The create form: name (live slug, taken check), emoji, harness, model and fallbacks, memory and CPU limits.
import { useEffect, useMemo, useState } from 'react';
import type { FormEvent, ReactElement } from 'react';
import type { Agent, AgentCreateInput, Harness } from '../../../../contract/agents';
import type { LlmStatus } from '../../../../contract/llm';
import type { ComponentHealth } from '../../../../contract/health';
import { InputField, RadioField, RUNTIME_OPTIONS, SelectField } from '../../components/Field';
import { containerNameOf, modelGroups, noModelReason, slugOf } from '../../stores/agents';
import type { CreateErrors } from '../../stores/agents';
import { checkDraft, LIMITS, nameProblem, newDraft } from './create-form';
import type { CreateDraft } from './create-form';
import { EgressEditor } from './EgressEditor';
import { EmojiField } from './EmojiField';
import { InstructionsFields } from './InstructionsFields';
import { ModelFields } from './ModelFields';
import { quickPicks } from './quick-emoji';
import { SharedFoldersEditor } from './SharedFoldersEditor';
import type { Engine, EngineMember } from '../../../../contract/engines';

/** The form's element id: the dialog's footer buttons submit it with `form=`. */
export const CREATE_FORM_ID = 'create-agent-form';

/** Fallback when the harnesses are not loaded yet (the core's default harness and emoji). */
const FALLBACK_HARNESS: Pick<Harness, 'id' | 'label' | 'emoji'> & Partial<Harness> = {
  id: 'builtin',
  label: 'Agent Desk runtime',
  emoji: '🤖',
};

/** The select's hint for a harness: what it is, where it runs, what it needs. */
function harnessHint(h: Partial<Harness> | undefined): string | undefined {
  if (!h?.description) return undefined;
  const where = h.engines?.length ? ` Runs on ${h.engines.join(' and ')}.` : '';
  const memory = h.memory ? ` Needs at least ${h.memory.min_mib} MiB.` : '';
  return `${h.description}${where}${memory}`;
}

/**
 * The create form. Checks run before sending (name, typed emoji, model, limits); `onSubmit` sends the
 * input and answers the core's errors split by field (`null` on success). While `status` serves no
 * model, the model field is replaced by why, with a link to Providers, and Create is disabled.
 * `onBusy` reports a submit under way (the dialog then refuses to close).
 */
export function CreateAgentForm({
  harnesses,
  status,
  providerNames,
  agents,
  onSubmit,
  onBusy,
  initial,
  initialErrors,
  defaultRuntime = 'docker',
  runtimeHealth = [],
  engines = [],
  loadMembers,
}: {
  harnesses: readonly Harness[];
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
  /** The named engines (`engines.list`); the "Runs on" picker shows only when there is at least one. */
  engines?: readonly (Pick<Engine, 'id' | 'name' | 'kind' | 'health'> & { member?: string | null })[];
  /**
   * The cluster members of an engine (`engines.members`); the "Member" picker shows when the chosen
   * Incus engine lists any. Absent = no picker.
   */
  loadMembers?: (engine: string) => Promise<EngineMember[]>;
}): ReactElement {
  const served = status?.litellm.models ?? [];
  const [draft, setDraft] = useState<CreateDraft>(() => ({
    ...newDraft(harnesses[0]?.id ?? FALLBACK_HARNESS.id, served[0] ?? '', harnesses[0]?.memory.default_mib),
    ...initial,
  }));
  const [errors, setErrors] = useState<CreateErrors>(initialErrors ?? { fields: {}, rest: null });
  const [typedValid, setTypedValid] = useState(true);
  const [busy, setBusy] = useState(false);
  const groups = useMemo(() => modelGroups(served, providerNames), [served, providerNames]);
  const chosenEngine = engines.find((e) => e.id === draft.engine);
  const clusterEngine = chosenEngine?.kind === 'incus' ? chosenEngine.id : null;
  /** The chosen Incus engine's members, as last listed (for that engine); empty: no picker. */
  const [members, setMembers] = useState<{ engine: string; list: EngineMember[] } | null>(null);
  useEffect(() => {
    if (!clusterEngine || !loadMembers) return;
    let current = true;
    loadMembers(clusterEngine).then(
      (list) => current && setMembers({ engine: clusterEngine, list }),
      // An engine that does not answer shows no picker: the agent is placed as the engine says.
      () => current && setMembers({ engine: clusterEngine, list: [] }),
    );
    return () => {
      current = false;
    };
  }, [clusterEngine, loadMembers]);
  const memberList = members && members.engine === clusterEngine ? members.list : [];

  // A model that appears after the form opened (LiteLLM became ready) is picked for the user.
  const model = draft.model === '' ? (served[0] ?? '') : draft.model;
  const harness = harnesses.find((f) => f.id === draft.harness) ?? FALLBACK_HARNESS;
  const emoji = draft.emoji ?? harness.emoji;
  const picks = useMemo(() => quickPicks(harness.emoji, harness.label), [harness.emoji, harness.label]);
  const why = noModelReason(status);
  const slug = slugOf(draft.name);
  const liveNameProblem = nameProblem(draft.name, agents);

  const edit = <K extends keyof CreateDraft>(key: K, value: CreateDraft[K]): void => {
    setDraft((d) => {
      // A memory limit left at the harness's default follows the newly chosen harness's default.
      // Another engine has other members (or none): the member goes back to the engine's placement.
      if (key === 'engine') return { ...d, engine: value as string, member: '' };
      if (key !== 'harness') return { ...d, [key]: value };
      const was = harnesses.find((h) => h.id === d.harness)?.memory.default_mib;
      const next = harnesses.find((h) => h.id === value)?.memory.default_mib;
      const follow = next !== undefined && (was === undefined || d.memory === String(was));
      return { ...d, harness: value as string, ...(follow ? { memory: String(next) } : {}) };
    });
    if (errors.fields[key as keyof CreateErrors['fields']])
      setErrors((e) => ({ ...e, fields: { ...e.fields, [key]: undefined } }));
  };

  async function submit(e: FormEvent): Promise<void> {
    e.preventDefault();
    if (busy || why) return;
    const checked = checkDraft(
      { ...draft, model },
      {
        agents,
        harnessEmoji: harness.emoji,
        harnessInstructions: harness.instructions !== false,
        typedEmojiValid: typedValid,
        ...(harness.memory
          ? { harnessMemory: { label: harness.label, min_mib: harness.memory.min_mib } }
          : {}),
      },
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
  /** A field's wiring to `draft[k]`: value, edit, and the error of `field` (the input's name for it). */
  const bind = <K extends keyof CreateDraft>(k: K, field: keyof CreateErrors['fields']) => ({
    value: draft[k],
    onChange: (v: CreateDraft[K]) => edit(k, v),
    error: fieldError(field),
  });

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
            draft.emoji === null || draft.emoji === harness.emoji ? `default of ${harness.label}` : null
          }
          onChange={(v) => edit('emoji', v)}
          onTypedValid={setTypedValid}
          error={fieldError('emoji')}
        />
      </div>
      <div data-field="harness">
        <SelectField
          id="agent-harness"
          label="Harness"
          {...bind('harness', 'harness')}
          options={(harnesses.length > 0 ? harnesses : [FALLBACK_HARNESS]).map((f) => ({
            value: f.id,
            label: `${f.emoji} ${f.label}`,
          }))}
          hint={harnessHint(harnesses.find((f) => f.id === draft.harness))}
        />
      </div>
      {engines.length > 0 ? (
        <div data-field="engine">
          <SelectField
            id="agent-engine"
            label="Runs on"
            {...bind('engine', 'engine')}
            options={[
              { value: 'local', label: 'This machine' },
              ...engines.map((e) => ({
                value: e.id,
                label: `${e.name} (${e.kind}${e.health.state === 'ok' ? '' : `, ${e.health.state}`})`,
              })),
            ]}
            hint={
              draft.engine === 'local'
                ? undefined
                : 'Egress goes through Agent Desk’s proxy on that engine: TCP only, and Open reaches public addresses only (name LAN addresses in the allowlist).'
            }
          />
        </div>
      ) : null}
      {memberList.length > 0 ? (
        <div data-field="member">
          <SelectField
            id="agent-member"
            label="Member"
            {...bind('member', 'member')}
            options={[
              {
                value: '',
                label: chosenEngine?.member
                  ? `The engine’s default (${chosenEngine.member})`
                  : 'Let Incus place it',
              },
              ...memberList.map((m) => ({
                value: m.name,
                label: m.online ? m.name : `${m.name} (${m.status.toLowerCase()})`,
              })),
            ]}
            hint="The cluster member its container and home volume are on."
          />
        </div>
      ) : null}
      <div data-field="runtime" hidden={draft.engine !== 'local'}>
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
            {...bind('memory', 'memory_mib')}
            min={harness.memory?.min_mib ?? LIMITS.memory.min}
            max={LIMITS.memory.max}
            suffix="MiB"
            hint={`${harness.memory?.min_mib ?? LIMITS.memory.min}–${LIMITS.memory.max} MiB`}
          />
        </div>
        <div data-field="cpus">
          <InputField
            id="agent-cpus"
            label="CPUs"
            type="number"
            {...bind('cpus', 'cpus')}
            min={LIMITS.cpus.min}
            max={LIMITS.cpus.max}
            hint={`${LIMITS.cpus.min}–${LIMITS.cpus.max}, e.g. 0.5`}
          />
        </div>
      </div>
      <details
        className="create-advanced"
        data-testid="create-limits"
        open={Boolean(fieldError('budget_day_usd') || fieldError('budget_month_usd') || fieldError('rpm'))}
      >
        <summary>Spend limits</summary>
        <div className="create-form__limits">
          {(
            [
              [
                'budget_day_usd',
                'day',
                'agent-budget-day',
                'Budget per day',
                'USD',
                '0–1 000 000 USD; empty = the Settings default',
              ],
              [
                'budget_month_usd',
                'month',
                'agent-budget-month',
                'Budget per month',
                'USD',
                '0–1 000 000 USD; empty = the Settings default',
              ],
              [
                'rpm',
                'rpm',
                'agent-rpm',
                'Requests per minute',
                undefined,
                '1–100 000; empty = the Settings default',
              ],
            ] as const
          ).map(([field, key, id, label, suffix, hint]) => (
            <div data-field={field} key={field}>
              <InputField
                id={id}
                label={label}
                type="number"
                value={draft.limits[key]}
                onChange={(v) => setDraft((d) => ({ ...d, limits: { ...d.limits, [key]: v } }))}
                placeholder="default"
                min={field === 'rpm' ? 1 : 0}
                {...(suffix ? { suffix } : {})}
                hint={hint}
                error={fieldError(field)}
              />
            </div>
          ))}
        </div>
      </details>
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
      {harness.instructions !== false ? (
        <details className="create-advanced" data-testid="create-instructions">
          <summary>Instructions and sampling</summary>
          <InstructionsFields
            value={draft.instructions}
            onChange={(instructions) => setDraft((d) => ({ ...d, instructions }))}
            errors={{ system_prompt: fieldError('system_prompt'), temperature: fieldError('temperature') }}
          />
        </details>
      ) : null}
      {errors.rest && !errors.rest.unreachable ? (
        <p className="inline-error" role="alert" data-testid="create-agent-error">
          <code>{errors.rest.code}</code> {errors.rest.message}
        </p>
      ) : null}
    </form>
  );
}

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
      options={RUNTIME_OPTIONS}
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
