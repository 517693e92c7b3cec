// Page object for the Tasks page: the new-task dialog, the task rows (run now), the run history (answer, trace).
import type { Locator, Page } from 'playwright-core';
import type { AppShell } from './app-shell';

export class TasksPage {
  readonly page: Page;
  constructor(readonly shell: AppShell) {
    this.page = shell.page;
  }

  /** Opens the Tasks page from the sidebar. */
  async open(): Promise<void> {
    await this.shell.goTo('tasks');
  }

  /** Adds a task through the dialog: `every` minutes, with `prompt` and `name`. */
  async addEvery(name: string, prompt: string, minutes: number): Promise<void> {
    await this.page.getByTestId('task-new').click();
    const dialog = this.page.getByTestId('task-dialog');
    await dialog.waitFor({ state: 'visible' });
    await dialog.getByTestId('task-name').fill(name);
    await dialog.getByTestId('task-prompt').fill(prompt);
    await dialog.getByTestId('task-kind-interval').check();
    await dialog.getByTestId('task-every').fill(String(minutes));
    await dialog.getByTestId('task-every-unit').selectOption('min');
    await dialog.getByTestId('task-save').click();
    await dialog.waitFor({ state: 'detached' });
  }

  /** The row of the task named `name`. */
  row(name: string): Locator {
    return this.page.locator(`[data-testid="task-row"][data-task="${name}"]`);
  }

  /** Clicks "Run now" on the task's row. */
  async runNow(name: string): Promise<void> {
    await this.row(name).getByTestId('task-run-now').click();
  }

  /** The history's runs with `status` (any status when omitted). */
  runs(status?: string): Locator {
    return this.page.locator(
      status ? `[data-testid="task-run"][data-status="${status}"]` : '[data-testid="task-run"]',
    );
  }
}
