// Page object for the Chat page: the agent switcher, threads, messages, tool cards, failed turns, and the trace panel.
import type { Locator } from 'playwright-core';
import type { AppShell } from './app-shell';

export class ChatPage {
  constructor(private readonly shell: AppShell) {}

  private get page() {
    return this.shell.page;
  }

  /** Opens the Agents page and, with the agent `slug`'s row Chat button, the Chat page with that agent. */
  async open(slug: string): Promise<void> {
    await this.shell.goTo('agents');
    await this.page.getByTestId(`agent-chat-${slug}`).click();
    await this.shell.pageRoot('chat').waitFor({ state: 'visible' });
    await this.pane().waitFor({ state: 'visible' });
  }

  /** The agent switcher (a select of every agent; its value is the open agent's id). */
  agentSwitcher(): Locator {
    return this.page.getByTestId('chat-agent-select');
  }

  pane(): Locator {
    return this.page.getByTestId('chat-pane');
  }

  header(): Locator {
    return this.page.getByTestId('chat-header');
  }

  input(): Locator {
    return this.page.getByTestId('chat-input');
  }

  /** Types `text` and presses Enter (Enter sends; Shift+Enter would add a line). */
  async send(text: string): Promise<void> {
    await this.input().fill(text);
    await this.input().press('Enter');
  }

  /** Waits until the turn in flight has ended (no streaming turn left on screen). */
  async waitForTurnEnd(timeoutMs = 60_000): Promise<void> {
    await this.page.getByTestId('chat-turn').waitFor({ state: 'detached', timeout: timeoutMs });
  }

  /** The tool cards whose tool is `name`. */
  toolCards(name: string): Locator {
    return this.page.locator(`[data-testid="tool-card"][data-tool="${name}"]`);
  }

  /** Opens a tool card (its summary) and returns its output text. */
  async toolOutput(card: Locator): Promise<string> {
    if ((await card.getAttribute('open')) === null) await card.locator('summary').click();
    return card.getByTestId('tool-card-output').innerText();
  }

  assistantMessages(): Locator {
    return this.page.getByTestId('chat-msg-assistant');
  }

  userMessages(): Locator {
    return this.page.getByTestId('chat-msg-user');
  }

  threads(): Locator {
    return this.page.getByTestId('chat-thread');
  }

  /** The time of each thread in the list ("just now", "5 min ago"; the full date in its title). */
  threadTimes(): Locator {
    return this.page.getByTestId('chat-thread-time');
  }

  /** The thread whose title is `title`. */
  thread(title: string): Locator {
    return this.threads().filter({ hasText: title });
  }

  /** Each user message and error row of the conversation, in order: the message's text, or `error`. */
  async userAndErrorRows(): Promise<string[]> {
    const rows = this.page.locator(
      '[data-testid="chat-messages"] :is([data-testid="chat-msg-user"], [data-testid="chat-error"])',
    );
    return Promise.all(
      (await rows.all()).map(async (r) =>
        (await r.getAttribute('data-testid')) === 'chat-error' ? 'error' : (await r.innerText()).trim(),
      ),
    );
  }

  /**
   * Starts recording, at every change of the page, the length of the live turn's assistant text and
   * whether a turn is still on screen (`chat-turn`), with the time. Read with {@link streamedText}.
   */
  async recordStreaming(): Promise<void> {
    // A string, evaluated in the page: the e2e code is compiled without the DOM library.
    await this.page.evaluate(`(() => {
      const seen = [];
      window.__streamed = seen;
      const look = () => {
        const turn = document.querySelector('[data-testid="chat-turn"]');
        const text = turn?.querySelector('[data-testid="chat-msg-assistant"]')?.textContent ?? '';
        seen.push({ at: performance.now(), len: text.length, live: turn !== null });
      };
      new MutationObserver(look).observe(document.body, { subtree: true, childList: true, characterData: true });
    })()`);
  }

  /** What {@link recordStreaming} saw, in order. */
  async streamedText(): Promise<{ at: number; len: number; live: boolean }[]> {
    return this.page.evaluate<{ at: number; len: number; live: boolean }[]>('window.__streamed');
  }

  /** The Show/Hide trace button of the Chat page (`aria-pressed` = the panel is open). */
  traceToggle(): Locator {
    return this.page.getByTestId('chat-trace-toggle');
  }

  /** The trace panel beside the conversation. */
  tracePanel(): Locator {
    return this.page.getByTestId('trace-pane');
  }

  /** Opens the trace panel beside the chat of the agent `slug` (its chat first, when another one is shown). */
  async openTrace(slug: string): Promise<void> {
    const shown = (await this.pane().count()) > 0 ? await this.pane().getAttribute('data-slug') : null;
    if (shown !== slug) await this.open(slug);
    if ((await this.traceToggle().getAttribute('aria-pressed')) !== 'true') await this.traceToggle().click();
    await this.tracePanel().waitFor({ state: 'visible' });
  }

  /** The error rows of failed turns (each with its Retry button). */
  errors(): Locator {
    return this.page.getByTestId('chat-error');
  }

  /** Starts a new thread (its first message creates it). */
  async newThread(): Promise<void> {
    await this.page.getByTestId('chat-new-thread').click();
  }

  /** The Stop button, shown while a turn runs. */
  stopButton(): Locator {
    return this.page.getByTestId('chat-stop');
  }

  retryButtons(): Locator {
    return this.page.getByTestId('chat-retry');
  }

  /** The bounding box of `locator` against the viewport: whether it lies wholly inside it. */
  async insideViewport(locator: Locator): Promise<boolean> {
    const box = await locator.boundingBox();
    const size = this.page.viewportSize();
    if (!box || !size) return false;
    return box.y >= 0 && box.x >= 0 && box.y + box.height <= size.height && box.x + box.width <= size.width;
  }

  /** The kinds of the trace events shown (inside `within` when given), in order. */
  async traceKinds(within?: Locator): Promise<string[]> {
    const events = await (within ?? this.page).getByTestId('trace-event').all();
    return Promise.all(events.map(async (e) => (await e.getAttribute('data-kind')) ?? ''));
  }
}
