// Turns relayed by the core, as time windows per agent: ties a gateway model call (which knows no turn id) to its turn.

interface Window {
  turnId: string;
  threadId: string;
  start: number;
  end: number | null;
}

/** How long an ended turn is kept for late model-call records, ms. */
const KEEP_MS = 60_000;

/**
 * The turns of each agent that the chat relay started, with their start and end (UTC ms). The gateway
 * records a model call with the agent (key owner) and its arrival time but not the turn: {@link match}
 * ties it to a turn when its arrival falls inside exactly one window of that agent. Two turns of one
 * agent at once (two threads) make the call ambiguous, and it stays untied; turns sent to a runtime
 * without the core are not known at all.
 */
export class TurnWindows {
  private readonly byAgent = new Map<string, Window[]>();

  constructor(private readonly now: () => number = Date.now) {}

  /** A turn started at `at` (UTC ms). */
  begin(agentId: string, turnId: string, threadId: string, at: number): void {
    this.prune();
    const list = this.byAgent.get(agentId) ?? [];
    list.push({ turnId, threadId, start: at, end: null });
    this.byAgent.set(agentId, list);
  }

  /** The turn ended at `at` (UTC ms). */
  end(agentId: string, turnId: string, at: number): void {
    const w = this.byAgent.get(agentId)?.find((x) => x.turnId === turnId);
    if (w && w.end === null) w.end = at;
  }

  /** The one turn of `agentId` whose window holds `at`, or `null` (none, or more than one). */
  match(agentId: string, at: number): { traceId: string; threadId: string } | null {
    const hits = (this.byAgent.get(agentId) ?? []).filter(
      (w) => w.start <= at && (w.end === null || at <= w.end),
    );
    return hits.length === 1 ? { traceId: hits[0]!.turnId, threadId: hits[0]!.threadId } : null;
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
