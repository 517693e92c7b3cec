// The one object the preload exposes to the renderer: its type is contract/bridge.ts `Bridge`.
import type { Bridge } from '../../../contract/bridge';

declare global {
  interface Window {
    /** `window.bridge`, present only inside Electron. Channels: `api:<group>.<method>`, `evt:<name>`. */
    bridge?: Bridge;
  }
}

export {};
