// The operations of agents, one at a time per agent: a queue per id, and which agents have one running or waiting.
import { agentOperation } from './agent-repository';

/**
 * Runs each agent's operations one after another, in the order asked (deploy, start, stop, archive …),
 * named for the fault points they reach ({@link agentOperation}). A failed operation does not stop the
 * next one. Agents with an operation running are "busy": runtime events about them are the operation's
 * own, not news.
 */
export class AgentOps {
  private readonly queues = new Map<string, Promise<unknown>>();
  private readonly busy = new Set<string>();

  /** Runs `op` after the agent's operations asked before it; settles as `op` does. */
  run<T>(id: string, name: string, op: () => Promise<T>): Promise<T> {
    const prev = this.queues.get(id) ?? Promise.resolve();
    const next = prev
      .catch(() => {})
      .then(async () => {
        this.busy.add(id);
        try {
          return await agentOperation.run(name, op);
        } finally {
          this.busy.delete(id);
        }
      });
    this.queues.set(id, next);
    void next
      .finally(() => {
        if (this.queues.get(id) === next) this.queues.delete(id);
      })
      .catch(() => {});
    return next;
  }

  /** An operation of the agent is running now. */
  isBusy(id: string): boolean {
    return this.busy.has(id);
  }

  /** An operation of the agent is running or waiting. */
  isQueued(id: string): boolean {
    return this.queues.has(id);
  }

  /** Resolves when every operation asked so far has settled (never rejects). */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.queues.values()]);
  }
}
