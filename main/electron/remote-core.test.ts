// The desktop on a remote core: calls forwarded, events followed and re-followed, errors as envelopes, the shell's system.info names the core; argv parsing of the app binary.
import { describe, expect, it, vi } from 'vitest';
import type { Transport } from '../../contract/client';
import type { RemoteCore, RemoteTarget } from '../cli/remote';
import { commandOf, remoteOf } from '../cli/index';
import { withShellInfo } from './desktop-shell';
import { attachDesktopCore, EVENT_RETRY_MS } from './remote-core';
import type { RemoteDeps } from './remote-core';

const target: RemoteTarget = {
  kind: 'ssh',
  destination: { user: 'deploy', host: 'server', port: 22 },
  command: ['agentdesk'],
  home: null,
};
const ssh = { dataDir: '/tmp/x', configFile: null, env: {} };
const log = { info: vi.fn(), warn: vi.fn(), error: vi.fn(), debug: vi.fn() };

function fakeDeps(over: Partial<RemoteDeps> = {}) {
  const close = vi.fn(() => Promise.resolve());
  const remote: RemoteCore = {
    endpoint: { url: 'http://127.0.0.1:47800', token: 't'.repeat(43), socketPath: '/tmp/s' },
    label: 'deploy@server',
    close,
  };
  const invoke = vi.fn((channel: string, input: unknown) =>
    Promise.resolve({ ok: true as const, value: { channel, input } }),
  );
  const transport: Transport = { invoke, on: () => () => {} };
  const follows: {
    deliver: (n: string, p: unknown) => void;
    signal: AbortSignal;
    end: (err?: Error) => void;
    open: () => void;
  }[] = [];
  const deps: RemoteDeps = {
    attach: vi.fn(() => Promise.resolve(remote)),
    transport: () => transport,
    follow: (_e, deliver, signal, onOpen) =>
      new Promise<void>((resolve, reject) => {
        follows.push({
          deliver,
          signal,
          end: (err) => (err ? reject(err) : resolve()),
          open: () => onOpen?.(),
        });
        signal.addEventListener('abort', () => resolve());
      }),
    ...over,
  };
  return { deps, remote, invoke, close, follows };
}

describe('attachDesktopCore', () => {
  it('forwards calls to the remote core and labels itself with the destination', async () => {
    const f = fakeDeps();
    const core = await attachDesktopCore(target, ssh, log, f.deps);
    expect(f.deps.attach).toHaveBeenCalledWith(target, ssh);
    expect(core.remoteLabel).toBe('deploy@server');
    const r = await core.dispatcher.dispatch('agents.list', {}, { transport: 'ipc' });
    expect(r).toEqual({ ok: true, value: { channel: 'agents.list', input: {} } });
  });

  it('a lost connection answers an UNAVAILABLE envelope naming the core, never a rejection', async () => {
    const f = fakeDeps();
    f.invoke.mockRejectedValueOnce(new Error('socket hang up'));
    const core = await attachDesktopCore(target, ssh, log, f.deps);
    const r = await core.dispatcher.dispatch('agents.list', {}, { transport: 'ipc' });
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error.code).toBe('UNAVAILABLE');
    expect(!r.ok && r.error.message).toMatch(/deploy@server.*socket hang up/);
  });

  it('follows the remote event stream while someone listens, and opens it again after it drops', async () => {
    vi.useFakeTimers();
    try {
      const f = fakeDeps();
      const core = await attachDesktopCore(target, ssh, log, f.deps);
      expect(f.follows).toHaveLength(0);
      const got: [string, unknown][] = [];
      const off = core.bus.onAny((name, payload) => got.push([name, payload]));
      expect(f.follows).toHaveLength(1);
      f.follows[0]!.deliver('agents.changed', { id: 'a' });
      expect(got).toEqual([['agents.changed', { id: 'a' }]]);
      f.follows[0]!.end(new Error('connection reset'));
      await vi.advanceTimersByTimeAsync(EVENT_RETRY_MS + 10);
      expect(f.follows).toHaveLength(2);
      expect(log.warn).toHaveBeenCalled();
      off();
      expect(f.follows[1]!.signal.aborted).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });

  it('reports each open of the stream and a drop once (retries that fail again are not news)', async () => {
    vi.useFakeTimers();
    try {
      const f = fakeDeps();
      const core = await attachDesktopCore(target, ssh, log, f.deps);
      const states: boolean[] = [];
      core.onStream((open) => states.push(open));
      core.bus.onAny(() => {});
      f.follows[0]!.open();
      f.follows[0]!.end(new Error('reset'));
      await vi.advanceTimersByTimeAsync(EVENT_RETRY_MS + 10);
      f.follows[1]!.end(new Error('refused')); // never opened
      await vi.advanceTimersByTimeAsync(EVENT_RETRY_MS + 10);
      f.follows[2]!.open();
      expect(states).toEqual([true, false, true]);
    } finally {
      vi.useRealTimers();
    }
  });

  it('shutdown closes the stream and the forward (the remote core keeps running)', async () => {
    const f = fakeDeps();
    const core = await attachDesktopCore(target, ssh, log, f.deps);
    core.bus.onAny(() => {});
    await core.shutdown();
    expect(f.follows[0]!.signal.aborted).toBe(true);
    expect(f.close).toHaveBeenCalledOnce();
  });
});

describe('withShellInfo', () => {
  it('system.info names the remote core the window shows, or null for this computer', async () => {
    const inner = { dispatch: () => Promise.resolve({ ok: true as const, value: { version: '1' } }) };
    const remote = await withShellInfo(inner, () => null, 'deploy@server').dispatch(
      'system.info',
      {},
      { transport: 'ipc' },
    );
    expect(remote).toEqual({
      ok: true,
      value: { version: '1', tray_available: null, remote_core: 'deploy@server' },
    });
    const local = await withShellInfo(inner, () => true).dispatch('system.info', {}, { transport: 'ipc' });
    expect(local).toEqual({ ok: true, value: { version: '1', tray_available: true, remote_core: null } });
  });
});

describe('the app binary’s arguments', () => {
  it('finds the command after global options and their values', () => {
    expect(commandOf(['--remote', 'ssh://a@b', 'agents', 'list'])).toBe('agents');
    expect(commandOf(['--home', '/x', 'status'])).toBe('status');
    expect(commandOf(['--remote=ssh://a@b'])).toBeUndefined();
    expect(commandOf(['--remote', 'ssh://a@b'])).toBeUndefined();
    expect(commandOf(['--version'])).toBe('--version');
  });

  it('reads the desktop’s remote core from --remote and its companions', () => {
    expect(remoteOf([])).toBeNull();
    expect(remoteOf(['--remote', 'ssh://deploy@server:2222', '--remote-home', '/srv/ad'])).toEqual({
      kind: 'ssh',
      destination: { user: 'deploy', host: 'server', port: 2222 },
      command: ['agentdesk'],
      home: '/srv/ad',
    });
    const fp = `SHA256:${Buffer.alloc(32, 3).toString('base64').replace(/=+$/, '')}`;
    expect(remoteOf(['--remote=https://server:47800', `--fingerprint=${fp}`, '--token-file', '/t'])).toEqual({
      kind: 'tls',
      url: 'https://server:47800',
      fingerprint: fp,
      tokenFile: '/t',
    });
    expect(() => remoteOf(['--remote', 'https://server:47800'])).toThrow(/--fingerprint/);
    expect(() => remoteOf(['--remote', 'http://server:47800'])).toThrow(/plain HTTP/);
    expect(() => remoteOf(['--remote', 'ssh://-oProxyCommand=x@server'])).toThrow();
  });
});
