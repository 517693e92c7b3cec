// The background half on a real core (SQLite, settings, bus): tray, notifications, login item in step with settings.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Agent } from '../../contract/agents';
import { electronMock } from '../../test/electron-mock';
import type { FakeMenu, FakeTray } from '../../test/electron-mock';
import { startCore } from '../app/bootstrap';
import type { Core } from '../app/bootstrap';
import { startBackground, withShellInfo } from './desktop-shell';
import type { BackgroundOptions, BackgroundShell } from './desktop-shell';
import type { DesktopNotice } from './notifications';
import { testOptions } from '../../test/app-options';

let home: string;
let core: Core;
let shell: BackgroundShell | null = null;
/** Resolves on the core's own first `agents.changed` (after it reconciled the runtimes), so a test's events come later. */
let agentsSettled: Promise<unknown>;

beforeEach(async () => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-test-shell-'));
  core = await startCore({
    home: path.join(home, 'data'),
    app: testOptions(),
    mode: 'electron',
    healthIntervalMs: 0,
    log: pino({ level: 'silent' }),
  });
  agentsSettled = new Promise((resolve) => {
    const off = core.bus.on('agents.changed', (e) => {
      off();
      resolve(e);
    });
  });
});
afterEach(async () => {
  shell?.dispose();
  shell = null;
  await core.shutdown();
  fs.rmSync(home, { recursive: true, force: true });
});

function windowControls(visible = true) {
  return { show: vi.fn(), isVisible: vi.fn(() => visible), quit: vi.fn() };
}

async function start(over: Partial<BackgroundOptions> = {}, win = windowControls()) {
  const notices: DesktopNotice[] = [];
  shell = await startBackground(core, win, {
    platform: 'linux',
    argv: ['agentdesk'],
    trayAvailable: () => Promise.resolve(true),
    app: electronMock.app,
    launchCommand: ['/usr/bin/agentdesk'],
    applyLoginItemAtStart: false,
    autostartDir: path.join(home, 'autostart'),
    notify: (n) => notices.push(n),
    trayDebounceMs: 5,
    ...over,
  });
  return { shell, notices, win };
}

const agent = (name: string, phase: Agent['phase']): Agent =>
  ({ id: `id-${name}`, name, emoji: '🤖', phase, phase_reason: null }) as Agent;

