// Page object for the System view: component rows, their state and fix, "Check again", core info, the LiteLLM/gateway panel and "Test model".
import type { Locator } from 'playwright-core';
import { waitUntil } from '../fixtures/wait';
import type { AppShell } from './app-shell';

/** The components the System view must list (contract/health.ts COMPONENT_NAMES). */
export const COMPONENTS = ['keychain', 'docker', 'incus', 'litellm', 'gateway', 'egress'] as const;
export type ComponentId = (typeof COMPONENTS)[number] | `engine:${string}`;

/** How a "Test model" run ended on screen (`data-outcome` of the result region). */
export type TestOutcome = 'none' | 'running' | 'passed' | 'failed' | 'error';

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

  // ---- LiteLLM & gateway panel ----

  llmPanel(): Locator {
    return this.page.getByTestId('llm-panel');
  }

  /** The LiteLLM state the panel shows (`data-state`: idle, missing, starting, ready, restarting, failed, stopped). */
  litellmState(): Promise<string | null> {
    return this.page.getByTestId('litellm').getAttribute('data-state');
  }

  /**
   * Starts recording, inside the page, every LiteLLM state the panel shows from now on (a MutationObserver
   * on `data-state`), so short states are not missed between polls. Read them with {@link seenLitellmStates}.
   */
  async recordLitellmStates(): Promise<void> {
    // A string, evaluated in the page: the e2e code is compiled without the DOM library.
    await this.page.evaluate(`(() => {
      const seen = [];
      window.__litellmStates = seen;
      const note = () => {
        const state = document.querySelector('[data-testid="litellm"]')?.getAttribute('data-state');
        if (state && seen.at(-1) !== state) seen.push(state);
      };
      note();
      new MutationObserver(note).observe(document.body, {
        subtree: true,
        childList: true,
        attributes: true,
        attributeFilter: ['data-state'],
      });
    })()`);
  }

  /** The LiteLLM states seen since {@link recordLitellmStates}, in order, without repeats. */
  async seenLitellmStates(): Promise<string[]> {
    return this.page.evaluate<string[]>('window.__litellmStates ?? []');
  }

  /** Waits until the panel shows LiteLLM in `state`. */
  async waitForLitellm(state: string, timeoutMs = 120_000): Promise<void> {
    await this.page
      .locator(`[data-testid="litellm"][data-state="${state}"]`)
      .waitFor({ state: 'visible', timeout: timeoutMs });
  }

  /** A LiteLLM or gateway fact by test id (e.g. `litellm-port`, `litellm-uptime`, `gateway-url`). */
  llmFact(testId: string): Locator {
    return this.page.getByTestId(testId);
  }

  /** The number of served models the panel shows. */
  async modelCount(): Promise<number> {
    return Number(await this.page.getByTestId('litellm-model-count').getAttribute('data-count'));
  }

  /** Opens the model list (if closed) and returns the model names in it. */
  async servedModels(): Promise<string[]> {
    const toggle = this.page.getByTestId('litellm-models-toggle');
    if ((await toggle.getAttribute('aria-expanded')) !== 'true') await toggle.click();
    return this.page.getByTestId('litellm-model').allInnerTexts();
  }

  /** The stderr block (`<details>`, `data-lines` = number of lines). */
  stderr(): Locator {
    return this.page.getByTestId('litellm-stderr');
  }

  /** Opens the stderr block (if closed) and returns its text. */
  async stderrText(): Promise<string> {
    if ((await this.stderr().getAttribute('open')) === null) await this.stderr().locator('summary').click();
    const lines = this.page.getByTestId('litellm-stderr-lines');
    await lines.waitFor({ state: 'visible' });
    return lines.innerText();
  }

  gatewayState(): Promise<string | null> {
    return this.page.getByTestId('gateway').getAttribute('data-state');
  }

  // ---- Test model ----

  testModelSelect(): Locator {
    return this.page.getByTestId('test-model-select');
  }

  testModelButton(): Locator {
    return this.page.getByTestId('test-model-run');
  }

  /** Why the model select or the Test button is disabled. */
  testModelReason(): Locator {
    return this.page.getByTestId('test-model-reason');
  }

  /** The result region (`data-outcome`); reply, latency, tokens and error are inside. */
  testModelResult(): Locator {
    return this.page.getByTestId('test-model-result');
  }

  async testOutcome(): Promise<TestOutcome> {
    return ((await this.testModelResult().getAttribute('data-outcome')) ?? 'none') as TestOutcome;
  }

  /** Tests started in this window so far (`data-runs` of the result region). */
  async testRuns(): Promise<number> {
    return Number(await this.testModelResult().getAttribute('data-runs'));
  }

  /**
   * Picks `model`, types `prompt` (empty = the core's default), presses Enter in the prompt field (the
   * keyboard path) and waits until this new test has ended. Returns the outcome shown.
   */
  async testModel(model: string, prompt: string, timeoutMs = 90_000): Promise<TestOutcome> {
    const before = await this.testRuns();
    await this.testModelSelect().selectOption(model);
    const field = this.page.getByTestId('test-model-prompt');
    await field.fill(prompt);
    await field.press('Enter');
    await waitUntil(
      async () => (await this.testRuns()) > before && (await this.testOutcome()) !== 'running',
      timeoutMs,
      `the test of ${model} to end`,
    );
    return this.testOutcome();
  }
}
