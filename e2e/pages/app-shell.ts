// Page object for the shell: opening the app, the sidebar, the connection banner and the token screens.
import type { Locator, Page } from 'playwright-core';

/** Ids of the pages in the sidebar, in order. */
export const PAGE_IDS = [
  'agents',
  'chat',
  'tasks',
  'providers',
  'traces',
  'usage',
  'settings',
  'system',
] as const;
export type PageId = (typeof PAGE_IDS)[number];

export class AppShell {
  constructor(readonly page: Page) {}

  /** Opens `url` and waits for the sidebar (the app is up). */
  async open(url: string): Promise<void> {
    await this.page.goto(url);
    await this.navItem('agents').waitFor({ state: 'visible' });
  }

  /** Opens `url` and waits for the "open the URL printed by agentdesk serve" screen. */
  async openWithoutToken(url: string): Promise<void> {
    await this.page.goto(url);
    await this.noTokenScreen().waitFor({ state: 'visible' });
  }

  navItem(id: PageId): Locator {
    return this.page.getByTestId(`nav-${id}`);
  }

  pageRoot(id: PageId): Locator {
    return this.page.getByTestId(`page-${id}`);
  }

  /** Clicks the sidebar item and waits for its page. */
  async goTo(id: PageId): Promise<Locator> {
    await this.navItem(id).click();
    const root = this.pageRoot(id);
    await root.waitFor({ state: 'visible' });
    return root;
  }

  /** The `data-testid` id of the nav item marked `aria-current="page"`. */
  async currentNavId(): Promise<string | null> {
    const current = this.page.locator('nav [aria-current="page"]');
    const id = await current.getAttribute('data-testid');
    return id?.replace(/^nav-/, '') ?? null;
  }

  connectionBanner(): Locator {
    return this.page.getByTestId('connection-banner');
  }

  noTokenScreen(): Locator {
    return this.page.getByTestId('no-token');
  }

  /** The theme attribute on `<html>` (`system`, `light` or `dark`). */
  themeAttribute(): Promise<string | null> {
    return this.page.locator('html').getAttribute('data-theme');
  }
}
