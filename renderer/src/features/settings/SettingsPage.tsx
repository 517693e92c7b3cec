// Settings view: a form bound to settings.get / settings.update, with the core's errors shown inline.
import { useMemo } from 'react';
import type { FormEvent, ReactElement } from 'react';
import { InputField, RadioField, SelectField, SwitchField } from '../../components/Field';
import { PageHeader } from '../../components/PageHeader';
import { describeRange, SETTINGS_RANGES } from '../../../../contract/ranges';
import { selectDirty, selectDraft, settingsStore, useSettings } from '../../stores/settings';
import type { SettingsDraft, SettingsField } from '../../stores/settings';
import { useSystem } from '../../stores/system';
import { SaveBar } from './SaveBar';

const THEMES = [
  { value: 'system', label: 'Match system' },
  { value: 'light', label: 'Light' },
  { value: 'dark', label: 'Dark' },
] as const;

const RUNTIMES = [
  { value: 'docker', label: 'Docker' },
  { value: 'incus', label: 'Incus' },
] as const;

const CLOSE_TO_TRAY = [
  { value: 'default', label: 'Platform default' },
  { value: 'yes', label: 'Keep running in the tray' },
  { value: 'no', label: 'Quit the app' },
] as const;

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
        <section className="card" aria-labelledby="s-appearance">
          <h2 id="s-appearance" className="card__title">
            Appearance
          </h2>
          <RadioField
            id={id('theme')}
            label="Theme"
            value={draft.theme}
            options={THEMES}
            onChange={(v) => edit('theme', v)}
            error={errors.theme}
          />
        </section>

        <section className="card" aria-labelledby="s-desktop">
          <h2 id="s-desktop" className="card__title">
            Desktop
          </h2>
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
          <SwitchField
            id={id('start_at_login')}
            label="Start at login"
            checked={draft.start_at_login}
            onChange={(v) => edit('start_at_login', v)}
            error={errors.start_at_login}
          />
          <SwitchField
            id={id('start_hidden')}
            label="Start hidden in the tray"
            hint="When started at login, do not open the window."
            checked={draft.start_hidden}
            onChange={(v) => edit('start_hidden', v)}
            error={errors.start_hidden}
          />
          <SwitchField
            id={id('stop_agents_on_quit')}
            label="Stop agents when quitting"
            hint="Otherwise their containers keep running after Agent Desk quits — but they cannot reach any model until it runs again (the gateway lives in the app)."
            checked={draft.stop_agents_on_quit}
            onChange={(v) => edit('stop_agents_on_quit', v)}
            error={errors.stop_agents_on_quit}
          />
        </section>

        <section className="card" aria-labelledby="s-agents">
          <h2 id="s-agents" className="card__title">
            Agents and models
          </h2>
          <RadioField
            id={id('container_runtime')}
            label="Container runtime for new agents"
            value={draft.container_runtime}
            options={RUNTIMES}
            onChange={(v) => edit('container_runtime', v)}
            error={errors.container_runtime}
          />
          <SwitchField
            id={id('build_images_on_demand')}
            label="Build images on demand"
            hint={
              <>
                When an agent needs the base image and it is missing, build it (takes minutes). Otherwise
                import it with <code>agentdesk images import</code>.
              </>
            }
            checked={draft.build_images_on_demand}
            onChange={(v) => edit('build_images_on_demand', v)}
            error={errors.build_images_on_demand}
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
            id={id('trace_retention_days')}
            type="number"
            label="Keep traces for"
            suffix="days"
            min={SETTINGS_RANGES.trace_retention_days.min}
            max={SETTINGS_RANGES.trace_retention_days.max}
            value={Number.isNaN(draft.trace_retention_days) ? '' : String(draft.trace_retention_days)}
            onChange={(v) => edit('trace_retention_days', v.trim() === '' ? Number.NaN : Number(v))}
            hint={`Older trace files are removed. ${describeRange(SETTINGS_RANGES.trace_retention_days)}.`}
            error={errors.trace_retention_days}
          />
        </section>

        <section className="card" aria-labelledby="s-budgets">
          <h2 id="s-budgets" className="card__title">
            Tasks and budgets
          </h2>
          <InputField
            id={id('default_budget_day_usd')}
            type="number"
            label="Default budget per day"
            suffix="USD"
            min={SETTINGS_RANGES.default_budget_day_usd.min}
            max={SETTINGS_RANGES.default_budget_day_usd.max}
            value={Number.isNaN(draft.default_budget_day_usd) ? '' : String(draft.default_budget_day_usd)}
            onChange={(v) => edit('default_budget_day_usd', v.trim() === '' ? Number.NaN : Number(v))}
            hint={`For agents without a budget of their own. The gateway refuses their model calls beyond it until midnight. ${describeRange(SETTINGS_RANGES.default_budget_day_usd)}.`}
            error={errors.default_budget_day_usd}
          />
          <InputField
            id={id('default_budget_month_usd')}
            type="number"
            label="Default budget per month"
            suffix="USD"
            min={SETTINGS_RANGES.default_budget_month_usd.min}
            max={SETTINGS_RANGES.default_budget_month_usd.max}
            value={Number.isNaN(draft.default_budget_month_usd) ? '' : String(draft.default_budget_month_usd)}
            onChange={(v) => edit('default_budget_month_usd', v.trim() === '' ? Number.NaN : Number(v))}
            hint={`${describeRange(SETTINGS_RANGES.default_budget_month_usd)}.`}
            error={errors.default_budget_month_usd}
          />
          <InputField
            id={id('default_rpm')}
            type="number"
            label="Default requests per minute"
            min={SETTINGS_RANGES.default_rpm.min}
            max={SETTINGS_RANGES.default_rpm.max}
            value={Number.isNaN(draft.default_rpm) ? '' : String(draft.default_rpm)}
            onChange={(v) => edit('default_rpm', v.trim() === '' ? Number.NaN : Number(v))}
            hint={`For agents without a limit of their own. ${describeRange(SETTINGS_RANGES.default_rpm)}.`}
            error={errors.default_rpm}
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
        </section>
        <SaveBar dirty={dirty} />
      </form>
    </>
  );
}
