// Background decisions: is there a tray on this desktop, does closing the window keep the app, does it start hidden.
import { run } from '../platform/spawn';

/** Runs a command and resolves with its stdout; rejects when it fails (platform/spawn.ts `run` fits). */
export type CommandRunner = (command: string, args: readonly string[]) => Promise<{ stdout: string }>;

/** The D-Bus name a StatusNotifier host (KDE, GNOME's AppIndicator extension, …) owns; Electron's Linux tray uses it. */
export const STATUS_NOTIFIER_WATCHER = 'org.kde.StatusNotifierWatcher';

/** The flag login items and the XDG autostart entry pass when the app should start without its window. */
export const HIDDEN_FLAG = '--hidden';

/**
 * Whether the desktop can show a tray icon. macOS and Windows always can. On Linux, Electron's tray is
 * a StatusNotifierItem, shown only when some process owns {@link STATUS_NOTIFIER_WATCHER} on the session
 * bus (the StatusNotifierItem spec, freedesktop.org); plain GNOME has none unless the AppIndicator
 * extension is on. Asked with `dbus-send … org.freedesktop.DBus.NameHasOwner`, whose reply ends in
 * `boolean true|false`. Any failure (no dbus-send, no session bus, timeout) means "no tray".
 * `busName` is the name asked about (tests ask for one that is always owned).
 * @returns never rejects.
 */
export async function probeTrayAvailable(
  platform: NodeJS.Platform = process.platform,
  runCommand: CommandRunner = (c, a) => run(c, a, { timeoutMs: 3000 }),
  busName: string = STATUS_NOTIFIER_WATCHER,
): Promise<boolean> {
  if (platform !== 'linux') return true;
  try {
    const { stdout } = await runCommand('dbus-send', [
      '--session',
      '--print-reply',
      '--dest=org.freedesktop.DBus',
      '/org/freedesktop/DBus',
      'org.freedesktop.DBus.NameHasOwner',
      `string:${busName}`,
    ]);
    return /\bboolean\s+true\b/.test(stdout);
  } catch {
    return false;
  }
}

/**
 * Whether closing the (last) window keeps the app and its agents running in the tray.
 * Without a tray, never: the user would have no way back, so close quits whatever the setting says.
 * With one, the setting decides; `null` (platform default) means on. That gives the platform defaults:
 * on for macOS and Windows (always a tray), on for Linux only where a tray exists
 * ({@link probeTrayAvailable}).
 */
export function keepsRunningOnClose(setting: boolean | null, trayAvailable: boolean): boolean {
  if (!trayAvailable) return false;
  return setting ?? true;
}

/**
 * Whether the window stays closed at launch (tray only). Only when a tray exists (otherwise the user
 * could not reach the app) and the launch asked for it: `--hidden` in argv (what the Windows login item
 * and the Linux autostart entry pass when `start_hidden` is on), or a macOS login launch while
 * `start_hidden` is on (`app.getLoginItemSettings().wasOpenedAtLogin`).
 */
export function startsHidden(opts: {
  argv: readonly string[];
  startHiddenSetting: boolean;
  openedAtLogin: boolean;
  trayAvailable: boolean;
}): boolean {
  if (!opts.trayAvailable) return false;
  if (opts.argv.includes(HIDDEN_FLAG)) return true;
  return opts.openedAtLogin && opts.startHiddenSetting;
}
