// The main window: created hardened, loads the UI, shows itself when the first paint is ready.
import { BrowserWindow, shell } from 'electron';
import { hardenWebContents, secureWebPreferences } from './security';

export interface MainWindowOptions {
  /** Absolute path of the built preload (`out/preload/index.js`). */
  preloadPath: string;
  /** What to load: `app://agentdesk/index.html`, or the dev server URL (see origin.ts). */
  entryUrl: string;
  /** True when `url` is on a trusted origin (navigation guard). */
  isTrustedUrl: (url: string) => boolean;
  log: { warn(obj: object, msg: string): void; error(obj: object, msg: string): void };
}

/**
 * Creates the single main window with {@link secureWebPreferences}, guards its webContents
 * (idempotent with the app-wide `web-contents-created` guard), loads `entryUrl`, and shows it on
 * `ready-to-show` so no blank frame flashes. A failed load or a crashed renderer is logged.
 */
export function createMainWindow(opts: MainWindowOptions): BrowserWindow {
  const win = new BrowserWindow({
    width: 1280,
    height: 820,
    minWidth: 880,
    minHeight: 560,
    show: false,
    title: 'Agent Desk',
    backgroundColor: '#111318',
    autoHideMenuBar: true,
    webPreferences: secureWebPreferences(opts.preloadPath),
  });
  hardenWebContents(win.webContents, {
    isTrustedUrl: opts.isTrustedUrl,
    openExternal: (url) => shell.openExternal(url),
    log: opts.log,
  });
  win.once('ready-to-show', () => win.show());
  win.webContents.on('render-process-gone', (_event, details) => {
    opts.log.error({ reason: details.reason, exitCode: details.exitCode }, 'renderer process gone');
  });
  win
    .loadURL(opts.entryUrl)
    .catch((err: unknown) => opts.log.error({ err, url: opts.entryUrl }, 'main window failed to load'));
  return win;
}

/** Brings `win` to the front: restores it if minimised, shows it if hidden, focuses it. */
export function focusWindow(
  win: Pick<BrowserWindow, 'isMinimized' | 'restore' | 'isVisible' | 'show' | 'focus'>,
): void {
  if (win.isMinimized()) win.restore();
  if (!win.isVisible()) win.show();
  win.focus();
}
