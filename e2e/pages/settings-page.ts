// Page object for the Settings view: fields by data-testid, save, status and inline errors.
import type { Locator } from 'playwright-core';
import { waitUntil } from '../fixtures/wait';
import type { AppShell } from './app-shell';

export class SettingsPage {
  constructor(private readonly shell: AppShell) {}

  private get page() {
    return this.shell.page;
  }

  /** Opens the Settings page and waits for the form (settings loaded). */
  async open(): Promise<void> {
    await this.shell.goTo('settings');
    await this.page.getByTestId('settings-form').waitFor({ state: 'visible' });
  }

  /** The control for a field: an input, a select, or the fieldset of a radio group. */
  field(name: string): Locator {
    return this.page.getByTestId(`settings-${name}`);
  }

  /** Picks a radio option (`theme`, `container_runtime`). */
  async choose(name: 'theme' | 'container_runtime', value: string): Promise<void> {
    await this.page.getByTestId(`settings-${name}-${value}`).check();
  }

  /** The checked option of a radio group. */
  async chosen(name: 'theme' | 'container_runtime'): Promise<string | null> {
    return this.field(name).locator('input:checked').getAttribute('value');
  }

  async setSwitch(name: string, on: boolean): Promise<void> {
    await this.field(name).setChecked(on);
  }

  async fill(name: string, value: string): Promise<void> {
    await this.field(name).fill(value);
  }

  inputValue(name: string): Promise<string> {
    return this.field(name).inputValue();
  }

  /** Clicks "Save changes" and waits until the save has finished (status no longer "Saving…"). */
  async save(): Promise<void> {
    await this.page.getByTestId('settings-save').click();
    await waitUntil(async () => (await this.status()) !== 'Saving…', 30_000, 'the save to finish');
  }

  status(): Promise<string> {
    return this.page.getByTestId('settings-status').innerText();
  }

  /** The inline error under a field. */
  fieldError(name: string): Locator {
    return this.page.getByTestId(`settings-${name}-error`);
  }
}