describe('startBackground on a real core', () => {
  it('with a tray: menu from the core, live updates, close keeps running per close_to_tray', async () => {
    await agentsSettled;
    const { shell: s, win } = await start();
    const tray = electronMock.Tray.created[0] as FakeTray;
    expect((tray.contextMenu as FakeMenu).labels()).toContain('No agents yet');
    core.bus.emit('agents.changed', { agents: [agent('Ada', 'running')] });
    await vi.waitFor(() => expect((tray.contextMenu as FakeMenu).labels()).toContain('🤖 Ada · running'));
    (tray.contextMenu as FakeMenu).click('Open Agent Desk');
    (tray.contextMenu as FakeMenu).click('Quit Agent Desk');
    expect(win.show).toHaveBeenCalled();
    expect(win.quit).toHaveBeenCalled();

    expect(s.keepRunningWithoutWindows()).toBe(true); // close_to_tray null: on with a tray
    core.settings.update({ close_to_tray: false });
    expect(s.keepRunningWithoutWindows()).toBe(false);
  });

  it('without a tray: no tray icon, close quits whatever the setting, never starts hidden', async () => {
    core.settings.update({ close_to_tray: true });
    const { shell: s } = await start({
      trayAvailable: () => Promise.resolve(false),
      argv: ['agentdesk', '--hidden'],
    });
    expect(electronMock.Tray.created).toHaveLength(0);
    expect(s.trayAvailable).toBe(false);
    expect(s.keepRunningWithoutWindows()).toBe(false);
    expect(s.startHidden).toBe(false);
  });

  it('starts hidden with --hidden when a tray exists', async () => {
    const { shell: s } = await start({ argv: ['agentdesk', '--hidden'] });
    expect(s.startHidden).toBe(true);
  });

  it('notifies an agent failure and a LiteLLM failure from the bus; a click opens the window', async () => {
    const win = windowControls(false);
    const clicks: (() => void)[] = [];
    const notices: DesktopNotice[] = [];
    await agentsSettled;
    shell = await startBackground(core, win, {
      platform: 'linux',
      trayAvailable: () => Promise.resolve(false),
      app: electronMock.app,
      launchCommand: [],
      applyLoginItemAtStart: false,
      notify: (n, onClick) => {
        notices.push(n);
        clicks.push(onClick);
      },
    });
    core.bus.emit('agents.changed', { agents: [agent('Ada', 'running')] });
    core.bus.emit('agents.changed', { agents: [agent('Ada', 'failed')] });
    const st = core.llm.status();
    core.bus.emit('llm.status', {
      ...st,
      litellm: { ...st.litellm, state: 'failed', last_error: 'crashed 5 times' },
    });
    expect(notices.map((n) => n.title)).toEqual(['🤖 Ada failed', 'LiteLLM failed']);
    clicks[0]!();
    expect(win.show).toHaveBeenCalledTimes(1);
  });

  it('keeps the XDG autostart file in step with start_at_login and start_hidden (Linux)', async () => {
    await start();
    const file = path.join(home, 'autostart', 'agentdesk.desktop');
    expect(fs.existsSync(file)).toBe(false);
    core.settings.update({ start_at_login: true });
    expect(fs.readFileSync(file, 'utf8')).toContain('\nExec=/usr/bin/agentdesk\n');
    core.settings.update({ start_hidden: true });
    expect(fs.readFileSync(file, 'utf8')).toContain('\nExec=/usr/bin/agentdesk --hidden\n');
    core.settings.update({ start_at_login: false });
    expect(fs.existsSync(file)).toBe(false);
  });

  it('calls Electron login items on Windows when start at login changes, and at start when asked', async () => {
    core.settings.update({ start_at_login: true, start_hidden: true });
    await start({ platform: 'win32', applyLoginItemAtStart: true });
    expect(electronMock.app.setLoginItemSettings).toHaveBeenLastCalledWith({
      openAtLogin: true,
      path: '/usr/bin/agentdesk',
      args: ['--hidden'],
    });
    core.settings.update({ start_at_login: false });
    expect(electronMock.app.setLoginItemSettings).toHaveBeenLastCalledWith({
      openAtLogin: false,
      path: '/usr/bin/agentdesk',
      args: ['--hidden'],
    });
    core.settings.update({ theme: 'dark' });
    expect(electronMock.app.setLoginItemSettings).toHaveBeenCalledTimes(2);
  });

  it('after dispose, the tray is gone and the bus reaches nothing', async () => {
    await agentsSettled;
    const { shell: s, notices } = await start();
    s.dispose();
    expect((electronMock.Tray.created[0] as FakeTray).isDestroyed()).toBe(true);
    core.bus.emit('agents.changed', { agents: [agent('Ada', 'failed')] });
    expect(notices).toEqual([]);
    expect(s.keepRunningWithoutWindows()).toBe(false);
  });
});

describe('withShellInfo', () => {
  it('adds tray_available to system.info and passes every other call through', async () => {
    const d = withShellInfo(core.dispatcher, () => false);
    const info = await d.dispatch('system.info', {}, { transport: 'internal' });
    expect(info).toMatchObject({ ok: true, value: { mode: 'electron', tray_available: false } });
    const settings = await d.dispatch('settings.get', {}, { transport: 'internal' });
    expect(settings).toMatchObject({ ok: true, value: { theme: 'system' } });
    expect(settings.ok && 'tray_available' in (settings.value as object)).toBe(false);
  });
});
