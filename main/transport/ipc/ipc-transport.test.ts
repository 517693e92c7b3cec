// The IPC transport: a handler per contract channel, sender checked before the dispatcher, events to trusted windows only.
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { listChannels } from '../../../contract/api';
import type { Result } from '../../../contract/errors';
import { EventBus } from '../../platform/event-bus';
import { electronMock, FakeWebContents, FakeWebFrameMain } from '../../../test/electron-mock';
import { FORBIDDEN_RESULT, registerIpcTransport } from './ipc-transport';
import type { IpcMainLike } from './ipc-transport';
import { createSenderCheck, originOf } from './sender-check';

const APP = 'app://agentdesk';

function setup(opts: { trustedOrigins?: string[] } = {}) {
  const ours = new FakeWebContents();
  ours.mainFrame.url = `${APP}/index.html`;
  const owned: FakeWebContents[] = [ours];
  const dispatch = vi.fn((channel: string): Promise<Result<unknown>> =>
    Promise.resolve({ ok: true, value: `answer of ${channel}` }),
  );
  const bus = new EventBus();
  const log = { warn: vi.fn(), debug: vi.fn() };
  const getWebContents = () => owned;
  const dispose = registerIpcTransport({
    ipcMain: electronMock.ipcMain as unknown as IpcMainLike,
    dispatcher: { dispatch },
    bus,
    isTrustedSender: createSenderCheck({ trustedOrigins: opts.trustedOrigins ?? [APP], getWebContents }),
    getWebContents,
    log,
  });
  return { ours, owned, dispatch, bus, log, dispose };
}

