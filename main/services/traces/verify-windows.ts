// When each agent was in its `verifying` phase: model calls made then are the deploy's check, not the agent's work.

/** How long an ended window is kept for late model-call records, ms. */
const KEEP_MS = 60_000;

/**
 * The `verifying` phases of each agent as time windows (UTC ms), fed from the agent service's phase
 * transitions. The gateway records a model call with its agent (the key's owner) and arrival time:
 * one that arrived inside such a window is the verify step's completion (or listing), made by the
 * runtime while no turn can run, so it is marked and left out of the day's "model calls".
 * The windows come from the core's own phase changes, never from anything the agent sends.
 */
export class VerifyWindows {
  private readonly byAgent = new Map<string, { start: number; end: number | null }[]>();

  constructor(private readonly now: () => number = Date.now) {}

  /** The agent entered `verifying` at `at`. */
  begin(agentId: string, at: number): void {
    this.prune();
    const list = this.byAgent.get(agentId) ?? [];
    if (list.some((w) => w.end === null)) return;
    list.push({ start: at, end: null });
    this.byAgent.set(agentId, list);
  }

  /** The agent left `verifying` at `at`. */
  end(agentId: string, at: number): void {
    const w = this.byAgent.get(agentId)?.find((x) => x.end === null);
    if (w) w.end = at;
  }

  /** Whether `at` falls in a `verifying` window of `agentId`. */
  holds(agentId: string, at: number): boolean {
    return (this.byAgent.get(agentId) ?? []).some((w) => w.start <= at && (w.end === null || at <= w.end));
  }

  private prune(): void {
    const cut = this.now() - KEEP_MS;
    for (const [agent, list] of this.byAgent) {
      const kept = list.filter((w) => w.end === null || w.end >= cut);
      if (kept.length) this.byAgent.set(agent, kept);
      else this.byAgent.delete(agent);
    }
  }
}
