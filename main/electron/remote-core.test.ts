// The desktop on a remote core: calls forwarded, events followed and re-followed, errors as envelopes, attaching again after a restart (never after a trust refusal), waiting for a server down at launch, the shell's system.info names the core; argv parsing of the app binary.
import { describe, expect, it, vi } from 'vitest';
import type { Transport } from '../../contract/client';
import type { Result } from '../../contract/errors';
import { FingerprintMismatchError } from '../cli/core-endpoint';
import type { CoreEndpoint } from '../cli/core-endpoint';
import { EventStreamRefusedError } from '../cli/http-client';
import { RemoteCoreDownError } from '../cli/remote';
import type { RemoteCore, RemoteTarget } from '../cli/remote';
import { SshError } from '../platform/ssh';
import { commandOf, remoteOf } from '../cli/index';
import { withShellInfo } from './desktop-shell';
import { attachDesktopCore, EVENT_RETRY_MS, REATTACH } from './remote-core';
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

/**
 * A server core whose token changes when it restarts (serve.ts makes a new one per run): each attach
 * reads the current token (a new forward, endpoint n); a call or stream with another token is refused
 * with 401 / UNAUTHORIZED, as the real API does. `down` makes attach fail as a stopped server's would.
 */
function restartingServer() {
  const server = {
    token: 'a'.repeat(43),
    down: null as Error | null,
    attaches: 0,
    closed: [] as number[],
    /** Calls that wait until their forward is closed (to catch one in flight during the swap). */
    hang: false,
  };
  const closers = new Map<string, (() => void)[]>();
  const follows: {
    endpoint: CoreEndpoint;
    signal: AbortSignal;
    end: (err?: Error) => void;
    open: () => void;
  }[] = [];
  const deps: RemoteDeps = {
    attach: vi.fn(() => {
      if (server.down) return Promise.reject(server.down);
      const n = ++server.attaches;
      const socketPath = `/tmp/forward-${n}`;
      closers.set(socketPath, []);
      const remote: RemoteCore = {
        endpoint: { url: `http://127.0.0.1:${47800 + n}`, token: server.token, socketPath },
        label: 'deploy@server',
        close: () => {
          server.closed.push(n);
          closers.get(socketPath)!.forEach((c) => c());
          return Promise.resolve();
        },
      };
      return Promise.resolve(remote);
    }),
    transport: (endpoint) => ({
      invoke: (channel: string): Promise<Result<unknown>> => {
        if (server.hang)
          return new Promise((_resolve, reject) =>
            closers.get(endpoint.socketPath!)!.push(() => reject(new Error('forward closed'))),
          );
        return Promise.resolve(
          endpoint.token === server.token
            ? { ok: true, value: { channel, via: endpoint.socketPath } }
            : { ok: false, error: { code: 'UNAUTHORIZED', message: 'Missing or wrong access token' } },
        );
      },
      on: () => () => {},
    }),
    follow: (endpoint, _deliver, signal, onOpen) =>
      new Promise<void>((resolve, reject) => {
        const f = {
          endpoint,
          signal,
          end: (err?: Error) => (err ? reject(err) : resolve()),
          open: () => onOpen?.(),
        };
        follows.push(f);
        signal.addEventListener('abort', () => resolve());
      }),
  };
  return { server, deps, follows };
}

const fp = (n: number) => `SHA256:${Buffer.alloc(32, n).toString('base64').replace(/=+$/, '')}`;

