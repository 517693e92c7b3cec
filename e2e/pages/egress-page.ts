// Page object for an agent's egress UI beside the agents list: refused events in its trace pane ("Allow …") and its Network pane.
import type { Locator } from 'playwright-core';
import type { AppShell } from './app-shell';

export class EgressPage {
  constructor(private readonly shell: AppShell) {}

  private get page() {
    return this.shell.page;
  }

  /** Opens the Agents page and the trace pane of the agent `slug`. */
  async openTrace(slug: string): Promise<void> {
    await this.shell.goTo('agents');
    await this.page.getByTestId(`agent-trace-${slug}`).click();
    await this.page.locator('[data-testid="agent-pane"][data-pane="trace"]').waitFor({ state: 'visible' });
  }

  /** The refused-connection rows of the open trace pane whose summary mentions `text`. */
  refusal(text: string): Locator {
    return this.page
      .locator('[data-testid="agent-pane"] [data-testid="trace-event"][data-kind="egress"]')
      .filter({ hasText: text })
      .first();
  }

  /** Opens a refused event (its summary) and clicks its "Allow …" button; returns the button's text. */
  async allowFrom(row: Locator): Promise<string> {
    await row.locator('summary').click();
    const button = row.getByTestId('trace-allow-host');
    await button.waitFor({ state: 'visible' });
    const label = await button.innerText();
    await button.click();
    await row.getByTestId('trace-allowed').waitFor({ state: 'visible', timeout: 15_000 });
    return label;
  }

  /** Opens the agent's Network pane (its row's Network button). */
  async openNetwork(slug: string): Promise<Locator> {
    await this.page.getByTestId(`agent-network-${slug}`).click();
    const pane = this.page.getByTestId('egress-pane');
    await pane.waitFor({ state: 'visible' });
    return pane;
  }
}
