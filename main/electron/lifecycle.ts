// Desktop lifecycle: one instance, core started on ready, protocol + IPC + window wired, core shut down once on quit.
import path from 'node:path';
import { app, dialog, ipcMain, net, protocol, session, shell } from 'electron';
import type { BrowserWindow } from 'electron';
import type { Dispatcher } from '../transport/dispatch';
import type { EventBus } from '../platform/event-bus';
import { registerIpcTransport } from '../transport/ipc/ipc-transport';
import { createSenderCheck } from '../transport/ipc/sender-check';
import { resolveUiOrigin, trustedUrlPredicate } from './origin';
import { registerAppScheme, serveAppProtocol } from './protocol';
import { contentSecurityPolicy, hardenSession, installWebContentsGuards } from './security';
import { createMainWindow, focusWindow } from './window';
import { withShellInfo } from './desktop-shell';
import type { BackgroundShell, WindowControls } from './desktop-shell';

/** Log calls the shell makes (the core's pino Logger fits; before it exists, the console is used). */
export interface ShellLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
}

/** What the shell needs of a started core (main/app/bootstrap.ts `Core` fits). */
export interface DesktopCore {
  dispatcher: Pick<Dispatcher, 'dispatch'>;
  bus: Pick<EventBus, 'onAny'>;
  log: ShellLog;
  shutdown(): Promise<void>;
  /** The label of a remote core this window attaches to (`user@host`, `host:port`); absent: this computer's own core. */
  remoteLabel?: string;
}

export interface DesktopOptions<C extends DesktopCore = DesktopCore> {
  /** main/app/bootstrap.ts `startCore`. */
  startCore: (opts: { home: string; mode: 'electron' }) => Promise<C>;
  /** Absolute path of the built preload (`out/preload/index.js`). */
  preloadPath: string;
  /** The built renderer served on `app://agentdesk` (`rendererDir()`). */
  rendererDir: string;
  /**
   * Starts the background half (tray, notifications, login item: desktop-shell.ts `startBackground`)
   * once the core runs. It decides whether the window opens at launch and whether closing the last
   * window keeps the app — and the agents — running. Without it: the window opens, close quits.
   */
  background?: (core: C, window: WindowControls) => Promise<BackgroundShell>;
  /** Environment to read `AGENTDESK_HOME` and `ELECTRON_RENDERER_URL` from (the entry point passes its own). */
  env: Readonly<NodeJS.ProcessEnv>;
  /** Longest wait for `core.shutdown()` before the app exits anyway, in ms (default 15000). */
  shutdownTimeoutMs?: number;
  /** Quit cleanly on SIGINT/SIGTERM (default true; tests turn it off). */
  handleSignals?: boolean;
}

/** How `runDesktop` ended its start: running, handed over to the first instance, or failed to start. */
export type DesktopOutcome = 'running' | 'second-instance' | 'failed';

const consoleLog: ShellLog = {
  info: (obj, msg) => console.info(msg, obj),
  warn: (obj, msg) => console.warn(msg, obj),
  error: (obj, msg) => console.error(msg, obj),
  debug: () => undefined,
};

/**
 * Runs the desktop app. Must be called before Electron's `ready` (it registers the `app:` scheme).
 * 1. `app.requestSingleInstanceLock()`; a second instance quits at once, and the first one brings
 *    its window to the front (`second-instance`).
 * 2. Before ready: privileged `app:` scheme, `app.enableSandbox()`, guards on every webContents;
 *    `AGENTDESK_HOME`, when set, also becomes Electron's `userData`.
 * 3. On ready: `startCore({home, mode:'electron'})` with home = `AGENTDESK_HOME` or `userData`;
 *    then session hardening, the `app://` protocol, the IPC transport, and the main window.
 *    With `background`, the tray & co. start next, and the window is not opened when it says `startHidden`.
 * 4. `window-all-closed` quits unless the background keeps running; `before-quit` is prevented
 *    once, the transport disposed and `core.shutdown()` awaited (bounded), then `app.exit(0)`.
 * A core that fails to start is reported in an error box, then `app.exit(1)`.
 * @returns when the start is over (not when the app quits).
 */