describe('registerIpcTransport', () => {
  let t: ReturnType<typeof setup>;
  beforeEach(() => {
    t = setup();
  });

  it('registers api:<group>.<method> for every channel of the contract, and nothing else', () => {
    const expected = listChannels().map((c) => `api:${c}`);
    expect(expected.length).toBeGreaterThan(0);
    expect([...electronMock.ipcMain.handlers.keys()].sort()).toEqual(expected.sort());
  });

  it.each(listChannels())(
    'dispatches %s from our main frame with the input and transport ipc',
    async (channel) => {
      const input = { probe: channel };
      const result = await electronMock.ipcMain.invoke(
        `api:${channel}`,
        { senderFrame: t.ours.mainFrame, sender: t.ours },
        input,
      );
      expect(result).toEqual({ ok: true, value: `answer of ${channel}` });
      expect(t.dispatch).toHaveBeenCalledWith(channel, input, { transport: 'ipc' });
    },
  );

  it('refuses a frame from another origin without calling the dispatcher', async () => {
    t.ours.mainFrame.url = 'https://evil.example/index.html';
    const result = await electronMock.ipcMain.invoke(
      'api:settings.get',
      { senderFrame: t.ours.mainFrame, sender: t.ours },
      {},
    );
    expect(result).toEqual(FORBIDDEN_RESULT);
    expect(t.dispatch).not.toHaveBeenCalled();
    expect(t.log.warn).toHaveBeenCalledWith(
      expect.objectContaining({ channel: 'api:settings.get', url: 'https://evil.example/index.html' }),
      expect.any(String),
    );
  });

  it('refuses a subframe of our own window, even on our origin', async () => {
    const sub = new FakeWebFrameMain(`${APP}/index.html`, t.ours.mainFrame);
    const result = await electronMock.ipcMain.invoke(
      'api:settings.get',
      { senderFrame: sub, sender: t.ours },
      {},
    );
    expect(result).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect(t.dispatch).not.toHaveBeenCalled();
  });

  it('refuses when there is no sender frame (navigated away or destroyed)', async () => {
    const result = await electronMock.ipcMain.invoke(
      'api:system.info',
      { senderFrame: null, sender: t.ours },
      {},
    );
    expect(result).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect(t.dispatch).not.toHaveBeenCalled();
  });

  it('refuses a detached frame', async () => {
    t.ours.mainFrame.detached = true;
    const result = await electronMock.ipcMain.invoke(
      'api:system.info',
      { senderFrame: t.ours.mainFrame, sender: t.ours },
      {},
    );
    expect(result).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
  });

  it('refuses a webContents that is not one of our windows, even on our origin', async () => {
    const stranger = new FakeWebContents();
    stranger.mainFrame.url = `${APP}/index.html`;
    const result = await electronMock.ipcMain.invoke(
      'api:system.info',
      { senderFrame: stranger.mainFrame, sender: stranger },
      {},
    );
    expect(result).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect(t.dispatch).not.toHaveBeenCalled();
  });

  it.each([
    'file:///etc/passwd',
    'about:blank',
    'app://other/index.html',
    'http://localhost:5173/',
    'devtools://devtools/bundled/x.html',
  ])('refuses a main frame showing %s', async (url) => {
    t.ours.mainFrame.url = url;
    const result = await electronMock.ipcMain.invoke(
      'api:system.info',
      { senderFrame: t.ours.mainFrame, sender: t.ours },
      {},
    );
    expect(result).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect(t.dispatch).not.toHaveBeenCalled();
  });

  it('has no handler for channels outside the contract', async () => {
    await expect(
      electronMock.ipcMain.invoke('api:system.shell', { senderFrame: t.ours.mainFrame, sender: t.ours }, {}),
    ).rejects.toThrow(/No handler/);
  });

  it('forwards bus events to our windows as evt:<name>, payload only', () => {
    const report = { checked_at: 1, components: [] } as never;
    t.bus.emit('health.changed', report);
    expect(t.ours.send).toHaveBeenCalledWith('evt:health.changed', report);
  });

  it('does not send events to a window showing another origin, nor to a destroyed one', () => {
    const foreign = new FakeWebContents();
    foreign.mainFrame.url = 'https://evil.example/';
    const gone = new FakeWebContents();
    gone.mainFrame.url = `${APP}/index.html`;
    gone.destroy();
    t.owned.push(foreign, gone);
    t.bus.emit('settings.changed', {} as never);
    expect(t.ours.send).toHaveBeenCalledTimes(1);
    expect(foreign.send).not.toHaveBeenCalled();
    expect(gone.send).not.toHaveBeenCalled();
  });

  it('keeps delivering to other windows when one send throws', () => {
    const flaky = new FakeWebContents();
    flaky.mainFrame.url = `${APP}/index.html`;
    flaky.send.mockImplementation(() => {
      throw new Error('Render frame was disposed');
    });
    t.owned.unshift(flaky);
    t.bus.emit('settings.changed', {} as never);
    expect(t.ours.send).toHaveBeenCalledTimes(1);
  });

  it('dispose removes every handler and the bus subscription', () => {
    t.dispose();
    t.dispose();
    expect(electronMock.ipcMain.handlers.size).toBe(0);
    expect(t.bus.listenerCount('settings.changed')).toBe(0);
    t.bus.emit('settings.changed', {} as never);
    expect(t.ours.send).not.toHaveBeenCalled();
  });

  it('trusts the dev server origin only when it is listed', async () => {
    t.dispose();
    const dev = setup({ trustedOrigins: [APP, 'http://localhost:5173'] });
    dev.ours.mainFrame.url = 'http://localhost:5173/';
    const result = await electronMock.ipcMain.invoke(
      'api:system.info',
      { senderFrame: dev.ours.mainFrame, sender: dev.ours },
      {},
    );
    expect(result).toMatchObject({ ok: true });
  });
});

describe('originOf', () => {
  it.each([
    ['app://agentdesk/index.html', 'app://agentdesk'],
    ['app://agentdesk', 'app://agentdesk'],
    ['http://localhost:5173/src/main.tsx', 'http://localhost:5173'],
    ['https://example.com:443/x', 'https://example.com'],
    ['file:///etc/passwd', null],
    ['about:blank', null],
    ['data:text/html,hi', null],
    ['not a url', null],
  ])('%s → %s', (url, origin) => {
    expect(originOf(url)).toBe(origin);
  });
});
