// The background half of the desktop shell: tray, notifications, start at login and close-to-tray, wired to a started core.
import type { Settings } from '../../contract/settings';
import type { Result } from '../../contract/errors';
import type { EventBus } from '../platform/event-bus';
import type { Dispatcher } from '../transport/dispatch';
import { keepsRunningOnClose, probeTrayAvailable, startsHidden } from './background';
import { applyLoginItem } from './login-item';
import type { LoginItemApp } from './login-item';
import { NoticeTracker, showDesktopNotice } from './notifications';
import type { DesktopNotice } from './notifications';
import { TrayController } from './tray';
import type { AgentSchedule, TrayAgent, TrayLlm } from './tray-menu';
import type { Task } from '../../contract/tasks';

/** Each agent's soonest next run and running task, from the task list. */
export function scheduleOf(tasks: readonly Task[]): Map<string, AgentSchedule> {
  const m = new Map<string, AgentSchedule>();
  for (const t of tasks) {
    const s = m.get(t.agent_id) ?? { nextRunAt: null, running: null };
    if (t.enabled && t.next_run_at !== null && (s.nextRunAt === null || t.next_run_at < s.nextRunAt))
      s.nextRunAt = t.next_run_at;
    if (t.last_run?.status === 'running') s.running = t.name;
    m.set(t.agent_id, s);
  }
  return m;
}

/** What the background shell needs of a started core (main/app/bootstrap.ts `Core` fits). */
export interface BackgroundCore {
  bus: Pick<EventBus, 'on'>;
  settings: { get(): Pick<Settings, 'close_to_tray' | 'start_at_login' | 'start_hidden'> };
  agents: {
    list(): readonly TrayAgent[];
    start(id: string): Promise<unknown>;
    stop(id: string): Promise<unknown>;
  };
  llm: { status(): TrayLlm & { litellm: { last_error: string | null } } };
  /** Tasks of agents (the tray's next runs and running tasks, notifications of runs); none in older cores. */
  tasks?: { list(): readonly Task[] };
  /** Set when the core is on another machine (remote-background.ts): named in the tray, its reachability shown. */
  remote?: RemoteStatus;
  log: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };
}

/** A remote core as the background half shows it. */
export interface RemoteStatus {
  /** `user@host[:port]` or `host:port`. */
  label: string;
  /** Whether the core can be reached now (its event stream is open and the lists were read). */
  reachable(): boolean;
  /** Calls `listener` at each change of {@link reachable}; returns the unsubscribe function. */
  onReachability(listener: (reachable: boolean) => void): () => void;
}

/** Wait before a lost remote core is notified, in ms: a stream that drops and comes back at once is not news. */
export const CORE_LOST_NOTICE_MS = 10_000;

/** What the shell lends the background half: the main window and quitting. */
export interface WindowControls {
  /** Opens the main window (creates it when closed) and brings it to the front. */
  show(): void;
  /** True when the main window exists, is shown and not minimised. */
  isVisible(): boolean;
  /** Quits the app (agents stop or not per `stop_agents_on_quit`, in the core's shutdown). */
  quit(): void;
}

/** The running background half. */
export interface BackgroundShell {
  /** Whether this desktop shows a tray icon (see background.ts `probeTrayAvailable`). */
  readonly trayAvailable: boolean;
  /** Whether the window stays closed at this launch. */
  readonly startHidden: boolean;
  /** Asked when the last window closes: `true` keeps the app (and agents) running in the tray. */
  keepRunningWithoutWindows(): boolean;
  /** Removes the tray and every subscription. Safe to call twice. */
  dispose(): void;
}

