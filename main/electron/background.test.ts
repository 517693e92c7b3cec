// Tray detection (real D-Bus), close-to-tray per setting, platform and tray availability, and start hidden.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { skipUnlessReal } from '../../test/real';
import { run } from '../platform/spawn';
import { keepsRunningOnClose, probeTrayAvailable, startsHidden, STATUS_NOTIFIER_WATCHER } from './background';

describe('probeTrayAvailable', () => {
  it('is always true on macOS and Windows (nothing is asked)', async () => {
    const never = () => Promise.reject(new Error('must not run'));
    await expect(probeTrayAvailable('darwin', never)).resolves.toBe(true);
    await expect(probeTrayAvailable('win32', never)).resolves.toBe(true);
  });

  it('is false on Linux when dbus-send cannot reach a session bus', async () => {
    const env = { ...process.env, DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/agentdesk-test-bus' };
    await expect(probeTrayAvailable('linux', (c, a) => run(c, a, { env, timeoutMs: 5000 }))).resolves.toBe(
      false,
    );
  });

  it('is false on Linux when dbus-send is not installed', async () => {
    await expect(
      probeTrayAvailable('linux', (_c, a) => run('/nonexistent/dbus-send', a, { timeoutMs: 5000 })),
    ).resolves.toBe(false);
  });
});

describe.skipIf(skipUnlessReal(existsSync('/usr/bin/dbus-daemon'), 'dbus-daemon (package dbus)'))(
  'probeTrayAvailable against a real session bus',
  () => {
    let daemon: ChildProcess;
    let address = '';
    const onBus = (c: string, a: readonly string[]) =>
      run(c, a, { env: { ...process.env, DBUS_SESSION_BUS_ADDRESS: address }, timeoutMs: 5000 });

    beforeAll(async () => {
      daemon = spawn('dbus-daemon', ['--session', '--nofork', '--print-address=1'], {
        stdio: ['ignore', 'pipe', 'ignore'],
      });
      address = await new Promise<string>((resolve, reject) => {
        daemon.once('error', reject);
        daemon.stdout!.setEncoding('utf8').once('data', (line: string) => resolve(line.trim()));
      });
    });
    afterAll(() => {
      daemon?.kill('SIGTERM');
    });

    it('is false when nobody owns org.kde.StatusNotifierWatcher (plain GNOME)', async () => {
      await expect(probeTrayAvailable('linux', onBus, STATUS_NOTIFIER_WATCHER)).resolves.toBe(false);
    });

    it('is true when the name is owned (asked for the bus own name, always owned)', async () => {
      await expect(probeTrayAvailable('linux', onBus, 'org.freedesktop.DBus')).resolves.toBe(true);
    });
  },
);

describe('keepsRunningOnClose', () => {
  it.each([
    // setting, tray available, keeps running
    [null, true, true],
    [true, true, true],
    [false, true, false],
    [null, false, false],
    [true, false, false],
    [false, false, false],
  ] as const)('close_to_tray=%s, tray available=%s → keeps running %s', (setting, tray, expected) => {
    expect(keepsRunningOnClose(setting, tray)).toBe(expected);
  });

  it('gives the platform defaults: on for macOS and Windows, on Linux only with a tray', async () => {
    const noBus = () => Promise.reject(new Error('no session bus'));
    const defaultFor = async (platform: NodeJS.Platform) =>
      keepsRunningOnClose(null, await probeTrayAvailable(platform, noBus));
    expect(await defaultFor('darwin')).toBe(true);
    expect(await defaultFor('win32')).toBe(true);
    expect(await defaultFor('linux')).toBe(false);
    const watcherOwned = () =>
      Promise.resolve({ stdout: 'method return time=1 sender=org.freedesktop.DBus\n   boolean true\n' });
    expect(keepsRunningOnClose(null, await probeTrayAvailable('linux', watcherOwned))).toBe(true);
  });
});

describe('startsHidden', () => {
  const base = { argv: ['agentdesk'], startHiddenSetting: false, openedAtLogin: false, trayAvailable: true };
  it('starts hidden with --hidden (login launch on Linux and Windows)', () => {
    expect(startsHidden({ ...base, argv: ['agentdesk', '--hidden'] })).toBe(true);
  });
  it('starts hidden on a macOS login launch while start_hidden is on', () => {
    expect(startsHidden({ ...base, openedAtLogin: true, startHiddenSetting: true })).toBe(true);
    expect(startsHidden({ ...base, openedAtLogin: true, startHiddenSetting: false })).toBe(false);
  });
  it('opens the window on a normal launch, even with start_hidden on', () => {
    expect(startsHidden({ ...base, startHiddenSetting: true })).toBe(false);
  });
  it('never starts hidden without a tray: the user could not reach the app', () => {
    expect(startsHidden({ ...base, argv: ['agentdesk', '--hidden'], trayAvailable: false })).toBe(false);
  });
});
