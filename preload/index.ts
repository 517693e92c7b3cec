// Sandboxed preload: exposes the one object `window.bridge = { invoke, on }` and refuses channels outside `api:` / `evt:`.
//
// A sandboxed preload can `require` only a few built-ins (electron among them), so this file imports
// nothing at runtime but `electron`: the prefixes and the bridge type come from contract/bridge.ts as
// types only, and each literal below is typed by the contract's, so a different spelling does not compile.
import { contextBridge, ipcRenderer } from 'electron';
import type { IpcRenderer, IpcRendererEvent } from 'electron';
import type { ApiChannelPrefix, Bridge, EventChannelPrefix } from '../contract/bridge';

export type { Bridge };

/** Prefix of contract calls (`api:<group>.<method>`): contract/bridge.ts API_CHANNEL_PREFIX. */
export const API_PREFIX: ApiChannelPrefix = 'api:';
/** Prefix of push events (`evt:<name>`): contract/bridge.ts EVENT_CHANNEL_PREFIX. */
export const EVENT_PREFIX: EventChannelPrefix = 'evt:';
/** Longest channel name accepted; contract channels are far shorter. */
const MAX_CHANNEL_LENGTH = 200;

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