/** Platform facts and seams; defaults are the real ones. */
export interface BackgroundOptions {
  platform?: NodeJS.Platform;
  argv?: readonly string[];
  /** `app.getLoginItemSettings().wasOpenedAtLogin` (macOS). */
  openedAtLogin?: boolean;
  trayAvailable?: () => Promise<boolean>;
  /** Electron's `app` (login items). */
  app: LoginItemApp;
  /** The command a login launch runs (login-item.ts `launchCommand`). */
  launchCommand: readonly string[];
  /** Apply start at login at this launch too (packaged apps: the path may have moved), not only on change. */
  applyLoginItemAtStart: boolean;
  /** Autostart folder override (tests). */
  autostartDir?: string;
  /** Shows a notice (default: Electron `Notification`). */
  notify?: (notice: DesktopNotice, onClick: () => void) => void;
  /** Tray rebuild debounce in ms (tests). */
  trayDebounceMs?: number;
  /** Tray icon folder override (tests). */
  iconDir?: string;
  /** On a remote core: the tray's "Use this computer's core" (forget the remote core, relaunch on this one). */
  useLocalCore?: () => void;
  /** Wait before a lost remote core is notified, in ms (default {@link CORE_LOST_NOTICE_MS}; tests). */
  coreLostNoticeMs?: number;
}

/**
 * Starts the background half: probes the tray (Linux: D-Bus), creates the tray when there is one,
 * follows the bus for notifications, and keeps start at login in step with the settings (applied when
 * `start_at_login` or `start_hidden` changes, and at start when `applyLoginItemAtStart`).
 * Never throws: a login item that cannot be applied is logged.
 */
export async function startBackground(
  core: BackgroundCore,
  win: WindowControls,
  opts: BackgroundOptions,
): Promise<BackgroundShell> {
  const platform = opts.platform ?? process.platform;
  const trayAvailable = await (opts.trayAvailable ?? (() => probeTrayAvailable(platform)))();
  const disposers: (() => void)[] = [];
  const log = core.log;
  const remote = core.remote;

  let tray: TrayController | null = null;
  if (trayAvailable) {
    tray = new TrayController({
      bus: core.bus,
      agents: () => core.agents.list(),
      llm: () => core.llm.status(),
      schedule: () => scheduleOf(core.tasks?.list() ?? []),
      core: remote ? () => ({ label: remote.label, reachable: remote.reachable() }) : undefined,
      debounceMs: opts.trayDebounceMs,
      iconDir: opts.iconDir,
      log,
      actions: {
        open: () => win.show(),
        startAgent: (id) =>
          void core.agents.start(id).catch((err: unknown) => log.warn({ err, id }, 'tray: start failed')),
        stopAgent: (id) =>
          void core.agents.stop(id).catch((err: unknown) => log.warn({ err, id }, 'tray: stop failed')),
        stopAll: () => {
          for (const a of core.agents.list().filter((x) => x.phase === 'running'))
            void core.agents
              .stop(a.id)
              .catch((err: unknown) => log.warn({ err, id: a.id }, 'tray: stop failed'));
        },
        quit: () => win.quit(),
        useLocalCore: remote ? opts.useLocalCore : undefined,
      },
    });
    const t = tray;
    disposers.push(() => t.dispose());
  } else log.info({ platform }, 'no tray on this desktop: closing the window quits');

  const notify = opts.notify ?? showDesktopNotice;
  const notices = new NoticeTracker(
    { notify: (n) => notify(n, () => win.show()), isWindowVisible: () => win.isVisible() },
    { agents: core.agents.list(), llm: core.llm.status() },
  );
  disposers.push(
    core.bus.on('agents.changed', (e) => notices.onAgents(e.agents)),
    core.bus.on('llm.status', (st) => notices.onLlm(st)),
    core.bus.on('tasks.run', (run) => {
      if (run.status !== 'failed' && run.status !== 'succeeded') return;
      const task = core.tasks?.list().find((t) => t.id === run.task_id) ?? null;
      notices.onRun(run, task, core.agents.list().find((a) => a.id === run.agent_id) ?? null);
    }),
    core.bus.on('usage.alert', (alert) =>
      notices.onUsageAlert(alert, core.agents.list().find((a) => a.id === alert.agent_id) ?? null),
    ),
  );

  if (remote) disposers.push(followReachability(remote, tray, (n) => notify(n, () => win.show()), opts, log));

  const applyLogin = (s: Pick<Settings, 'start_at_login' | 'start_hidden'>): void => {
    try {
      const where = applyLoginItem({
        platform,
        wish: { startAtLogin: s.start_at_login, startHidden: s.start_hidden },
        app: opts.app,
        command: opts.launchCommand,
        autostartDir: opts.autostartDir,
      });
      log.info(
        { where, start_at_login: s.start_at_login, start_hidden: s.start_hidden },
        'start at login applied',
      );
    } catch (err) {
      log.warn({ err }, 'start at login could not be applied');
    }
  };
  let login = core.settings.get();
  if (opts.applyLoginItemAtStart) applyLogin(login);
  disposers.push(
    core.bus.on('settings.changed', (s) => {
      if (s.start_at_login !== login.start_at_login || s.start_hidden !== login.start_hidden) applyLogin(s);
      login = s;
    }),
  );

  const startHidden = startsHidden({
    argv: opts.argv ?? process.argv,
    startHiddenSetting: login.start_hidden,
    openedAtLogin: opts.openedAtLogin ?? false,
    trayAvailable,
  });
  let disposed = false;
  return {
    trayAvailable,
    startHidden,
    keepRunningWithoutWindows: () =>
      !disposed && keepsRunningOnClose(core.settings.get().close_to_tray, trayAvailable),
    dispose: () => {
      if (disposed) return;
      disposed = true;
      for (const d of disposers.splice(0).reverse()) d();
    },
  };
}

