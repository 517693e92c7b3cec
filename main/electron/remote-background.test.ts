// The tray, notifications and close-to-tray over a remote core (Electron mocked, the remote API faked behind attachDesktopCore): lists read through the remote calls, kept current by its events, read again after a reconnect, "unreachable" while it is.
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Agent } from '../../contract/agents';
import type { Transport } from '../../contract/client';
import type { Result } from '../../contract/errors';
import type { LlmStatus } from '../../contract/llm';
import type { Settings } from '../../contract/settings';
import { electronMock } from '../../test/electron-mock';
import type { FakeMenu, FakeTray } from '../../test/electron-mock';
import type { RemoteCore, RemoteTarget } from '../cli/remote';
import { startBackground } from './desktop-shell';
import type { BackgroundOptions, BackgroundShell } from './desktop-shell';
import type { DesktopNotice } from './notifications';
import { startRemoteBackgroundCore } from './remote-background';
import type { RemoteBackgroundCore } from './remote-background';
import { attachDesktopCore } from './remote-core';
import type { RemoteDeps } from './remote-core';

const target: RemoteTarget = {
  kind: 'ssh',
  destination: { user: 'deploy', host: 'server', port: 22 },
  command: ['agentdesk'],
  home: null,
};
const log = { info: vi.fn(), warn: vi.fn(), error: vi.fn(), debug: vi.fn() };

const agent = (name: string, phase: Agent['phase']): Agent =>
  ({
    id: `00000000-0000-4000-8000-00000000000${name.length}`,
    name,
    emoji: '🤖',
    phase,
    phase_reason: null,
  }) as Agent;
const llm = (state: string): LlmStatus =>
  ({
    litellm: { state, detail: state, last_error: null },
    gateway: { state: 'listening', detail: '' },
  }) as LlmStatus;

/** The server's side: what its API answers, every call it got, and its event stream(s). */
function fakeServer() {
  const state = {
    agents: [agent('Ada', 'running'), agent('Bob', 'stopped')],
    llm: llm('ready'),
    tasks: [] as unknown[],
    settings: { close_to_tray: false, start_at_login: false, start_hidden: false } as Settings,
    down: false,
  };
  const calls: [string, unknown][] = [];
  const invoke = vi.fn((channel: string, input: unknown): Promise<Result<unknown>> => {
    calls.push([channel, input]);
    if (state.down) return Promise.reject(new Error('connect ECONNREFUSED'));
    const value: unknown =
      channel === 'agents.list'
        ? { agents: state.agents }
        : channel === 'llm.status'
          ? state.llm
          : channel === 'tasks.list'
            ? { tasks: state.tasks }
            : channel === 'settings.get'
              ? state.settings
              : channel === 'agents.start' || channel === 'agents.stop'
                ? agent('Bob', channel === 'agents.start' ? 'starting' : 'stopping')
                : null;
    if (value === null)
      return Promise.resolve({ ok: false, error: { code: 'NOT_FOUND', message: `no ${channel}` } });
    return Promise.resolve({ ok: true, value });
  });
  const transport: Transport = { invoke, on: () => () => {} };
  const streams: {
    deliver: (n: string, p: unknown) => void;
    open: () => void;
    end: (err?: Error) => void;
    signal: AbortSignal;
  }[] = [];
  const remote: RemoteCore = {
    endpoint: { url: 'http://127.0.0.1:47800', token: 't'.repeat(43), socketPath: '/tmp/s' },
    label: 'deploy@server',
    close: () => Promise.resolve(),
  };
  const deps: RemoteDeps = {
    attach: () => Promise.resolve(remote),
    transport: () => transport,
    follow: (_e, deliver, signal, onOpen) =>
      new Promise<void>((resolve, reject) => {
        streams.push({
          deliver,
          open: () => onOpen?.(),
          signal,
          end: (err) => (err ? reject(err) : resolve()),
        });
        signal.addEventListener('abort', () => resolve());
      }),
  };
  /** Reads made of `channel` so far. */
  const reads = (channel: string) => calls.filter(([c]) => c === channel).length;
  return { state, calls, invoke, streams, deps, reads };
}

let shell: BackgroundShell | null = null;
let bg: RemoteBackgroundCore | null = null;
afterEach(() => {
  shell?.dispose();
  bg?.dispose();
  shell = null;
  bg = null;
});

