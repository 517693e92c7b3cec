// Page object for the Providers view: detected cards, catalog picker, add form, provider rows and models.
import type { Locator } from 'playwright-core';
import { waitUntil } from '../fixtures/wait';
import type { AppShell } from './app-shell';

export class ProvidersPage {
  constructor(private readonly shell: AppShell) {}

  private get page() {
    return this.shell.page;
  }

  /** Opens the Providers page and waits for the catalog (catalog and list loaded). */
  async open(): Promise<void> {
    await this.shell.goTo('providers');
    await this.page.getByTestId('catalog-openai-compatible').waitFor({ state: 'visible' });
  }

  /** The detected card of a type (`discovered-<type>`). */
  discovered(type: string): Locator {
    return this.page.getByTestId(`discovered-${type}`);
  }

  /** "Scan again" on the detected section; waits until the scan is over. */
  async scanAgain(timeoutMs = 15_000): Promise<void> {
    const button = this.page.getByTestId('discover-again');
    await button.click();
    await waitUntil(
      async () => (await button.getAttribute('aria-busy')) !== 'true',
      timeoutMs,
      'the discovery scan to finish',
    );
  }

  catalogItem(type: string): Locator {
    return this.page.getByTestId(`catalog-${type}`);
  }

  form(): Locator {
    return this.page.getByTestId('add-provider-form');
  }

  /** Picks a catalog entry and fills the add form; `key` only when given. */
  async fillAddForm(type: string, f: { name?: string; baseUrl?: string; key?: string }): Promise<void> {
    await this.catalogItem(type).click();
    await this.form().waitFor({ state: 'visible' });
    if (f.name !== undefined) await this.form().getByTestId('provider-name').fill(f.name);
    if (f.baseUrl !== undefined) await this.form().getByTestId('provider-base-url').fill(f.baseUrl);
    if (f.key !== undefined) await this.form().getByTestId('provider-key').fill(f.key);
  }

  async save(): Promise<void> {
    await this.form().getByTestId('provider-save').click();
  }

  row(id: string): Locator {
    return this.page.getByTestId(`provider-row-${id}`);
  }

  /** `data-status` of a provider's badge: unknown, ok, error. */
  status(id: string): Promise<string | null> {
    return this.page.getByTestId(`provider-status-${id}`).getAttribute('data-status');
  }

  keyLine(id: string): Locator {
    return this.page.getByTestId(`provider-key-${id}`);
  }

  models(id: string): Locator {
    return this.page.getByTestId(`provider-models-${id}`);
  }

  /** Model ids shown in a provider's list. */
  async modelIds(id: string): Promise<string[]> {
    return (await this.models(id).getByTestId('model-item').locator('code').allInnerTexts()).map((t) =>
      t.trim(),
    );
  }

  async searchModels(id: string, query: string): Promise<void> {
    await this.models(id).getByTestId('model-search').fill(query);
  }

  /** Opens a provider's edit form (inside its row). */
  async edit(id: string): Promise<Locator> {
    await this.page.getByTestId(`provider-edit-${id}`).click();
    const form = this.row(id).getByTestId('add-provider-form');
    await form.waitFor({ state: 'visible' });
    return form;
  }

  /** The notice of a row after an edit (e.g. why its key was removed). */
  notice(id: string): Locator {
    return this.page.getByTestId(`provider-notice-${id}`);
  }

  /** Remove, then confirm. */
  async remove(id: string): Promise<void> {
    await this.page.getByTestId(`provider-remove-${id}`).click();
    await this.page.getByTestId(`provider-remove-confirm-${id}`).click();
  }

  /** Presses Remove and returns the slugs of the agents the confirmation lists (waits until the list is read). */
  async removeAndListUsers(id: string): Promise<string[]> {
    await this.page.getByTestId(`provider-remove-${id}`).click();
    const confirm = this.page.getByTestId(`provider-remove-confirm-${id}`);
    await waitUntil(
      async () => await confirm.isEnabled(),
      15_000,
      'the agents using the provider to be read',
    );
    const items = this.page.getByTestId(`provider-remove-users-${id}`).locator('li');
    const slugs: string[] = [];
    for (const item of await items.all())
      slugs.push(((await item.getAttribute('data-testid')) ?? '').replace(/^provider-remove-user-/, ''));
    return slugs;
  }
}