/**
 * Keeps the tray in step with a remote core's reachability (rendered at once) and notifies a loss that
 * lasts {@link CORE_LOST_NOTICE_MS}, then the return of a core whose loss was notified.
 * @returns the unsubscribe function.
 */
function followReachability(
  remote: RemoteStatus,
  tray: TrayController | null,
  notify: (n: DesktopNotice) => void,
  opts: Pick<BackgroundOptions, 'coreLostNoticeMs'>,
  log: BackgroundCore['log'],
): () => void {
  let lostTimer: NodeJS.Timeout | null = null;
  let lostNotified = false;
  const off = remote.onReachability((reachable) => {
    tray?.render();
    log.info(
      { core: remote.label, reachable },
      reachable ? 'remote core reachable' : 'remote core unreachable',
    );
    if (!reachable) {
      lostTimer ??= setTimeout(() => {
        lostTimer = null;
        if (remote.reachable()) return;
        lostNotified = true;
        notify({
          title: `Lost the core at ${remote.label}`,
          body: 'Agent Desk keeps trying to reach it; the agents there keep running.',
        });
      }, opts.coreLostNoticeMs ?? CORE_LOST_NOTICE_MS);
      lostTimer.unref?.();
      return;
    }
    if (lostTimer) clearTimeout(lostTimer);
    lostTimer = null;
    if (lostNotified) {
      lostNotified = false;
      notify({ title: `Back in touch with ${remote.label}`, body: 'The tray shows its agents again.' });
    }
  });
  return () => {
    off();
    if (lostTimer) clearTimeout(lostTimer);
  };
}

/**
 * Wraps a dispatcher so `system.info` also answers `tray_available` and `remote_core` (known only to
 * the shell: the remote core's label when the window shows a core elsewhere, else `null`; the headless
 * core leaves both out). Every other call passes through unchanged.
 */
export function withShellInfo(
  dispatcher: Pick<Dispatcher, 'dispatch'>,
  trayAvailable: () => boolean | null,
  remoteCore: string | null = null,
): Pick<Dispatcher, 'dispatch'> {
  return {
    dispatch: async (channel, input, ctx): Promise<Result<unknown>> => {
      const result = await dispatcher.dispatch(channel, input, ctx);
      if (
        channel !== 'system.info' ||
        !result.ok ||
        typeof result.value !== 'object' ||
        result.value === null
      )
        return result;
      return {
        ok: true,
        value: { ...result.value, tray_available: trayAvailable(), remote_core: remoteCore },
      };
    },
  };
}
