// Page object for the Agents view: the create dialog (emoji quick pick and full picker), deploy progress, rows, archived panel.
import type { Locator } from 'playwright-core';
import { waitUntil } from '../fixtures/wait';
import type { AppShell } from './app-shell';

export class AgentsPage {
  constructor(private readonly shell: AppShell) {}

  private get page() {
    return this.shell.page;
  }

  /** Opens the Agents page from the sidebar and waits until the list is loaded. */
  async open(): Promise<void> {
    await this.shell.goTo('agents');
    await this.page.getByTestId('agent-list').waitFor({ state: 'visible' });
    await this.page.getByText('Loading agents…').waitFor({ state: 'detached' });
  }

  // ---- create dialog ----

  createDialog(): Locator {
    return this.page.getByTestId('create-agent-dialog');
  }

  /** Clicks "New agent" and waits for the form with its served models. */
  async openCreate(): Promise<void> {
    await this.page.getByTestId('new-agent').click();
    await this.createDialog().waitFor({ state: 'visible' });
    await this.createDialog().getByTestId('agent-model').waitFor({ state: 'visible', timeout: 30_000 });
  }

  async fillName(name: string): Promise<void> {
    await this.createDialog().getByTestId('agent-name').fill(name);
  }

  /** The container name shown under the name field. */
  slugLine(): Locator {
    return this.createDialog().getByTestId('agent-slug');
  }

  /** The emoji shown as chosen. */
  chosenEmoji(): Promise<string> {
    return this.createDialog().getByTestId('agent-emoji-value').innerText();
  }

  /**
   * Picks `emoji` in the quick-pick grid with the keyboard only: focuses the group's tab stop, then
   * presses ArrowRight until that emoji is checked. @throws Error when it is not in the grid.
   */
  async quickPickByKeyboard(emoji: string): Promise<void> {
    const group = this.createDialog().getByTestId('emoji-quick-pick');
    const radios = group.locator('[role="radio"]');
    const count = await radios.count();
    await group.locator('[role="radio"][tabindex="0"]').focus();
    for (let i = 0; i < count; i++) {
      if ((await group.locator('[aria-checked="true"]').getAttribute('data-emoji')) === emoji) return;
      await this.page.keyboard.press('ArrowRight');
    }
    throw new Error(`${emoji} is not in the quick-pick grid`);
  }

  /** Opens "More…" and waits for the full picker's search field (the picker's chunk loads on first use). */
  async openFullPicker(): Promise<Locator> {
    await this.createDialog().getByTestId('emoji-more').click();
    const picker = this.createDialog().getByTestId('emoji-picker');
    await picker.getByLabel('Type to search for an emoji').waitFor({ state: 'visible', timeout: 30_000 });
    return picker;
  }

  /** CSS `display` of the picker's root: `flex` once its stylesheet applies (it is `block` unstyled). */
  async fullPickerDisplay(): Promise<string> {
    return this.page.evaluate<string>(
      `getComputedStyle(document.querySelector('[data-testid="emoji-picker"] .EmojiPickerReact')).display`,
    );
  }

  /** Types `query` into the open full picker's search and clicks the emoji with code point(s) `unified`. */
  async searchAndPick(query: string, unified: string): Promise<void> {
    const picker = this.createDialog().getByTestId('emoji-picker');
    await picker.getByLabel('Type to search for an emoji').fill(query);
    await picker.locator(`button[data-unified="${unified}"]`).first().click();
    await picker.waitFor({ state: 'detached' });
  }

  /** The harness choices, as shown (`🤖 Agent Desk runtime`, …). */
  harnessChoices(): Promise<string[]> {
    return this.createDialog().locator('#agent-harness option').allInnerTexts();
  }

  async selectHarness(id: string): Promise<void> {
    await this.createDialog().locator('#agent-harness').selectOption(id);
  }

  /** The memory limit field's value (MiB). */
  memoryValue(): Promise<string> {
    return this.createDialog().getByTestId('agent-memory').inputValue();
  }

  async selectModel(model: string): Promise<void> {
    await this.createDialog().getByTestId('agent-model').selectOption(model);
  }

  /** Clicks Create; the same dialog turns into the deploy progress. */
  async submitCreate(): Promise<void> {
    await this.createDialog().getByTestId('create-agent-submit').click();
    await this.page.getByTestId('deploy-dialog').waitFor({ state: 'visible', timeout: 30_000 });
  }

