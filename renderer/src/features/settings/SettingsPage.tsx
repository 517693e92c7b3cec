// Settings view: a form bound to settings.get / settings.update, with the core's errors shown inline.
import { useMemo } from 'react';
import type { FormEvent, ReactElement, ReactNode } from 'react';
import {
  InputField,
  optionsOf,
  RadioField,
  RUNTIME_OPTIONS,
  SelectField,
  SwitchField,
} from '../../components/Field';
import { PageHeader } from '../../components/PageHeader';
import { describeRange, SETTINGS_RANGES } from '../../../../contract/ranges';
import { selectDirty, selectDraft, settingsStore, useSettings } from '../../stores/settings';
import type { SettingsDraft, SettingsField } from '../../stores/settings';
import { useSystem } from '../../stores/system';
import { SaveBar } from './SaveBar';

const THEMES = optionsOf({ system: 'Match system', light: 'Light', dark: 'Dark' });

const CLOSE_TO_TRAY = optionsOf({
  default: 'Platform default',
  yes: 'Keep running in the tray',
  no: 'Quit the app',
});

type BooleanSetting = 'start_at_login' | 'start_hidden' | 'stop_agents_on_quit' | 'build_images_on_demand';
type NumberSetting = Exclude<keyof typeof SETTINGS_RANGES, 'webhook_port'>;

/** A card of the form: a titled `<section>` labelled by its heading (`id`). */
function SettingsSection({
  id,
  title,
  children,
}: {
  id: string;
  title: string;
  children: ReactNode;
}): ReactElement {
  return (
    <section className="card" aria-labelledby={id}>
      <h2 id={id} className="card__title">
        {title}
      </h2>
      {children}
    </section>
  );
}

const edit = <F extends SettingsField>(field: F, value: SettingsDraft[F]): void =>
  settingsStore.getState().edit(field, value);

