// The desktop window on a core elsewhere: the IPC transport's dispatcher and bus, backed by the remote core's HTTP API.
import type { Result } from '../../contract/errors';
import type { Transport } from '../../contract/client';
import { attachRemote } from '../cli/remote';
import type { RemoteCore, RemoteTarget } from '../cli/remote';
import type { CoreEndpoint } from '../cli/core-endpoint';
import { followEvents, httpTransport } from '../cli/http-client';
import type { SshSettings } from '../platform/ssh';
import type { DesktopCore, ShellLog } from './lifecycle';

/** Delay before the event stream of a remote core is opened again after it dropped, in ms. */
export const EVENT_RETRY_MS = 2000;

/** What {@link attachDesktopCore} uses to reach the remote core (replaced in tests). */
export interface RemoteDeps {
  attach: (target: RemoteTarget, ssh: SshSettings) => Promise<RemoteCore>;
  transport: (endpoint: CoreEndpoint) => Transport;
  follow: (
    endpoint: CoreEndpoint,
    deliver: (name: string, payload: unknown) => void,
    signal: AbortSignal,
    onOpen?: () => void,
  ) => Promise<void>;
}

/** A remote core as the desktop shell holds it: a {@link DesktopCore} that also says whether its event stream is open. */
export interface RemoteDesktopCore extends DesktopCore {
  /** `user@host[:port]` (SSH) or `host:port` (TLS). */
  remoteLabel: string;
  /**
   * Calls `listener(true)` each time the event stream opens (the first time, and after every drop: events
   * may have been missed meanwhile, so what the listener holds should be read again) and
   * `listener(false)` when an open stream drops (the core is unreachable until the next `true`).
   * The stream is followed only while some `bus.onAny` listener exists. Returns the unsubscribe function.
   */
  onStream(listener: (open: boolean) => void): () => void;
}

const consoleLog: ShellLog = {
  info: (obj, msg) => console.info(msg, obj),
  warn: (obj, msg) => console.warn(msg, obj),
  error: (obj, msg) => console.error(msg, obj),
  debug: () => undefined,
};

const realDeps: RemoteDeps = {
  attach: attachRemote,
  transport: (e) => httpTransport(e),
  follow: followEvents,
};

/**
 * Attaches the desktop shell to the remote core `target` (an SSH forward the app opens itself, or TLS
 * with a pinned fingerprint: `attachRemote`) and presents it as a {@link DesktopCore}:
 * - `dispatcher.dispatch(channel, input)` is the remote call (the server sees an HTTP caller, so what is
 *   refused over HTTP stays refused); a lost connection answers an `UNAVAILABLE` envelope, never a rejection;
 * - `bus.onAny` follows the remote event stream, opened with the first listener and reopened after
 *   {@link EVENT_RETRY_MS} when it drops; `onStream` reports each open and each drop;
 * - `shutdown()` closes the stream and the forward; the remote core keeps running.
 * @param ssh `dataDir` (this machine's data dir: the shared SSH connection), ssh_config file and environment.
 * @throws SshError, or Error when the remote core is not running (from `attachRemote`).
 */
export async function attachDesktopCore(
  target: RemoteTarget,
  ssh: SshSettings,
  log: ShellLog = consoleLog,
  deps: RemoteDeps = realDeps,
): Promise<RemoteDesktopCore> {
  const remote = await deps.attach(target, ssh);
  const transport = deps.transport(remote.endpoint);
  const listeners = new Set<(name: string, payload: unknown) => void>();
  const streamListeners = new Set<(open: boolean) => void>();
  let stream: AbortController | null = null;
  let stopped = false;
  let open = false;
  const setOpen = (now: boolean): void => {
    if (!now && !open) return; // a retry that failed again is not news; every open is (re-read)
    open = now;
    for (const l of [...streamListeners]) {
      try {
        l(now);
      } catch (err) {
        log.warn({ err }, 'remote core stream listener failed');
      }
    }
  };

  const follow = (): void => {
    if (stream || stopped || listeners.size === 0) return;
    const ctl = new AbortController();
    stream = ctl;
    deps
      .follow(
        remote.endpoint,
        (name, payload) => listeners.forEach((l) => l(name, payload)),
        ctl.signal,
        () => {
          if (!ctl.signal.aborted) setOpen(true);
        },
      )
      .catch((err: unknown) => {
        if (!ctl.signal.aborted) log.warn({ err, core: remote.label }, 'remote core event stream failed');
      })
      .finally(() => {
        if (stream !== ctl) return;
        stream = null;
        if (!stopped && !ctl.signal.aborted) {
          setOpen(false);
          setTimeout(follow, EVENT_RETRY_MS).unref();
        }
      });
  };

  return {
    remoteLabel: remote.label,
    onStream: (listener) => {
      streamListeners.add(listener);
      return () => streamListeners.delete(listener);
    },
    log,
    dispatcher: {
      dispatch: async (channel, input): Promise<Result<unknown>> => {
        try {
          return await transport.invoke(channel, input);
        } catch (err) {
          return {
            ok: false,
            error: {
              code: 'UNAVAILABLE',
              message: `The core at ${remote.label} cannot be reached: ${(err as Error).message}`,
            },
          };
        }
      },
    },
    bus: {
      onAny: (listener) => {
        listeners.add(listener as (name: string, payload: unknown) => void);
        follow();
        return () => {
          listeners.delete(listener as (name: string, payload: unknown) => void);
          if (listeners.size === 0 && stream) {
            stream.abort();
            stream = null;
            open = false; // not followed: the next open is reported again
          }
        };
      },
    },
    shutdown: async () => {
      stopped = true;
      stream?.abort();
      stream = null;
      await remote.close();
    },
  };
}
