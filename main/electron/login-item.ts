// Start at login: login items on macOS/Windows, an XDG autostart `.desktop` file on Linux (Electron's login items skip Linux).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { HIDDEN_FLAG } from './background';

/** File name of the autostart entry (`$XDG_CONFIG_HOME/autostart/agentdesk.desktop`). */
export const AUTOSTART_FILE_NAME = 'agentdesk.desktop';

/** What start at login is asked to do. */
export interface LoginItemWish {
  /** The `start_at_login` setting. */
  startAtLogin: boolean;
  /** The `start_hidden` setting: the login launch passes {@link HIDDEN_FLAG}. */
  startHidden: boolean;
}

/** The slice of Electron's `app` used on macOS and Windows. */
export interface LoginItemApp {
  setLoginItemSettings(settings: { openAtLogin: boolean; path?: string; args?: string[] }): void;
}

/**
 * The autostart folder: `$XDG_CONFIG_HOME/autostart`, or `~/.config/autostart` when XDG_CONFIG_HOME is
 * unset, empty or relative (XDG Base Directory spec: relative paths are invalid and must be ignored;
 * XDG Autostart spec: `$XDG_CONFIG_HOME/autostart`).
 */
export function autostartDir(env: Readonly<NodeJS.ProcessEnv>, home: string = os.homedir()): string {
  const xdg = env.XDG_CONFIG_HOME;
  const config = xdg && path.isAbsolute(xdg) ? xdg : path.join(home, '.config');
  return path.join(config, 'autostart');
}

/**
 * The command that launches this app, as argv: the AppImage file when run from one (`APPIMAGE`, set by
 * the AppImage runtime — the mounted `execPath` changes at every run), the executable when packaged,
 * else (development) the Electron binary followed by the app folder; then `args` (a desktop attached
 * to a remote core passes remote-target.ts `remoteArgs`, so a login launch attaches to it again).
 * Each element stays one argument: the Linux autostart entry quotes it ({@link execArg}), Windows gets
 * the array.
 */
export function launchCommand(opts: {
  isPackaged: boolean;
  execPath: string;
  appPath: string;
  env?: NodeJS.ProcessEnv;
  args?: readonly string[];
}): string[] {
  const appImage = opts.env?.APPIMAGE;
  const program = appImage ? [appImage] : opts.isPackaged ? [opts.execPath] : [opts.execPath, opts.appPath];
  return [...program, ...(opts.args ?? [])];
}

/** Characters that force an Exec argument into double quotes (Desktop Entry spec, "The Exec key"). */
const RESERVED = /[\s"'\\><~|&;$*?#()`]/;

/**
 * One Exec argument, quoted and escaped per the Desktop Entry spec: `%` doubled; an argument with a
 * reserved character wrapped in double quotes with `"`, `` ` ``, `$` and `\` backslash-escaped; then
 * every backslash escaped again, because the Exec value is itself a `string` value.
 * @throws Error when the argument holds a newline or another control character (not representable).
 */
export function execArg(arg: string): string {
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f]/.test(arg))
    throw new Error(`A login item command cannot contain control characters: ${JSON.stringify(arg)}`);
  const percent = arg.replace(/%/g, '%%');
  const quoted =
    RESERVED.test(percent) || percent === '' ? `"${percent.replace(/(["`$\\])/g, '\\$1')}"` : percent;
  return quoted.replace(/\\/g, '\\\\');
}

/**
 * The autostart entry (XDG Autostart spec + Desktop Entry spec 1.5): `Exec` is `command` plus
 * {@link HIDDEN_FLAG} when `startHidden`. Ends with a newline.
 * @throws Error from {@link execArg} for an unrepresentable argument.
 */
export function autostartDesktopEntry(command: readonly string[], startHidden: boolean): string {
  const exec = [...command, ...(startHidden ? [HIDDEN_FLAG] : [])].map(execArg).join(' ');
  return [
    '[Desktop Entry]',
    'Type=Application',
    'Version=1.5',
    'Name=Agent Desk',
    'Comment=Keeps your AI agents running in the background',
    `Exec=${exec}`,
    'Icon=agentdesk',
    'Terminal=false',
    'X-GNOME-Autostart-enabled=true',
    '',
  ].join('\n');
}

/**
 * Writes (start at login on) or removes (off) the autostart entry in {@link autostartDir}. Writes
 * atomically (temporary file, then rename), mode 0644; creates the folder when missing. Removing a
 * missing file is not an error.
 * @returns the path of the entry.
 * @throws Error (from fs) when the folder cannot be created or the file written/removed.
 */
export function applyXdgAutostart(
  wish: LoginItemWish,
  command: readonly string[],
  dir: string = autostartDir({}),
): string {
  const file = path.join(dir, AUTOSTART_FILE_NAME);
  if (!wish.startAtLogin) {
    fs.rmSync(file, { force: true });
    return file;
  }
  const content = autostartDesktopEntry(command, wish.startHidden);
  fs.mkdirSync(dir, { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, content, { mode: 0o644 });
  fs.chmodSync(tmp, 0o644); // whatever the umask
  fs.renameSync(tmp, file);
  return file;
}

/**
 * Applies start at login for `platform`: on Linux {@link applyXdgAutostart}; on macOS and Windows
 * `app.setLoginItemSettings(…)` — on Windows `path` is `command[0]` and `args` (Windows only, Electron
 * docs) the rest of `command` then {@link HIDDEN_FLAG} when hidden; macOS takes no arguments (a login
 * launch is told by `wasOpenedAtLogin`, and reattaches to a remote core through the remembered target,
 * remote-target.ts). Other platforms: nothing.
 * @returns where it was applied: the autostart file, `login-item`, or `unsupported`.
 * @throws Error when the autostart file cannot be written.
 */
export function applyLoginItem(opts: {
  platform: NodeJS.Platform;
  wish: LoginItemWish;
  app: LoginItemApp;
  command: readonly string[];
  autostartDir?: string;
}): string {
  const { platform, wish } = opts;
  if (platform === 'linux') return applyXdgAutostart(wish, opts.command, opts.autostartDir);
  if (platform === 'win32') {
    opts.app.setLoginItemSettings({
      openAtLogin: wish.startAtLogin,
      ...(opts.command[0] !== undefined ? { path: opts.command[0] } : {}),
      args: [...opts.command.slice(1), ...(wish.startHidden ? [HIDDEN_FLAG] : [])],
    });
    return 'login-item';
  }
  if (platform === 'darwin') {
    opts.app.setLoginItemSettings({ openAtLogin: wish.startAtLogin });
    return 'login-item';
  }
  return 'unsupported';
}
