// Time windows per agent (UTC ms), kept a minute after they end: what turn-windows.ts and verify-windows.ts share.

/** How long an ended window is kept for late model-call records, ms. */
const KEEP_MS = 60_000;

/** One window: its start and end (UTC ms), `end` `null` while it is open. */
export interface TimeWindow {
  start: number;
  end: number | null;
}

/**
 * The windows of each agent. Adding one first drops the windows that ended more than a minute before
 * `now()`, so what is held stays bounded by the windows of the last minute and the open ones.
 */
export class AgentWindows<W extends TimeWindow> {
  private readonly byAgent = new Map<string, W[]>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Adds `w` to `agentId`'s windows, unless `refuse` says no from the windows it has. */
  protected add(agentId: string, w: W, refuse?: (windows: readonly W[]) => boolean): void {
    this.prune();
    const list = this.byAgent.get(agentId) ?? [];
    if (refuse?.(list)) return;
    list.push(w);
    this.byAgent.set(agentId, list);
  }

  /** The windows of `agentId`, oldest first. */
  protected windowsOf(agentId: string): readonly W[] {
    return this.byAgent.get(agentId) ?? [];
  }

  /** The windows of `agentId` that hold `at` (start ≤ at ≤ end, or open). */
  protected holding(agentId: string, at: number): W[] {
    return this.windowsOf(agentId).filter((w) => w.start <= at && (w.end === null || at <= w.end));
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
