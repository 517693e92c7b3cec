// Where the UI comes from: the `app://agentdesk` origin, or the electron-vite dev server in development.
import { originOf } from '../transport/ipc/sender-check';

/** The custom scheme serving the built renderer (registered privileged, see protocol.ts). */
export const APP_SCHEME = 'app';
/** The one host of that scheme. */
export const APP_HOST = 'agentdesk';
/** The UI's origin in production: what every trusted sender and navigation must match. */
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
/** The page loaded in the main window in production. */
export const APP_ENTRY_URL = `${APP_ORIGIN}/index.html`;

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Where the UI is served from for this run. */
export interface UiOrigin {
  /** URL the main window loads. */
  entryUrl: string;
  /** Origins trusted for IPC, navigation and the CSP header: the app origin, plus the dev server's in development. */
  trustedOrigins: string[];
  /** True when the dev server is used (relaxed CSP for Vite's inline React-refresh preamble). */
  dev: boolean;
}

/**
 * Decides where the UI comes from. `ELECTRON_RENDERER_URL` (set by `electron-vite dev`) is honoured
 * only when the app is not packaged and the URL is http(s) on a loopback host; otherwise it is
 * ignored, so a packaged app can never be pointed at another origin through the environment.
 * @returns the entry URL and the trusted origins (never empty: `app://agentdesk` is always trusted).
 */
export function resolveUiOrigin(opts: { isPackaged: boolean; env: Readonly<NodeJS.ProcessEnv> }): UiOrigin {
  const devUrl = opts.isPackaged ? undefined : opts.env.ELECTRON_RENDERER_URL;
  const devOrigin = devUrl ? devServerOrigin(devUrl) : null;
  if (devUrl && devOrigin) return { entryUrl: devUrl, trustedOrigins: [APP_ORIGIN, devOrigin], dev: true };
  return { entryUrl: APP_ENTRY_URL, trustedOrigins: [APP_ORIGIN], dev: false };
}

function devServerOrigin(url: string): string | null {
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return null;
    return LOOPBACK_HOSTS.has(parsed.hostname) ? parsed.origin : null;
  } catch {
    return null;
  }
}

/** Builds `url → is it one of these origins?`; URLs without an origin (file:, about:, data:) are never trusted. */
export function trustedUrlPredicate(trustedOrigins: readonly string[]): (url: string) => boolean {
  const set = new Set(trustedOrigins);
  return (url) => {
    const origin = originOf(url);
    return origin !== null && set.has(origin);
  };
}
