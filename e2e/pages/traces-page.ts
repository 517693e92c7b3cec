// Page object for the Traces page: agent picker, kind/text filters, the virtualized timeline, payloads, export, follow pill.
import type { Download, Locator, Page } from 'playwright-core';
import type { AppShell } from './app-shell';

export class TracesPage {
  readonly page: Page;
  constructor(readonly shell: AppShell) {
    this.page = shell.page;
  }

  /** Opens the Traces page from the sidebar and waits for its first page of events. */
  async open(): Promise<void> {
    await this.shell.goTo('traces');
    await this.page.locator('[data-testid="trace-view"][data-loaded="true"]').waitFor();
  }

  /** Shows one agent (`id`), or every agent (`null`). */
  async pickAgent(id: string | null): Promise<void> {
    await this.page.getByTestId('trace-agent').selectOption(id ?? '');
  }

  /** Toggles the chip of `kind` (none pressed = every kind). */
  async toggleKind(kind: string): Promise<void> {
    await this.page.getByTestId(`trace-filter-${kind}`).click();
  }

  /** Types `text` into the text filter (replacing what was there). */
  async filterText(text: string): Promise<void> {
    await this.page.getByTestId('trace-text').fill(text);
  }

  /** The event rows rendered (only those in view: the list is virtualized). */
  events(kind?: string): Locator {
    return this.page.locator(
      kind ? `[data-testid="trace-event"][data-kind="${kind}"]` : '[data-testid="trace-event"]',
    );
  }

  /** The kinds of the event rows rendered, in order. */
  async kinds(): Promise<string[]> {
    const rows = await this.events().all();
    return Promise.all(rows.map(async (r) => (await r.getAttribute('data-kind')) ?? ''));
  }

  /** Opens the payload of `row` and returns its text. */
  async openPayload(row: Locator): Promise<string> {
    await row.locator('summary').click();
    const payload = row.getByTestId('trace-payload');
    await payload.waitFor();
    return payload.innerText();
  }

  /** Clicks "Export JSONL" and returns the download. */
  async export(): Promise<Download> {
    const [download] = await Promise.all([
      this.page.waitForEvent('download'),
      this.page.getByTestId('trace-export').click(),
    ]);
    return download;
  }

  /** The "N new" pill (shown when new events arrive while the list is scrolled up). */
  newPill(): Locator {
    return this.page.getByTestId('trace-new-pill');
  }

  /** How far the timeline is scrolled: px from its top and from its bottom. */
  scrollPosition(): Promise<{ top: number; fromBottom: number }> {
    return this.page
      .getByTestId('trace-scroll')
      .evaluate((el: { scrollTop: number; scrollHeight: number; clientHeight: number }) => ({
        top: el.scrollTop,
        fromBottom: el.scrollHeight - el.scrollTop - el.clientHeight,
      }));
  }

  /** The count of events shown, as the filter bar says it ("12 events"). */
  async shownCount(): Promise<number> {
    const text = await this.page.getByTestId('trace-count').innerText();
    return Number(text.replace(/[^\d]/g, ''));
  }
}
