// Page object for the System view: component rows, their state and fix, "Check again", core info.
import type { Locator } from 'playwright-core';
import { waitUntil } from '../fixtures/wait';
import type { AppShell } from './app-shell';

/** The components the System view must list (contract/models.ts COMPONENT_NAMES). */
export const COMPONENTS = ['keychain', 'docker', 'incus', 'litellm', 'gateway'] as const;
export type ComponentId = (typeof COMPONENTS)[number];

export class SystemPage {
  constructor(private readonly shell: AppShell) {}

  private get page() {
    return this.shell.page;
  }

  /** Opens the System page from the sidebar and waits until every component row is there. */
  async open(): Promise<void> {
    await this.shell.goTo('system');
    for (const name of COMPONENTS) await this.row(name).waitFor({ state: 'visible' });
  }

  row(name: ComponentId): Locator {
    return this.page.getByTestId(`component-${name}`);
  }

  /** The state the UI shows (`data-state`: ok, starting, missing, error). */
  state(name: ComponentId): Promise<string | null> {
    return this.row(name).getAttribute('data-state');
  }

  /** The badge text of a component (e.g. "Missing"). */
  badgeText(name: ComponentId): Promise<string> {
    return this.page.getByTestId(`component-${name}-state`).innerText();
  }

  detail(name: ComponentId): Locator {
    return this.page.getByTestId(`component-${name}-detail`);
  }

  fix(name: ComponentId): Locator {
    return this.page.getByTestId(`component-${name}-fix`);
  }

  refreshButton(): Locator {
    return this.page.getByTestId('health-refresh');
  }

  /** UTC ms of the report on screen (`data-checked-at`), or 0 before the first one. */
  async checkedAt(): Promise<number> {
    const at = this.page.getByTestId('health-checked-at');
    return (await at.count()) === 0 ? 0 : Number(await at.getAttribute('data-checked-at'));
  }

  /** Clicks "Check again" and waits until a newer report is on screen and the button is enabled again. */
  async checkAgain(timeoutMs = 30_000): Promise<void> {
    const before = await this.checkedAt();
    await this.refreshButton().click();
    await waitUntil(
      async () => (await this.checkedAt()) > before && (await this.refreshButton().isEnabled()),
      timeoutMs,
      'a newer health report',
    );
  }

  coreVersion(): Locator {
    return this.page.getByTestId('core-version');
  }

  coreMode(): Promise<string | null> {
    return this.page.getByTestId('core-mode').getAttribute('data-mode');
  }

  coreDataDir(): Locator {
    return this.page.getByTestId('core-data-dir');
  }
}
