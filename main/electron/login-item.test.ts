// Start at login: login-item calls per platform, and the XDG autostart file's exact content and location.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { electronMock } from '../../test/electron-mock';
import {
  applyLoginItem,
  applyXdgAutostart,
  autostartDesktopEntry,
  autostartDir,
  execArg,
  launchCommand,
} from './login-item';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-test-autostart-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('autostartDesktopEntry', () => {
  it('is exactly this for a packaged app started hidden', () => {
    expect(autostartDesktopEntry(['/opt/Agent Desk/agentdesk'], true)).toBe(
      [
        '[Desktop Entry]',
        'Type=Application',
        'Version=1.5',
        'Name=Agent Desk',
        'Comment=Keeps your AI agents running in the background',
        'Exec="/opt/Agent Desk/agentdesk" --hidden',
        'Icon=agentdesk',
        'Terminal=false',
        'X-GNOME-Autostart-enabled=true',
        '',
      ].join('\n'),
    );
  });

  it('has no --hidden when start hidden is off', () => {
    expect(autostartDesktopEntry(['/usr/bin/agentdesk'], false)).toContain('\nExec=/usr/bin/agentdesk\n');
  });

  it('quotes and escapes Exec arguments per the Desktop Entry spec', () => {
    expect(execArg('/usr/bin/agentdesk')).toBe('/usr/bin/agentdesk');
    expect(execArg('/home/me/100%/app')).toBe('/home/me/100%%/app');
    expect(execArg('/home/me/My Apps/Agent$Desk')).toBe('"/home/me/My Apps/Agent\\\\$Desk"');
    expect(execArg('C:\\x')).toBe('"C:\\\\\\\\x"');
    expect(() => execArg('/bad\npath')).toThrow(/control characters/);
  });
});

describe('autostartDir', () => {
  it('uses XDG_CONFIG_HOME when it is absolute, else ~/.config', () => {
    expect(autostartDir({ XDG_CONFIG_HOME: '/cfg' }, '/home/me')).toBe('/cfg/autostart');
    expect(autostartDir({}, '/home/me')).toBe('/home/me/.config/autostart');
    expect(autostartDir({ XDG_CONFIG_HOME: '' }, '/home/me')).toBe('/home/me/.config/autostart');
    expect(autostartDir({ XDG_CONFIG_HOME: 'relative/cfg' }, '/home/me')).toBe('/home/me/.config/autostart');
  });
});

describe('launchCommand', () => {
  it('is the AppImage file, the packaged executable, or electron + app folder in development', () => {
    const base = { execPath: '/opt/agentdesk/agentdesk', appPath: '/src/agentdesk' };
    expect(
      launchCommand({ ...base, isPackaged: true, env: { APPIMAGE: '/home/me/Agent.AppImage' } }),
    ).toEqual(['/home/me/Agent.AppImage']);
    expect(launchCommand({ ...base, isPackaged: true, env: {} })).toEqual(['/opt/agentdesk/agentdesk']);
    expect(launchCommand({ ...base, isPackaged: false })).toEqual([
      '/opt/agentdesk/agentdesk',
      '/src/agentdesk',
    ]);
  });

  it('ends with the remote flags of a desktop attached elsewhere, so a login launch reattaches', () => {
    const args = ['--remote=ssh://deploy@server', '--remote-home=/srv/a d'];
    expect(
      launchCommand({ execPath: '/opt/agentdesk/agentdesk', appPath: '/x', isPackaged: true, args }),
    ).toEqual(['/opt/agentdesk/agentdesk', ...args]);
    expect(autostartDesktopEntry(['/usr/bin/agentdesk', ...args], true)).toContain(
      '\nExec=/usr/bin/agentdesk --remote=ssh://deploy@server "--remote-home=/srv/a d" --hidden\n',
    );
  });
});

