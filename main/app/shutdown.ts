// Ordered shutdown: steps run in reverse order of registration, each guarded, once.
import type { Logger } from '../platform/logging';

/**
 * Collects shutdown steps as services start and runs them in reverse (last started, first stopped).
 * A failing step is logged and does not stop the others. Running twice is a no-op.
 */
export class ShutdownSequence {
  private readonly steps: { name: string; fn: () => unknown }[] = [];
  private done: Promise<void> | null = null;

  constructor(private readonly log: Logger) {}

  /** Registers a step; `fn` may be async. */
  add(name: string, fn: () => unknown): void {
    this.steps.push({ name, fn });
  }

  /** Runs every step once, in reverse order. */
  run(): Promise<void> {
    this.done ??= (async () => {
      for (const step of [...this.steps].reverse()) {
        try {
          await step.fn();
        } catch (err) {
          this.log.error({ err, step: step.name }, 'shutdown step failed');
        }
      }
    })();
    return this.done;
  }
}
