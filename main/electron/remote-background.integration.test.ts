// The tray over a real `agentdesk serve --tls` (Electron mocked): the desktop attaches with the pinned fingerprint and a token file, remembers the target without the token, builds the tray from the server's agents, follows its events, says when it is gone, comes back by itself when the server core restarts (new token), and refuses a server whose certificate changed.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { electronMock } from '../../test/electron-mock';
import type { FakeMenu, FakeTray } from '../../test/electron-mock';
import { purgeAll } from '../../test/agents';
import { testOptions } from '../../test/app-options';
import { remoteOf } from '../cli/index';
import { serve } from '../cli/serve';
import { FingerprintMismatchError } from '../cli/core-endpoint';
import { tlsDir } from '../transport/http/tls-identity';
import type { Served } from '../cli/serve';
import { call } from '../transport/dispatch';
import { startBackground } from './desktop-shell';
import type { BackgroundShell } from './desktop-shell';
import type { DesktopNotice } from './notifications';
import { startRemoteBackgroundCore } from './remote-background';
import type { RemoteBackgroundCore } from './remote-background';
import { attachDesktopCore } from './remote-core';
import type { RemoteDesktopCore } from './remote-core';
import { chooseDesktopCore, rememberedTargetFile, remoteArgs } from './remote-target';

let serverHome: string;
let clientHome: string;
let served: Served;
/** The same server core started again (same data dir and port) after it was stopped. */
let restarted: Served | null = null;
let tokenFile: string;
let core: RemoteDesktopCore;
let bg: RemoteBackgroundCore;
let shell: BackgroundShell;
const notices: DesktopNotice[] = [];
/** Each open of the remote event stream (true) and each drop (false). */
const streamStates: boolean[] = [];
const log = { info: vi.fn(), warn: vi.fn(), error: vi.fn(), debug: vi.fn() };

beforeAll(async () => {
  serverHome = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-tray-server-'));
  clientHome = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-tray-client-'));
  served = await serve({ home: serverHome, app: testOptions(), port: 0, tls: true, healthIntervalMs: 0 });
}, 120_000);

afterAll(async () => {
  shell?.dispose();
  bg?.dispose();
  await core?.shutdown();
  if (restarted) {
    await purgeAll(restarted.core.dispatcher).catch(() => {});
    await restarted.stop();
  }
  if (served) {
    await purgeAll(served.core.dispatcher).catch(() => {}); // stopped by the last test already
    await served.stop();
  }
  for (const d of [serverHome, clientHome]) if (d) fs.rmSync(d, { recursive: true, force: true });
}, 120_000);

/** The tray made in the first test (the Electron mock forgets created trays before each test). */
let tray: FakeTray;
const menu = () => (tray.contextMenu as FakeMenu).labels();

