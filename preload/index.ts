// Sandboxed preload: exposes the one object `window.bridge = { invoke, on }` and refuses channels outside `api:` / `evt:`.
//
// A sandboxed preload can `require` only a few built-ins (electron among them), so this file imports
// nothing at runtime but `electron`. The prefixes are inlined rather than imported from
// contract/api.ts, which would pull zod and the models into this bundle; preload/index.test.ts
// keeps them equal to API_CHANNEL_PREFIX / EVENT_CHANNEL_PREFIX.
import { contextBridge, ipcRenderer } from 'electron';
import type { IpcRenderer, IpcRendererEvent } from 'electron';

/** Prefix of contract calls (`api:<group>.<method>`), equal to contract/api.ts API_CHANNEL_PREFIX. */
export const API_PREFIX = 'api:';
/** Prefix of push events (`evt:<name>`), equal to contract/api.ts EVENT_CHANNEL_PREFIX. */
export const EVENT_PREFIX = 'evt:';
/** Longest channel name accepted; contract channels are far shorter. */
const MAX_CHANNEL_LENGTH = 200;

/** What the page sees as `window.bridge` (mirrors renderer/src/api/bridge.d.ts). */
export interface Bridge {
  /** Calls `api:<group>.<method>` with one input; resolves with the core's Result envelope. Rejects for any other channel. */
  invoke(channel: string, input: unknown): Promise<unknown>;
  /** Listens on `evt:<name>`; the listener gets the payload only. Returns the unsubscribe function. Throws for any other channel. */
  on(channel: string, listener: (payload: unknown) => void): () => void;
}

function checkChannel(channel: unknown, prefix: string): string {
  if (
    typeof channel !== 'string' ||
    !channel.startsWith(prefix) ||
    channel.length <= prefix.length ||
    channel.length > MAX_CHANNEL_LENGTH
  ) {
    throw new Error(
      `Agent Desk bridge: refused channel ${JSON.stringify(String(channel)).slice(0, 80)}; expected "${prefix}<name>"`,
    );
  }
  return channel;
}

/**
 * Builds the bridge over `ipc` (Electron's ipcRenderer). The page never receives the
 * `IpcRendererEvent` (it carries `sender`, i.e. ipcRenderer itself — Electron security checklist,
 * "Do not expose Electron APIs to untrusted web content"), only the payload; and it can reach no
 * channel outside the two prefixes (VS Code's sandbox preload does the same with `vscode:`).
 */
export function createBridge(ipc: Pick<IpcRenderer, 'invoke' | 'on' | 'removeListener'>): Bridge {
  return {
    invoke(channel, input) {
      try {
        return ipc.invoke(checkChannel(channel, API_PREFIX), input) as Promise<unknown>;
      } catch (err) {
        return Promise.reject(err instanceof Error ? err : new Error(String(err)));
      }
    },
    on(channel, listener) {
      const name = checkChannel(channel, EVENT_PREFIX);
      if (typeof listener !== 'function')
        throw new TypeError('Agent Desk bridge: listener must be a function');
      const relay = (_event: IpcRendererEvent, payload: unknown): void => listener(payload);
      ipc.on(name, relay);
      let active = true;
      return () => {
        if (!active) return;
        active = false;
        ipc.removeListener(name, relay);
      };
    },
  };
}

contextBridge.exposeInMainWorld('bridge', createBridge(ipcRenderer));