export async function runDesktop<C extends DesktopCore>(opts: DesktopOptions<C>): Promise<DesktopOutcome> {
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return 'second-instance';
  }
  const { env } = opts;
  const ui = resolveUiOrigin({ isPackaged: app.isPackaged, env });
  const isTrustedUrl = trustedUrlPredicate(ui.trustedOrigins);
  const csp = contentSecurityPolicy({ dev: ui.dev });
  let log: ShellLog = consoleLog;
  // Forwards to the console until the core's logger exists, then to it.
  const shellLog: ShellLog = {
    info: (o, m) => log.info(o, m),
    warn: (o, m) => log.warn(o, m),
    error: (o, m) => log.error(o, m),
    debug: (o, m) => log.debug(o, m),
  };

  registerAppScheme(protocol);
  app.enableSandbox();
  installWebContentsGuards(app, {
    isTrustedUrl,
    openExternal: (url) => shell.openExternal(url),
    log: shellLog,
  });
  if (env.AGENTDESK_HOME) app.setPath('userData', path.resolve(env.AGENTDESK_HOME));

  let corePromise: Promise<C> | null = null;
  let core: C | null = null;
  let mainWindow: BrowserWindow | null = null;
  let background: BackgroundShell | null = null;
  const disposers: (() => void)[] = [];

  const getWebContents = () => (mainWindow && !mainWindow.isDestroyed() ? [mainWindow.webContents] : []);
  const showMainWindow = (): void => {
    if (mainWindow && !mainWindow.isDestroyed()) return focusWindow(mainWindow);
    mainWindow = createMainWindow({
      preloadPath: opts.preloadPath,
      entryUrl: ui.entryUrl,
      isTrustedUrl,
      log: shellLog,
    });
    mainWindow.on('closed', () => {
      mainWindow = null;
    });
  };

  // Before the core is up there is no window yet; the one being created will show itself.
  app.on('second-instance', () => {
    if (core) showMainWindow();
  });
  app.on('activate', () => {
    if (core) showMainWindow();
  });
  app.on('window-all-closed', () => {
    if (background?.keepRunningWithoutWindows() === true) return;
    app.quit();
  });

  let quitting: Promise<void> | null = null;
  const shutdownAll = async (): Promise<void> => {
    for (const dispose of disposers.splice(0).reverse()) {
      try {
        dispose();
      } catch (err) {
        log.warn({ err }, 'dispose failed during shutdown');
      }
    }
    const started = core ?? (corePromise ? await corePromise.catch(() => null) : null);
    if (started)
      await withTimeout(started.shutdown(), opts.shutdownTimeoutMs ?? 15_000, () =>
        log.error({}, 'core shutdown timed out; exiting anyway'),
      );
  };
  app.on('before-quit', (event) => {
    event.preventDefault();
    quitting ??= shutdownAll()
      .catch((err: unknown) => log.error({ err }, 'core shutdown failed'))
      .finally(() => app.exit(0));
  });
  if (opts.handleSignals ?? true) {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => app.quit());
  }

  await app.whenReady();
  if (quitting) return 'failed';
  const home = env.AGENTDESK_HOME ? path.resolve(env.AGENTDESK_HOME) : app.getPath('userData');
  try {
    corePromise = opts.startCore({ home, mode: 'electron' });
    core = await corePromise;
  } catch (err) {
    reportStartFailure(err, home);
    app.exit(1);
    return 'failed';
  }
  log = core.log;
  if (quitting) return 'failed';

  try {
    hardenSession(session.defaultSession, { isTrustedUrl, csp, log: shellLog });
    disposers.push(
      serveAppProtocol(protocol, {
        rootDir: opts.rendererDir,
        csp,
        fetchFile: (url) => net.fetch(url),
        log: shellLog,
      }),
    );
    disposers.push(
      registerIpcTransport({
        ipcMain,
        dispatcher: withShellInfo(
          core.dispatcher,
          () => background?.trayAvailable ?? null,
          core.remoteLabel ?? null,
        ),
        bus: core.bus,
        isTrustedSender: createSenderCheck({ trustedOrigins: ui.trustedOrigins, getWebContents }),
        getWebContents,
        log: shellLog,
      }),
    );
    if (opts.background) {
      background = await opts.background(core, {
        show: showMainWindow,
        isVisible: () =>
          !!mainWindow && !mainWindow.isDestroyed() && mainWindow.isVisible() && !mainWindow.isMinimized(),
        quit: () => app.quit(),
      });
      const started = background;
      disposers.push(() => started.dispose());
    }
    if (quitting) {
      background?.dispose(); // the quit ran the disposers before this one was added
      return 'failed';
    }
    if (!background?.startHidden) showMainWindow();
  } catch (err) {
    log.error({ err }, 'desktop shell failed to start');
    reportStartFailure(err, home);
    app.quit(); // shuts the core down through before-quit
    return 'failed';
  }
  log.info({ home, entryUrl: ui.entryUrl }, 'desktop shell started');
  return 'running';
}

function reportStartFailure(err: unknown, home: string): void {
  const message = err instanceof Error ? err.message : String(err);
  console.error('Agent Desk could not start:', err);
  dialog.showErrorBox('Agent Desk could not start', `${message}\n\nData folder: ${home}`);
}

async function withTimeout(work: Promise<void>, ms: number, onTimeout: () => void): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      onTimeout();
      resolve();
    }, ms);
    timer.unref();
  });
  try {
    await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