  deployDialog(): Locator {
    return this.page.getByTestId('deploy-dialog');
  }

  /** The deploy progress of `slug` (`data-phase`, `data-outcome`). */
  deploy(slug: string): Locator {
    return this.deployDialog().getByTestId(`deploy-${slug}`);
  }

  /**
   * Records, inside the page, every `data-phase` the deploy progress of `slug` shows from now on (a
   * MutationObserver, so short phases are not missed between polls). Read with {@link seenDeployPhases}.
   */
  async recordDeployPhases(slug: string): Promise<void> {
    // A string, evaluated in the page: the e2e code is compiled without the DOM library.
    await this.page.evaluate(`(() => {
      const seen = [];
      window.__deployPhases = seen;
      const note = () => {
        const phase = document.querySelector('[data-testid="deploy-dialog"] [data-testid="deploy-${slug}"]')?.getAttribute('data-phase');
        if (phase && seen.at(-1) !== phase) seen.push(phase);
      };
      note();
      new MutationObserver(note).observe(document.body, {
        subtree: true, childList: true, attributes: true, attributeFilter: ['data-phase'],
      });
    })()`);
  }

  seenDeployPhases(): Promise<string[]> {
    return this.page.evaluate<string[]>('window.__deployPhases ?? []');
  }

  /** Waits until the deploy dialog of `slug` ends (running or failed) and returns how. */
  async waitForDeployEnd(slug: string, timeoutMs = 240_000): Promise<string> {
    const el = this.deploy(slug);
    await waitUntil(
      async () => ['running', 'failed'].includes((await el.getAttribute('data-outcome')) ?? ''),
      timeoutMs,
      `the deploy of ${slug} to end`,
      200,
    );
    return (await el.getAttribute('data-outcome')) ?? '';
  }

  async closeDeployDialog(): Promise<void> {
    await this.page.keyboard.press('Escape');
    await this.deployDialog().waitFor({ state: 'detached' });
  }

  // ---- list ----

  row(slug: string): Locator {
    return this.page.getByTestId(`agent-row-${slug}`);
  }

  phase(slug: string): Promise<string | null> {
    return this.row(slug).getAttribute('data-phase');
  }

  /** Waits until the row of `slug` shows `phase`. */
  async waitForPhase(slug: string, phase: string, timeoutMs = 180_000): Promise<void> {
    await this.page
      .locator(`[data-testid="agent-row-${slug}"][data-phase="${phase}"]`)
      .waitFor({ state: 'visible', timeout: timeoutMs });
  }

  action(name: string, slug: string): Locator {
    return this.page.getByTestId(`agent-${name}-${slug}`);
  }

  uptime(slug: string): Locator {
    return this.page.getByTestId(`agent-uptime-${slug}`);
  }

  /** Opens the row's "More" menu and clicks `name` in it (Logs, Folders, Archive live there). */
  async menuAction(name: string, slug: string): Promise<void> {
    await this.action('more', slug).click();
    await this.action(name, slug).click();
  }

  /** Archive (from the row's "More" menu), then confirm in the dialog. */
  async archive(slug: string): Promise<void> {
    await this.menuAction('archive', slug);
    await this.page.getByTestId('archive-confirm-confirm').click();
    await this.page.getByTestId('archive-confirm').waitFor({ state: 'detached', timeout: 120_000 });
  }

  // ---- archived panel ----

  archivedRow(slug: string): Locator {
    return this.page.locator(`[data-testid^="archived-row-"][data-slug="${slug}"]`);
  }

  async restore(slug: string): Promise<void> {
    await this.archivedRow(slug).locator('[data-testid^="archived-restore-"]').click();
  }

  /** Purge, then type `name` to confirm and confirm. */
  async purge(slug: string, name: string): Promise<void> {
    await this.archivedRow(slug).locator('[data-testid^="archived-purge-"]').click();
    const dialog = this.page.getByTestId('purge-confirm');
    await dialog.waitFor({ state: 'visible' });
    await dialog.getByTestId('purge-confirm-input').fill(name);
    await dialog.getByTestId('purge-confirm-confirm').click();
    await dialog.waitFor({ state: 'detached', timeout: 120_000 });
  }

  /** The note beside an agent's model when its provider is gone or failing (`data-state`). */
  modelNote(slug: string): Locator {
    return this.page.getByTestId(`agent-model-note-${slug}`);
  }
}