describe('attaching again to a remote core', () => {
  it('a call answered UNAUTHORIZED (the server restarted) attaches again: the call gets UNAVAILABLE, later calls and the stream work', async () => {
    const s = restartingServer();
    const core = await attachDesktopCore(target, ssh, log, s.deps);
    const states: boolean[] = [];
    core.onStream((o) => states.push(o));
    core.bus.onAny(() => {});
    s.follows[0]!.open();
    expect(await core.dispatcher.dispatch('agents.list', {}, { transport: 'ipc' })).toMatchObject({
      ok: true,
    });

    s.server.token = 'b'.repeat(43); // the server core restarted with a new token
    const r = await core.dispatcher.dispatch('agents.list', {}, { transport: 'ipc' });
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error.code).toBe('UNAVAILABLE');
    expect(!r.ok && r.error.message).toMatch(/deploy@server.*access token/);
    await vi.waitFor(() => expect(s.server.attaches).toBe(2));
    expect(s.server.closed).toEqual([1]); // the old forward is closed
    await vi.waitFor(() => expect(s.follows).toHaveLength(2));
    expect(s.follows[0]!.signal.aborted).toBe(true);
    expect(s.follows[1]!.endpoint.socketPath).toBe('/tmp/forward-2');
    s.follows[1]!.open();
    expect(states).toEqual([true, false, true]); // the reopen is reported: listeners read again
    expect(await core.dispatcher.dispatch('agents.list', {}, { transport: 'ipc' })).toEqual({
      ok: true,
      value: { channel: 'agents.list', via: '/tmp/forward-2' },
    });
    await core.shutdown();
    expect(s.server.closed).toEqual([1, 2]);
  });

  it('the event stream refused with HTTP 401 attaches again without any call', async () => {
    const s = restartingServer();
    const core = await attachDesktopCore(target, ssh, log, s.deps);
    core.bus.onAny(() => {});
    s.follows[0]!.open();
    s.server.token = 'b'.repeat(43);
    s.follows[0]!.end(new Error('socket hang up')); // the old core went away…
    await new Promise((r) => setTimeout(r, 20));
    expect(s.server.attaches).toBe(1); // …a short drop alone is not a reason to attach again
    await vi.waitFor(() => expect(s.follows).toHaveLength(2), { timeout: EVENT_RETRY_MS * 3 });
    s.follows[1]!.end(new EventStreamRefusedError(401)); // …the new one refuses our token
    await vi.waitFor(() => expect(s.server.attaches).toBe(2));
    await vi.waitFor(() => expect(s.follows).toHaveLength(3));
    expect(s.follows[2]!.endpoint.token).toBe('b'.repeat(43));
    await core.shutdown();
  });

  it('calls in flight when the endpoint is swapped get UNAVAILABLE envelopes, never rejections', async () => {
    const s = restartingServer();
    const core = await attachDesktopCore(target, ssh, log, s.deps);
    core.bus.onAny(() => {});
    s.server.hang = true;
    const inFlight = [
      core.dispatcher.dispatch('agents.list', {}, { transport: 'ipc' }),
      core.dispatcher.dispatch('tasks.list', {}, { transport: 'ipc' }),
    ];
    s.server.hang = false;
    s.server.token = 'b'.repeat(43);
    s.follows[0]!.end(new EventStreamRefusedError(401));
    const results = await Promise.all(inFlight);
    for (const r of results) expect(!r.ok && r.error.code).toBe('UNAVAILABLE');
    await vi.waitFor(() => expect(s.server.attaches).toBe(2));
    expect(await core.dispatcher.dispatch('agents.list', {}, { transport: 'ipc' })).toMatchObject({
      ok: true,
    });
    await core.shutdown();
  });

  it('a certificate that is not the pinned one stops everything: no retry, no new attach, a clear error in every call', async () => {
    vi.useFakeTimers();
    try {
      const s = restartingServer();
      const tls: RemoteTarget = {
        kind: 'tls',
        url: 'https://server:47800',
        fingerprint: fp(1),
        tokenFile: '/t',
      };
      const core = await attachDesktopCore(tls, ssh, log, s.deps, { timing: { afterMs: 100 } });
      core.bus.onAny(() => {});
      log.error.mockClear();
      s.follows[0]!.end(new FingerprintMismatchError('server:47800', fp(1), fp(2)));
      await vi.advanceTimersByTimeAsync(REATTACH.maxMs * 3);
      expect(s.follows).toHaveLength(1); // the stream is not opened again
      expect(s.server.attaches).toBe(1); // and nothing attaches again
      expect(log.error).toHaveBeenCalledOnce();
      const r = await core.dispatcher.dispatch('agents.list', {}, { transport: 'ipc' });
      expect(!r.ok && r.error.code).toBe('UNAVAILABLE');
      expect(!r.ok && r.error.message).toContain(`not the pinned ${fp(1)}`);
      expect(!r.ok && r.error.message).toMatch(/does not attach to it again/);
      await core.shutdown();
    } finally {
      vi.useRealTimers();
    }
  });

  it('a changed SSH host key met while attaching again is a refusal: no further attempts', async () => {
    vi.useFakeTimers();
    try {
      const s = restartingServer();
      const core = await attachDesktopCore(target, ssh, log, s.deps);
      core.bus.onAny(() => {});
      s.server.down = new SshError('host-key-changed', 'deploy@server:22', 'host key changed', 'check it');
      s.server.token = 'b'.repeat(43);
      s.follows[0]!.end(new EventStreamRefusedError(401));
      await vi.advanceTimersByTimeAsync(REATTACH.maxMs * 3);
      expect(s.deps.attach).toHaveBeenCalledTimes(2); // the first attach and the one refused
      const r = await core.dispatcher.dispatch('agents.list', {}, { transport: 'ipc' });
      expect(!r.ok && r.error.message).toContain('host key changed');
      await core.shutdown();
    } finally {
      vi.useRealTimers();
    }
  });

  it('attempts back off, doubling up to the bound, and go on at that pace; the count restarts when the core answers', async () => {
    vi.useFakeTimers();
    try {
      const s = restartingServer();
      const timing = { afterMs: 100, firstMs: 1000, maxMs: 8000 };
      const core = await attachDesktopCore(target, ssh, log, s.deps, { timing });
      core.bus.onAny(() => {});
      const at: number[] = [];
      vi.mocked(s.deps.attach).mockImplementation(() => {
        at.push(Date.now());
        return Promise.reject(new RemoteCoreDownError('deploy@server: Agent Desk is not running'));
      });
      const t0 = Date.now();
      s.follows[0]!.end(new EventStreamRefusedError(401));
      await vi.advanceTimersByTimeAsync(60_000);
      const gaps = at.slice(1).map((t, i) => t - at[i]!);
      expect(at[0]! - t0).toBeLessThan(50); // a refused token: the first attempt at once
      expect(gaps.slice(0, 6)).toEqual([1000, 2000, 4000, 8000, 8000, 8000]);
      const r = await core.dispatcher.dispatch('agents.list', {}, { transport: 'ipc' });
      expect(!r.ok && r.error.message).toMatch(/attaching to it again.*not running/);
      // The server is back: the next attempt succeeds, and a later refusal starts from no wait again.
      vi.mocked(s.deps.attach).mockImplementation(() => {
        at.push(Date.now());
        return Promise.resolve({
          endpoint: { url: 'http://127.0.0.1:1', token: s.server.token, socketPath: '/tmp/f' },
          label: 'deploy@server',
          close: () => Promise.resolve(),
        });
      });
      await vi.advanceTimersByTimeAsync(8000);
      expect(await core.dispatcher.dispatch('agents.list', {}, { transport: 'ipc' })).toMatchObject({
        ok: true,
      });
      const before = at.length;
      s.follows.at(-1)!.end(new EventStreamRefusedError(401));
      await vi.advanceTimersByTimeAsync(10);
      expect(at.length).toBe(before + 1);
      await core.shutdown();
    } finally {
      vi.useRealTimers();
    }
  });

  it('a launch while the server is down starts unreachable and attaches once it is up (waitIfDown)', async () => {
    const s = restartingServer();
    s.server.down = new RemoteCoreDownError('deploy@server: Agent Desk is not running for /srv/ad');
    await expect(attachDesktopCore(target, ssh, log, s.deps)).rejects.toThrow(/not running/);
    const core = await attachDesktopCore(target, ssh, log, s.deps, {
      waitIfDown: true,
      timing: { firstMs: 20, maxMs: 40 },
    });
    expect(core.remoteLabel).toBe('deploy@server');
    const states: boolean[] = [];
    core.onStream((o) => states.push(o));
    core.bus.onAny(() => {});
    const r = await core.dispatcher.dispatch('agents.list', {}, { transport: 'ipc' });
    expect(!r.ok && r.error.code).toBe('UNAVAILABLE');
    expect(!r.ok && r.error.message).toMatch(/not running/);
    s.server.down = null;
    await vi.waitFor(() => expect(s.follows).toHaveLength(1));
    s.follows[0]!.open();
    expect(states).toEqual([true]);
    expect(await core.dispatcher.dispatch('agents.list', {}, { transport: 'ipc' })).toMatchObject({
      ok: true,
    });
    await core.shutdown();
  });

  it('a launch refused by trust (unknown host key) still fails loudly with waitIfDown', async () => {
    const s = restartingServer();
    s.server.down = new SshError(
      'host-key-unknown',
      'deploy@server:22',
      'host key unknown',
      'ssh there once',
    );
    await expect(attachDesktopCore(target, ssh, log, s.deps, { waitIfDown: true })).rejects.toThrow(
      /host key unknown/,
    );
    s.server.down = new Error('`agentdesk` is not found on deploy@server');
    await expect(attachDesktopCore(target, ssh, log, s.deps, { waitIfDown: true })).rejects.toThrow(
      /not found/,
    );
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