describe('the desktop’s tray on a real remote core (serve --tls)', () => {
  it('attaches as a launch with --remote would, remembers the target without the token, and builds the tray from the server', async () => {
    tokenFile = path.join(clientHome, 'token');
    fs.writeFileSync(tokenFile, served.token + '\n', { mode: 0o600 });
    const args = [
      '--remote',
      `https://127.0.0.1:${served.http.port}`,
      '--fingerprint',
      served.tls!.fingerprint,
      '--token-file',
      tokenFile,
    ];
    const choice = chooseDesktopCore(clientHome, args, remoteOf(args));
    expect(choice.kind).toBe('remote');
    expect(fs.readFileSync(rememberedTargetFile(clientHome), 'utf8')).not.toContain(served.token);
    // A later launch without flags reattaches to the same core.
    const again = chooseDesktopCore(clientHome, [], null);
    expect(again.kind === 'remote' && remoteArgs(again.target)).toEqual(
      choice.kind === 'remote' && remoteArgs(choice.target),
    );
    if (choice.kind !== 'remote') return;

    core = await attachDesktopCore(
      choice.target,
      { dataDir: clientHome, configFile: null, env: process.env },
      log,
      undefined,
      { timing: { afterMs: 2000, firstMs: 500, maxMs: 4000 } },
    );
    core.onStream((open) => streamStates.push(open));
    bg = await startRemoteBackgroundCore(core);
    expect(bg.remote.reachable()).toBe(true);
    shell = await startBackground(
      bg,
      { show: vi.fn(), isVisible: () => false, quit: vi.fn() },
      {
        platform: 'linux',
        argv: ['agentdesk'],
        trayAvailable: () => Promise.resolve(true),
        app: electronMock.app,
        launchCommand: ['/usr/bin/agentdesk', ...remoteArgs(choice.target)],
        applyLoginItemAtStart: false,
        autostartDir: path.join(clientHome, 'autostart'),
        notify: (n) => notices.push(n),
        trayDebounceMs: 5,
        coreLostNoticeMs: 100,
      },
    );
    tray = electronMock.Tray.created.at(-1) as FakeTray;
    expect(menu()).toContain(`Core: 127.0.0.1:${served.http.port}`);
    expect(menu()).toContain('No agents yet');
    // The server's settings decide close-to-tray (null there: on with a tray).
    expect(bg.settings.get()).toEqual(await call(served.core.dispatcher, 'settings', 'get', {}));
  }, 60_000);

  it('an agent created on the server appears in the tray through the event stream', async () => {
    // Create once the stream is open, so what arrives is the event (no drop, no re-read meanwhile).
    await vi.waitFor(() => expect(streamStates).toEqual([true]), { timeout: 15_000 });
    await call(served.core.dispatcher, 'providers', 'add', {
      type: 'openai-compatible',
      name: 'Nowhere',
      base_url: 'http://127.0.0.1:9/v1',
      probe: false,
    });
    const readsBefore = bg.agents.list().length;
    const created = await call(served.core.dispatcher, 'agents', 'create', {
      name: 'Tray Remote',
      model: 'nowhere/some-model',
    });
    await vi.waitFor(
      () => expect(menu().some((l) => l.startsWith(`${created.emoji} Tray Remote · `))).toBe(true),
      { timeout: 30_000 },
    );
    expect(bg.agents.list().length).toBe(readsBefore + 1);
    expect(streamStates).toEqual([true]);
  }, 60_000);

  it('Start and Stop reach the server (its own refusal comes back)', async () => {
    await expect(bg.agents.start('00000000-0000-4000-8000-000000000000')).rejects.toThrow(
      /not found|no agent/i,
    );
    await expect(bg.agents.stop('00000000-0000-4000-8000-000000000000')).rejects.toThrow(
      /not found|no agent/i,
    );
  });

  it('settings changed on the server change close-to-tray here', async () => {
    await call(served.core.dispatcher, 'settings', 'update', { close_to_tray: false });
    await vi.waitFor(() => expect(shell.keepRunningWithoutWindows()).toBe(false), { timeout: 15_000 });
    await call(served.core.dispatcher, 'settings', 'update', { close_to_tray: true });
    await vi.waitFor(() => expect(shell.keepRunningWithoutWindows()).toBe(true), { timeout: 15_000 });
  }, 40_000);

  it('the server going away shows "Core unreachable" and notifies it', async () => {
    await purgeAll(served.core.dispatcher);
    await served.stop();
    await vi.waitFor(() => expect(menu()).toContain(`⚠ Core unreachable: 127.0.0.1:${served.http.port}`), {
      timeout: 30_000,
    });
    expect(menu().some((l) => l.includes('Tray Remote'))).toBe(false);
    await vi.waitFor(
      () => expect(notices.map((n) => n.title)).toContain(`Lost the core at 127.0.0.1:${served.http.port}`),
      { timeout: 10_000 },
    );
  }, 60_000);

  it('the server core started again (same data dir and port, a new token): the tray comes back by itself once the token file holds the new token', async () => {
    const port = served.http.port;
    restarted = await serve({ home: serverHome, app: testOptions(), port, tls: true, healthIntervalMs: 0 });
    expect(restarted.tls!.fingerprint).toBe(served.tls!.fingerprint); // the certificate is kept
    expect(restarted.token).not.toBe(served.token); // the token is not: serve makes one per run
    const created = await call(restarted.core.dispatcher, 'agents', 'create', {
      name: 'Tray Again',
      model: 'nowhere/some-model',
    });
    const opensBefore = streamStates.filter(Boolean).length;
    // The user copies the new token into the file they gave (`serve --print-connection` on the server).
    fs.writeFileSync(tokenFile, restarted.token + '\n', { mode: 0o600 });
    await vi.waitFor(
      () => expect(menu().some((l) => l.startsWith(`${created.emoji} Tray Again · `))).toBe(true),
      { timeout: 60_000 },
    );
    expect(menu()).not.toContain(`⚠ Core unreachable: 127.0.0.1:${port}`);
    expect(bg.remote.reachable()).toBe(true);
    expect(streamStates.filter(Boolean).length).toBe(opensBefore + 1);
    // The window's calls go through the same core.
    const listed = await core.dispatcher.dispatch('agents.list', {}, { transport: 'ipc' });
    expect(listed.ok).toBe(true);
    expect(JSON.stringify(listed.ok && listed.value)).toContain('Tray Again');
  }, 90_000);

  it('a server that comes back with another certificate is refused: no attach again, the tray stays unreachable, an error says why', async () => {
    const port = served.http.port;
    await purgeAll(restarted!.core.dispatcher);
    await restarted!.stop();
    restarted = null;
    fs.rmSync(tlsDir(serverHome), { recursive: true, force: true }); // a new certificate at the next start
    restarted = await serve({ home: serverHome, app: testOptions(), port, tls: true, healthIntervalMs: 0 });
    expect(restarted.tls!.fingerprint).not.toBe(served.tls!.fingerprint);
    fs.writeFileSync(tokenFile, restarted.token + '\n', { mode: 0o600 }); // even with the right token
    await vi.waitFor(
      () =>
        expect(
          log.error.mock.calls.some(
            ([o, m]) =>
              (o as { err?: unknown }).err instanceof FingerprintMismatchError &&
              String(m).includes('not attaching again'),
          ),
        ).toBe(true),
      { timeout: 60_000 },
    );
    const opens = streamStates.filter(Boolean).length;
    const r = await core.dispatcher.dispatch('agents.list', {}, { transport: 'ipc' });
    expect(!r.ok && r.error.code).toBe('UNAVAILABLE');
    expect(!r.ok && r.error.message).toContain(`not the pinned ${served.tls!.fingerprint}`);
    expect(menu()).toContain(`⚠ Core unreachable: 127.0.0.1:${port}`);
    // Past the longest backoff: still refused, nothing opened.
    await new Promise((resolve) => setTimeout(resolve, 6000));
    expect(streamStates.filter(Boolean).length).toBe(opens);
    expect(bg.remote.reachable()).toBe(false);
  }, 90_000);
});