/** The Settings page. Changes are sent together with "Save changes". */
export function SettingsPage(): ReactElement {
  const saved = useSettings((s) => s.saved);
  const edits = useSettings((s) => s.edits);
  const draft = useMemo(() => selectDraft({ saved, edits }), [saved, edits]);
  const errors = useSettings((s) => s.fieldErrors);
  const loadError = useSettings((s) => s.loadError);
  const dirty = useSettings(selectDirty);
  const headless = useSystem((s) => s.info?.mode === 'headless');
  const noTray = useSystem((s) => s.info?.tray_available === false);

  const submit = (e: FormEvent): void => {
    e.preventDefault();
    void settingsStore.getState().save();
  };

  if (!draft) {
    return (
      <>
        <PageHeader title="Settings" />
        {loadError && !loadError.unreachable ? (
          <p className="inline-error" role="alert">
            Could not load settings ({loadError.code}): {loadError.message}
          </p>
        ) : (
          <p className="muted">Loading settings…</p>
        )}
      </>
    );
  }

  const id = (f: SettingsField): string => `settings-${f}`;
  /** A choice's wiring to setting `f` (theme, runtime): id, value, edit, error. */
  const choiceProps = <F extends 'theme' | 'container_runtime'>(f: F) => ({
    id: id(f),
    value: draft[f],
    onChange: (v: SettingsDraft[F]) => edit(f, v),
    error: errors[f],
  });
  /** A switch's wiring to boolean setting `f`: id, value, edit, error. */
  const switchProps = (f: BooleanSetting) => ({
    id: id(f),
    checked: draft[f],
    onChange: (v: boolean) => edit(f, v),
    error: errors[f],
  });
  /** A number input's wiring to bounded setting `f`: id, range, value (empty while not a number), edit, error. */
  const numberProps = (f: NumberSetting) => ({
    id: id(f),
    type: 'number' as const,
    min: SETTINGS_RANGES[f].min,
    max: SETTINGS_RANGES[f].max,
    value: Number.isNaN(draft[f]) ? '' : String(draft[f]),
    onChange: (v: string) => edit(f, v.trim() === '' ? Number.NaN : Number(v)),
    error: errors[f],
  });
  return (
    <>
      <PageHeader
        title="Settings"
        description="Stored by the core; other windows and the CLI see changes at once."
      />
      <form
        className="settings-form"
        onSubmit={submit}
        noValidate
        aria-label="Settings"
        data-testid="settings-form"
      >
        <SettingsSection id="s-appearance" title="Appearance">
          <RadioField {...choiceProps('theme')} label="Theme" options={THEMES} />
        </SettingsSection>

        <SettingsSection id="s-desktop" title="Desktop">
          {headless ? (
            <p className="card__note">
              These apply to the desktop app; <code>agentdesk serve</code> has no window or tray.
            </p>
          ) : null}
          {noTray ? (
            <p className="card__note" role="note" data-testid="settings-no-tray">
              This desktop shows no tray icons (no StatusNotifier host on the session D-Bus — e.g. GNOME
              without the AppIndicator extension). So closing the window quits Agent Desk, and it never starts
              hidden. Enable AppIndicator support (on GNOME: <code>gnome-shell-extension-appindicator</code>)
              and restart Agent Desk to keep agents in the tray.
            </p>
          ) : null}
          <SelectField
            id={id('close_to_tray')}
            label="When the window is closed"
            value={draft.close_to_tray === null ? 'default' : draft.close_to_tray ? 'yes' : 'no'}
            options={CLOSE_TO_TRAY}
            onChange={(v) => edit('close_to_tray', v === 'default' ? null : v === 'yes')}
            hint="Agents keep running while the app is in the tray."
            error={errors.close_to_tray}
          />
          <SwitchField {...switchProps('start_at_login')} label="Start at login" />
          <SwitchField
            {...switchProps('start_hidden')}
            label="Start hidden in the tray"
            hint="When started at login, do not open the window."
          />
          <SwitchField
            {...switchProps('stop_agents_on_quit')}
            label="Stop agents when quitting"
            hint="Otherwise their containers keep running after Agent Desk quits — but they cannot reach any model until it runs again (the gateway lives in the app)."
          />
        </SettingsSection>

        <SettingsSection id="s-agents" title="Agents and models">
          <RadioField
            {...choiceProps('container_runtime')}
            label="Container runtime for new agents"
            options={RUNTIME_OPTIONS}
          />
          <SwitchField
            {...switchProps('build_images_on_demand')}
            label="Build images on demand"
            hint={
              <>
                When an agent needs the base image and it is missing, build it (takes minutes). Otherwise
                import it with <code>agentdesk images import</code>.
              </>
            }
          />
          <InputField
            id={id('litellm_command')}
            label="LiteLLM command"
            value={draft.litellm_command ?? ''}
            placeholder="Use the app’s own LiteLLM"
            monospace
            onChange={(v) => edit('litellm_command', v.trim() === '' ? null : v)}
            readOnly={headless}
            hint={
              headless ? (
                <>
                  It chooses a program the core runs, so it cannot be changed from the browser. Change it in
                  the desktop app, or stop the core and run{' '}
                  <code>agentdesk settings set litellm_command PATH</code>.
                </>
              ) : (
                'Path of the litellm executable (owned by you or root, writable by no one else). Leave empty to use the one Agent Desk installs.'
              )
            }
            error={errors.litellm_command}
          />
          <InputField
            {...numberProps('trace_retention_days')}
            label="Keep traces for"
            suffix="days"
            hint={`Older trace files are removed. ${describeRange(SETTINGS_RANGES.trace_retention_days)}.`}
          />
        </SettingsSection>

        <SettingsSection id="s-budgets" title="Tasks and budgets">
          <InputField
            {...numberProps('default_budget_day_usd')}
            label="Default budget per day"
            suffix="USD"
            hint={`For agents without a budget of their own. The gateway refuses their model calls beyond it until midnight. ${describeRange(SETTINGS_RANGES.default_budget_day_usd)}.`}
          />
          <InputField
            {...numberProps('default_budget_month_usd')}
            label="Default budget per month"
            suffix="USD"
            hint={`${describeRange(SETTINGS_RANGES.default_budget_month_usd)}.`}
          />
          <InputField
            {...numberProps('default_rpm')}
            label="Default requests per minute"
            hint={`For agents without a limit of their own. ${describeRange(SETTINGS_RANGES.default_rpm)}.`}
          />
          <InputField
            id={id('webhook_listen')}
            label="Task webhooks listen on"
            value={draft.webhook_listen}
            monospace
            onChange={(v) => edit('webhook_listen', v.trim())}
            readOnly={headless}
            hint={
              headless ? (
                <>
                  It decides who can reach task webhooks, so it cannot be changed from the browser: use the
                  desktop app, or <code>agentdesk settings set webhook_listen ADDRESS</code> while no core
                  runs.
                </>
              ) : (
                <>
                  <code>127.0.0.1</code>: this machine only. Another address of this machine (or{' '}
                  <code>0.0.0.0</code>) lets other machines call webhook URLs — each still needs its secret.
                </>
              )
            }
            error={errors.webhook_listen}
          />
        </SettingsSection>
        <SaveBar dirty={dirty} />
      </form>
    </>
  );
}
