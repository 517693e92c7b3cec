// Turns relayed by the core, as time windows per agent: ties a gateway model call (which knows no turn id) to its turn.
import { AgentWindows } from './agent-windows';
import type { TimeWindow } from './agent-windows';

interface Window extends TimeWindow {
  turnId: string;
  threadId: string;
}

/**
 * The turns of each agent that the chat relay started, with their start and end (UTC ms). The gateway
 * records a model call with the agent (key owner) and its arrival time but not the turn: {@link match}
 * ties it to a turn when its arrival falls inside exactly one window of that agent. Two turns of one
 * agent at once (two threads) make the call ambiguous, and it stays untied; turns sent to a runtime
 * without the core are not known at all.
 */
export class TurnWindows extends AgentWindows<Window> {
  /** A turn started at `at` (UTC ms). */
  begin(agentId: string, turnId: string, threadId: string, at: number): void {
    this.add(agentId, { turnId, threadId, start: at, end: null });
  }

  /** The turn ended at `at` (UTC ms). */
  end(agentId: string, turnId: string, at: number): void {
    const w = this.windowsOf(agentId).find((x) => x.turnId === turnId);
    if (w && w.end === null) w.end = at;
  }

  /** The one turn of `agentId` whose window holds `at`, or `null` (none, or more than one). */
  match(agentId: string, at: number): { traceId: string; threadId: string } | null {
    const hits = this.holding(agentId, at);
    return hits.length === 1 ? { traceId: hits[0]!.turnId, threadId: hits[0]!.threadId } : null;
  }
}
