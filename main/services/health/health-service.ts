// Runs the component probes, keeps the last report, and publishes changes on the event bus.
import type {
  ComponentHealth,
  ComponentName,
  FixedComponentName,
  HealthReport,
} from '../../../contract/health';
import { COMPONENT_NAMES } from '../../../contract/health';

/** A probe for one component. Must not throw; must settle within its own deadline. */
export type Probe = () => Promise<ComponentHealth> | ComponentHealth;

/**
 * Health of every component (keychain, docker, incus, litellm, gateway, egress), then of each named
 * engine (`engine:<id>`, added and removed while the core runs: {@link setProbe}).
 * `check()` probes all in parallel; `start(intervalMs)` re-probes periodically and calls
 * `onChange` when any state, detail or fix differs from the last report.
 */
export class HealthService {
  private last: HealthReport | null = null;
  private timer: NodeJS.Timeout | null = null;
  private inflight: Promise<HealthReport> | null = null;
  private again: Promise<HealthReport> | null = null;
  /** Probes of components beyond the fixed ones, in the order they were added. */
  private readonly extra = new Map<ComponentName, Probe>();

  constructor(
    private readonly probes: Record<FixedComponentName, Probe>,
    private readonly onChange: (report: HealthReport) => void = () => {},
  ) {}

  /** Probes every component now (concurrent callers share one run). @returns the fresh report. */
  check(): Promise<HealthReport> {
    this.inflight ??= this.run().finally(() => {
      this.inflight = null;
    });
    return this.inflight;
  }

  /**
   * Probes every component once more after the run in progress, if any, has ended (a change seen during
   * that run is then in the report); concurrent callers share one follow-up run.
   */
  recheck(): Promise<HealthReport> {
    if (!this.inflight) return this.check();
    this.again ??= this.inflight.then(() => {
      this.again = null;
      return this.check();
    });
    return this.again;
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

  /**
   * Adds (or replaces) the probe of a component beyond the fixed ones, e.g. `engine:homeserver`;
   * `null` removes it. The next {@link check} reports it (or no longer does).
   */
  setProbe(name: ComponentName, probe: Probe | null): void {
    if (probe) this.extra.set(name, probe);
    else this.extra.delete(name);
  }

  /** Stops periodic probing. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private async run(): Promise<HealthReport> {
    const probes: [ComponentName, Probe][] = [
      ...COMPONENT_NAMES.map((n): [ComponentName, Probe] => [n, this.probes[n]]),
      ...this.extra,
    ];
    const components = await Promise.all(
      probes.map(async ([name, probe]): Promise<ComponentHealth> => {
        try {
          return await probe();
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
