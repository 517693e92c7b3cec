// Runs the component probes, keeps the last report, and publishes changes on the event bus.
import type { ComponentHealth, ComponentName, HealthReport } from '../../../contract/health';
import { COMPONENT_NAMES } from '../../../contract/health';

/** A probe for one component. Must not throw; must settle within its own deadline. */
export type Probe = () => Promise<ComponentHealth> | ComponentHealth;

/**
 * Health of every component (keychain, docker, incus, litellm, gateway, egress).
 * `check()` probes all in parallel; `start(intervalMs)` re-probes periodically and calls
 * `onChange` when any state, detail or fix differs from the last report.
 */
export class HealthService {
  private last: HealthReport | null = null;
  private timer: NodeJS.Timeout | null = null;
  private inflight: Promise<HealthReport> | null = null;

  constructor(
    private readonly probes: Record<ComponentName, Probe>,
    private readonly onChange: (report: HealthReport) => void = () => {},
  ) {}

  /** Probes every component now (concurrent callers share one run). @returns the fresh report. */
  check(): Promise<HealthReport> {
    this.inflight ??= this.run().finally(() => {
      this.inflight = null;
    });
    return this.inflight;
  }

  /** The last report, probing first when there is none. */
  async current(): Promise<HealthReport> {
    return this.last ?? this.check();
  }

  /** Re-probes every `intervalMs` ms until {@link stop}. */
  start(intervalMs: number): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.check(), intervalMs);
    this.timer.unref();
  }

  /** Stops periodic probing. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private async run(): Promise<HealthReport> {
    const components = await Promise.all(
      COMPONENT_NAMES.map(async (name): Promise<ComponentHealth> => {
        try {
          return await this.probes[name]();
        } catch (err) {
          return {
            name,
            state: 'error',
            detail: `Probe failed: ${(err as Error).message}`,
            fix: 'See the log for details',
          };
        }
      }),
    );
    const report: HealthReport = { components, checked_at: Date.now() };
    const changed = !this.last || JSON.stringify(this.last.components) !== JSON.stringify(components);
    this.last = report;
    if (changed) this.onChange(report);
    return report;
  }
}