describe('applyXdgAutostart', () => {
  it('writes the entry (creating the folder), rewrites it on change, removes it when off', () => {
    const folder = path.join(dir, 'config', 'autostart');
    const file = applyXdgAutostart(
      { startAtLogin: true, startHidden: false },
      ['/usr/bin/agentdesk'],
      folder,
    );
    expect(file).toBe(path.join(folder, 'agentdesk.desktop'));
    expect(fs.readFileSync(file, 'utf8')).toBe(autostartDesktopEntry(['/usr/bin/agentdesk'], false));
    expect(fs.statSync(file).mode & 0o777).toBe(0o644);
    applyXdgAutostart({ startAtLogin: true, startHidden: true }, ['/usr/bin/agentdesk'], folder);
    expect(fs.readFileSync(file, 'utf8')).toContain('Exec=/usr/bin/agentdesk --hidden\n');
    expect(fs.readdirSync(folder)).toEqual(['agentdesk.desktop']);
    applyXdgAutostart({ startAtLogin: false, startHidden: true }, ['/usr/bin/agentdesk'], folder);
    expect(fs.existsSync(file)).toBe(false);
    applyXdgAutostart({ startAtLogin: false, startHidden: false }, ['/usr/bin/agentdesk'], folder); // already gone
  });
});

describe('applyLoginItem per platform', () => {
  const { app } = electronMock;

  it('Linux: writes the autostart file and never calls Electron login items', () => {
    const where = applyLoginItem({
      platform: 'linux',
      wish: { startAtLogin: true, startHidden: true },
      app,
      command: ['/usr/bin/agentdesk'],
      autostartDir: dir,
    });
    expect(where).toBe(path.join(dir, 'agentdesk.desktop'));
    expect(fs.readFileSync(where, 'utf8')).toContain('Exec=/usr/bin/agentdesk --hidden');
    expect(app.setLoginItemSettings).not.toHaveBeenCalled();
  });

  it('Windows: login item with --hidden as its argument when start hidden', () => {
    const apply = (startAtLogin: boolean, startHidden: boolean) =>
      applyLoginItem({
        platform: 'win32',
        wish: { startAtLogin, startHidden },
        app,
        command: [],
        autostartDir: dir,
      });
    expect(apply(true, true)).toBe('login-item');
    expect(app.setLoginItemSettings).toHaveBeenLastCalledWith({ openAtLogin: true, args: ['--hidden'] });
    apply(true, false);
    expect(app.setLoginItemSettings).toHaveBeenLastCalledWith({ openAtLogin: true, args: [] });
    apply(false, false);
    expect(app.getLoginItemSettings().openAtLogin).toBe(false);
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('Windows: the program is the path, the rest of the command (remote flags) its arguments', () => {
    applyLoginItem({
      platform: 'win32',
      wish: { startAtLogin: true, startHidden: true },
      app,
      command: [
        'C:\\Program Files\\Agent Desk\\agentdesk.exe',
        '--remote=https://s:1',
        '--token-file=C:\\t x',
      ],
    });
    expect(app.setLoginItemSettings).toHaveBeenLastCalledWith({
      openAtLogin: true,
      path: 'C:\\Program Files\\Agent Desk\\agentdesk.exe',
      args: ['--remote=https://s:1', '--token-file=C:\\t x', '--hidden'],
    });
  });

  it('macOS: login item on and off', () => {
    applyLoginItem({ platform: 'darwin', wish: { startAtLogin: true, startHidden: true }, app, command: [] });
    expect(app.setLoginItemSettings).toHaveBeenLastCalledWith({ openAtLogin: true });
    expect(app.getLoginItemSettings().openAtLogin).toBe(true);
    applyLoginItem({
      platform: 'darwin',
      wish: { startAtLogin: false, startHidden: true },
      app,
      command: [],
    });
    expect(app.getLoginItemSettings().openAtLogin).toBe(false);
  });

  it('other platforms: nothing', () => {
    expect(
      applyLoginItem({
        platform: 'freebsd',
        wish: { startAtLogin: true, startHidden: false },
        app,
        command: [],
      }),
    ).toBe('unsupported');
    expect(app.setLoginItemSettings).not.toHaveBeenCalled();
  });
});
