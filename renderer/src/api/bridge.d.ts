// The one object the preload exposes to the renderer (preload/index.ts): the channels of contract/api.ts.
import type { Result } from '../../../contract/errors';

declare global {
  /** `window.bridge`, present only inside Electron. Channels: `api:<group>.<method>`, `evt:<name>`. */
  interface AgentDeskBridge {
    /** Calls a contract method; resolves with its envelope (the core never rejects for API errors). */
    invoke(channel: string, input: unknown): Promise<Result<unknown>>;
    /** Subscribes to a push event channel; returns the unsubscribe function. */
    on(channel: string, listener: (payload: unknown) => void): () => void;
  }

  interface Window {
    bridge?: AgentDeskBridge;
  }
}

export {};
