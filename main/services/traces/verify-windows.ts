// When each agent was in its `verifying` phase: model calls made then are the deploy's check, not the agent's work.
import { AgentWindows } from './agent-windows';
import type { TimeWindow } from './agent-windows';

/**
 * The `verifying` phases of each agent as time windows (UTC ms), fed from the agent service's phase
 * transitions. The gateway records a model call with its agent (the key's owner) and arrival time:
 * one that arrived inside such a window is the verify step's completion (or listing), made by the
 * runtime while no turn can run, so it is marked and left out of the day's "model calls".
 * The windows come from the core's own phase changes, never from anything the agent sends.
 * Ended windows are kept a minute for late model-call records.
 */
export class VerifyWindows extends AgentWindows<TimeWindow> {
  /** The agent entered `verifying` at `at`. */
  begin(agentId: string, at: number): void {
    this.add(agentId, { start: at, end: null }, (list) => list.some((w) => w.end === null));
  }

  /** The agent left `verifying` at `at`. */
  end(agentId: string, at: number): void {
    const w = this.windowsOf(agentId).find((x) => x.end === null);
    if (w) w.end = at;
  }

  /** Whether `at` falls in a `verifying` window of `agentId`. */
  holds(agentId: string, at: number): boolean {
    return this.holding(agentId, at).length > 0;
  }
}