async function start(server = fakeServer(), over: Partial<BackgroundOptions> = {}) {
  const core = await attachDesktopCore(
    target,
    { dataDir: '/tmp/x', configFile: null, env: {} },
    log,
    server.deps,
  );
  bg = await startRemoteBackgroundCore(core);
  const notices: DesktopNotice[] = [];
  const win = { show: vi.fn(), isVisible: vi.fn(() => false), quit: vi.fn() };
  shell = await startBackground(bg, win, {
    platform: 'linux',
    argv: ['agentdesk'],
    trayAvailable: () => Promise.resolve(true),
    app: electronMock.app,
    launchCommand: ['/usr/bin/agentdesk'],
    applyLoginItemAtStart: false,
    notify: (n) => notices.push(n),
    trayDebounceMs: 5,
    coreLostNoticeMs: 50,
    ...over,
  });
  const tray = () => electronMock.Tray.created.at(-1) as FakeTray;
  const menu = () => tray().contextMenu as FakeMenu;
  return { server, core, bg, shell, notices, win, tray, menu };
}

describe('the background half on a remote core', () => {
  it('builds the tray from the remote agents, names the core, and sends Start/Stop to the remote core', async () => {
    const t = await start();
    expect(t.server.reads('agents.list')).toBe(1);
    expect(t.server.reads('llm.status')).toBe(1);
    expect(t.server.reads('tasks.list')).toBe(1);
    expect(t.server.reads('settings.get')).toBe(1);
    expect(t.menu().labels()).toEqual(
      expect.arrayContaining(['Core: deploy@server', '🤖 Ada · running', '🤖 Bob · stopped']),
    );
    expect(t.tray().toolTip).toBe('Agent Desk (deploy@server) — 1 of 2 running');

    t.menu().click('🤖 Bob · stopped', 'Start');
    t.menu().click('🤖 Ada · running', 'Stop');
    await vi.waitFor(() =>
      expect(t.server.calls.filter(([c]) => c === 'agents.start' || c === 'agents.stop')).toEqual([
        ['agents.start', { id: agent('Bob', 'stopped').id }],
        ['agents.stop', { id: agent('Ada', 'running').id }],
      ]),
    );
  });

  it('follows the remote event stream: agents, LLM status and settings events update the tray and close-to-tray', async () => {
    const t = await start();
    expect(t.server.streams).toHaveLength(1);
    t.server.streams[0]!.open();
    t.server.streams[0]!.deliver('agents.changed', { agents: [agent('Ada', 'failed')] });
    await vi.waitFor(() => expect(t.menu().labels()).toContain('🤖 Ada · failed'));
    expect(t.bg.agents.list()).toEqual([agent('Ada', 'failed')]);
    // The notices follow the remote agents too.
    expect(t.notices.map((n) => n.title)).toContain('🤖 Ada failed');

    t.server.streams[0]!.deliver('llm.status', llm('failed'));
    await vi.waitFor(() => expect(t.tray().toolTip).toMatch(/LiteLLM is failed/));

    // close_to_tray comes from the server's settings (false there), then from its settings.changed.
    expect(t.shell.keepRunningWithoutWindows()).toBe(false);
    t.server.streams[0]!.deliver('settings.changed', { ...t.server.state.settings, close_to_tray: true });
    expect(t.shell.keepRunningWithoutWindows()).toBe(true);
  });

  it('says "Core unreachable" when the stream drops (no stale agents), reads every list again when it reopens, and notifies both', async () => {
    const t = await start();
    const s0 = t.server.streams[0]!;
    s0.open();
    await vi.waitFor(() => expect(t.server.reads('agents.list')).toBe(2)); // the open re-reads
    t.server.state.down = true;
    s0.end(new Error('connection reset'));
    await vi.waitFor(() => expect(t.menu().labels()).toContain('⚠ Core unreachable: deploy@server'));
    expect(
      t
        .menu()
        .labels()
        .some((l) => l.includes('Ada')),
    ).toBe(false);
    expect(t.menu().find('Stop all agents').enabled).toBe(false);
    expect(t.tray().toolTip).toBe('Agent Desk (deploy@server) — core unreachable');
    expect((t.tray().image as { source: string }).source).toMatch(/tray-down\.png$/);
    await vi.waitFor(() => expect(t.notices.map((n) => n.title)).toContain('Lost the core at deploy@server'));

    // Meanwhile on the server: Bob was started, Ada removed. The stream comes back (retried by the shell).
    t.server.state.agents = [agent('Bob', 'running')];
    t.server.state.down = false;
    await vi.waitFor(() => expect(t.server.streams).toHaveLength(2), { timeout: 10_000 });
    const readsBefore = t.server.reads('agents.list');
    t.server.streams[1]!.open();
    await vi.waitFor(() => expect(t.menu().labels()).toContain('🤖 Bob · running'));
    expect(t.server.reads('agents.list')).toBe(readsBefore + 1);
    expect(t.server.reads('settings.get')).toBeGreaterThanOrEqual(3);
    expect(t.menu().labels()).not.toContain('⚠ Core unreachable: deploy@server');
    expect(
      t
        .menu()
        .labels()
        .some((l) => l.includes('Ada')),
    ).toBe(false);
    expect(t.notices.map((n) => n.title)).toContain('Back in touch with deploy@server');
  });

  it('a short drop is shown in the tray but not notified', async () => {
    const t = await start(fakeServer(), { coreLostNoticeMs: 60_000 });
    t.server.streams[0]!.open();
    t.server.streams[0]!.end(new Error('reset'));
    await vi.waitFor(() => expect(t.tray().toolTip).toMatch(/core unreachable/));
    await vi.waitFor(() => expect(t.server.streams).toHaveLength(2), { timeout: 10_000 });
    t.server.streams[1]!.open();
    await vi.waitFor(() => expect(t.tray().toolTip).toBe('Agent Desk (deploy@server) — 1 of 2 running'));
    expect(t.notices.filter((n) => /core/.test(n.title))).toEqual([]);
  });

  it('a core that does not answer at start: unreachable, empty lists, close quits (server settings unknown)', async () => {
    const server = fakeServer();
    server.state.down = true;
    const t = await start(server);
    expect(t.bg.remote.reachable()).toBe(false);
    expect(t.bg.agents.list()).toEqual([]);
    expect(t.menu().labels()).toContain('⚠ Core unreachable: deploy@server');
    expect(t.shell.keepRunningWithoutWindows()).toBe(true); // close_to_tray null until read: the platform default
    server.state.down = false;
    await t.bg.reload();
    expect(t.bg.remote.reachable()).toBe(true);
    await vi.waitFor(() => expect(t.menu().labels()).toContain('🤖 Ada · running'));
    expect(t.shell.keepRunningWithoutWindows()).toBe(false);
  });

  it('a list the server refuses (an older core) keeps the others and stays reachable', async () => {
    const server = fakeServer();
    const inner = server.invoke.getMockImplementation()!;
    server.invoke.mockImplementation((channel, input) =>
      channel === 'tasks.list'
        ? Promise.resolve({ ok: false, error: { code: 'NOT_FOUND', message: 'no tasks.list' } })
        : inner(channel, input),
    );
    const t = await start(server);
    expect(t.bg.remote.reachable()).toBe(true);
    expect(t.bg.tasks?.list()).toEqual([]);
    expect(t.menu().labels()).toContain('🤖 Ada · running');
  });

  it('an event that arrives while a read is under way wins over the (older) read', async () => {
    const server = fakeServer();
    const t = await start(server);
    let release: () => void = () => {};
    const inner = server.invoke.getMockImplementation()!;
    server.invoke.mockImplementation((channel, input) =>
      channel === 'agents.list'
        ? new Promise((resolve) => {
            release = () => void inner(channel, input).then(resolve);
          })
        : inner(channel, input),
    );
    const reading = t.bg.reload();
    await vi.waitFor(() =>
      expect(server.invoke.mock.calls.filter(([c]) => c === 'agents.list')).toHaveLength(2),
    );
    server.streams[0]!.deliver('agents.changed', { agents: [agent('Cyd', 'running')] });
    release();
    await reading;
    expect(t.bg.agents.list()).toEqual([agent('Cyd', 'running')]);
  });

  it('an event of the wrong shape is dropped: the tray keeps the last good list and keeps following', async () => {
    const t = await start();
    t.server.streams[0]!.open();
    t.server.streams[0]!.deliver('agents.changed', { agents: 'not a list' });
    t.server.streams[0]!.deliver('llm.status', null);
    expect(t.bg.agents.list()).toHaveLength(2);
    expect(t.bg.llm.status().litellm.state).toBe('ready');
    t.server.streams[0]!.deliver('agents.changed', { agents: [agent('Ada', 'stopped')] });
    await vi.waitFor(() => expect(t.menu().labels()).toContain('🤖 Ada · stopped'));
  });

  it('a server that no longer takes our token (it restarted) is unreachable, not shown with stale agents', async () => {
    const server = fakeServer();
    const t = await start(server);
    server.invoke.mockImplementation(() =>
      Promise.resolve({ ok: false, error: { code: 'UNAUTHORIZED', message: 'Missing or wrong token' } }),
    );
    expect(await t.bg.reload()).toBe(false);
    expect(t.bg.remote.reachable()).toBe(false);
    await vi.waitFor(() => expect(t.menu().labels()).toContain('⚠ Core unreachable: deploy@server'));
  });

  it('offers "Use this computer\'s core" and calls it', async () => {
    const useLocalCore = vi.fn();
    const t = await start(fakeServer(), { useLocalCore });
    t.menu().click("Use this computer's core");
    expect(useLocalCore).toHaveBeenCalledOnce();
  });

  it('dispose stops following: later events change nothing', async () => {
    const t = await start();
    t.bg.dispose();
    t.server.streams[0]?.deliver('agents.changed', { agents: [] });
    expect(t.bg.agents.list()).toHaveLength(2);
  });
});
