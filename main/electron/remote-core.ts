// The desktop window on a core elsewhere: the IPC transport's dispatcher and bus, backed by the remote core's HTTP API.
import type { Result } from '../../contract/errors';
import type { Transport } from '../../contract/client';
import { attachRemote, RemoteCoreDownError, remoteLabel } from '../cli/remote';
import type { RemoteCore, RemoteTarget } from '../cli/remote';
import type { CoreEndpoint } from '../cli/core-endpoint';
import { FingerprintMismatchError } from '../cli/core-endpoint';
import { EventStreamRefusedError, followEvents, httpTransport } from '../cli/http-client';
import { SshError } from '../platform/ssh';
import type { SshFailure, SshSettings } from '../platform/ssh';
import type { DesktopCore, ShellLog } from './lifecycle';

/** Delay before the event stream of a remote core is opened again after it dropped, in ms. */
export const EVENT_RETRY_MS = 2000;

/** When and how often {@link attachDesktopCore} attaches again (all in ms). */
export interface ReattachTiming {
  /** The core unreachable this long (event stream down, calls failing) → attach again. Default 10 s. */
  afterMs: number;
  /** Wait before the second attempt in a row; doubled at each further attempt. Default 1 s. */
  firstMs: number;
  /** The longest wait between two attempts: the backoff is bounded by it, attempts go on at this pace. Default 60 s. */
  maxMs: number;
}

/** Defaults of {@link ReattachTiming}. */
export const REATTACH: ReattachTiming = { afterMs: 10_000, firstMs: 1000, maxMs: 60_000 };

/** Options of {@link attachDesktopCore}. */
export interface AttachOptions {
  /**
   * When the first attach fails because the server is down (its core not serving, the host unreachable),
   * start unreachable and keep attaching instead of throwing. A refusal (host key, fingerprint,
   * authentication) still throws.
   */
  waitIfDown?: boolean;
  timing?: Partial<ReattachTiming>;
}

/** SSH failures that are a refusal by the user's own trust settings: never retried silently. */
const REFUSED_SSH: ReadonlySet<SshFailure> = new Set([
  'host-key-changed',
  'host-key-unknown',
  'auth',
  'destination',
]);

/**
 * Whether `err` means "this may not be the server the user trusts" (TLS certificate not the pinned one,
 * SSH host key changed or unknown) or "the user's credentials are refused": attaching again would only
 * repeat it, or worse, succeed against another server after the user was shown nothing.
 */
function isRefusal(err: unknown): boolean {
  return err instanceof FingerprintMismatchError || (err instanceof SshError && REFUSED_SSH.has(err.failure));
}

/** Whether a failed first attach means "the server is down for now" (worth waiting for). */
function isDown(err: unknown): boolean {
  return err instanceof RemoteCoreDownError || (err instanceof SshError && err.failure === 'unreachable');
}

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
 *   refused over HTTP stays refused); a lost connection, a refused token or a call made while attaching
 *   again answers an `UNAVAILABLE` envelope naming the core, never a rejection;
 * - `bus.onAny` follows the remote event stream, opened with the first listener and reopened after
 *   {@link EVENT_RETRY_MS} when it drops; `onStream` reports each open and each drop;
 * - attaches again by itself (`deps.attach` anew: over SSH `serve --print-connection` and a new forward,
 *   so a new port and token; over TLS the token file read again, the same pinned fingerprint) when the
 *   core refuses the token (a call answered `UNAUTHORIZED`, the stream HTTP 401: a restarted server core
 *   makes a new token, serve.ts `newToken`) or has been unreachable for `timing.afterMs`. The old
 *   forward is closed first; the new endpoint is swapped under the dispatcher and the stream, whose next
 *   open `onStream` reports (listeners re-read). Attempts in a row wait `firstMs`, doubling up to
 *   `maxMs`, and go on at that pace; the count restarts when the core answers again;
 * - never attaches again after a refusal of trust (the certificate is not the pinned one, the SSH host
 *   key changed or is unknown, SSH authentication refused): it logs an error and every call then
 *   answers `UNAVAILABLE` with that reason, until the app is started again;
 * - `shutdown()` closes the stream and the forward; the remote core keeps running.
 * @param ssh `dataDir` (this machine's data dir: the shared SSH connection), ssh_config file and environment.
 * @throws SshError, or Error when the remote core is not running (from `attachRemote`); with
 *   `opts.waitIfDown`, only a failure that is not "the server is down" (see {@link AttachOptions}).
 */
export async function attachDesktopCore(
  target: RemoteTarget,
  ssh: SshSettings,
  log: ShellLog = consoleLog,
  deps: RemoteDeps = realDeps,
  opts: AttachOptions = {},
): Promise<RemoteDesktopCore> {
  const timing: ReattachTiming = { ...REATTACH, ...opts.timing };
  const label = remoteLabel(target);
  /** The attached core, or null while (re)attaching or waiting for a server that was down. */
  let remote: RemoteCore | null = null;
  let transport: Transport | null = null;
  /** Why the core cannot be used now (shown in envelopes), or null. */
  let problem: string | null = null;
  /** A refusal of trust: no more attempts, ever. */
  let refused: Error | null = null;
  try {
    remote = await deps.attach(target, ssh);
    transport = deps.transport(remote.endpoint);
  } catch (err) {
    if (!opts.waitIfDown || !isDown(err)) throw err;
    problem = (err as Error).message;
    log.warn({ err, core: label }, 'remote core is down at start: waiting for it');
  }
  const listeners = new Set<(name: string, payload: unknown) => void>();
  const streamListeners = new Set<(open: boolean) => void>();
  let stream: AbortController | null = null;
  let stopped = false;
  let open = false;
  /** When the core was first seen unreachable since it last answered (ms since epoch), or null. */
  let downSince: number | null = null;
  /** Attempts to attach again since the core last answered. */
  let attempts = 0;
  let reattaching = false;
  let retryTimer: NodeJS.Timeout | null = null;
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

  const answered = (): void => {
    downSince = null;
    attempts = 0;
    problem = null;
  };

  const refuse = (err: Error): void => {
    if (refused) return;
    refused = err;
    log.error({ err, core: label }, 'remote core refused: not attaching again');
    if (retryTimer) clearTimeout(retryTimer);
    stream?.abort();
    stream = null;
    setOpen(false);
  };

  /** The core is unreachable (or refuses the token: `now`): attach again when it has been for long enough. */
  const unreachable = (now: boolean): void => {
    downSince ??= Date.now();
    if (now || Date.now() - downSince >= timing.afterMs) reattach();
  };

  const follow = (): void => {
    if (stream || stopped || refused || !remote || listeners.size === 0) return;
    const ctl = new AbortController();
    stream = ctl;
    let tokenRefused = false;
    deps
      .follow(
        remote.endpoint,
        (name, payload) => listeners.forEach((l) => l(name, payload)),
        ctl.signal,
        () => {
          if (ctl.signal.aborted) return;
          answered();
          setOpen(true);
        },
      )
      .catch((err: unknown) => {
        if (ctl.signal.aborted) return;
        if (isRefusal(err)) return refuse(err as Error);
        tokenRefused = err instanceof EventStreamRefusedError && err.status === 401;
        log.warn({ err, core: label }, 'remote core event stream failed');
      })
      .finally(() => {
        if (stream !== ctl) return;
        stream = null;
        if (!stopped && !refused && !ctl.signal.aborted) {
          setOpen(false);
          unreachable(tokenRefused);
          if (!reattaching) setTimeout(follow, EVENT_RETRY_MS).unref();
        }
      });
  };

  /** Lets go of the current endpoint and attaches again, with backoff; a no-op while one runs. */
  function reattach(): void {
    if (reattaching || stopped || refused) return;
    reattaching = true;
    const wait = attempts === 0 ? 0 : Math.min(timing.firstMs * 2 ** (attempts - 1), timing.maxMs);
    attempts++;
    retryTimer = setTimeout(() => void attempt(), wait);
    retryTimer.unref();
  }

  async function attempt(): Promise<void> {
    retryTimer = null;
    const old = remote;
    remote = null;
    transport = null;
    stream?.abort();
    stream = null;
    setOpen(false);
    if (old)
      await old
        .close()
        .catch((err: unknown) => log.warn({ err, core: label }, 'closing the old forward failed'));
    let next: RemoteCore | null = null;
    try {
      if (!stopped && !refused) next = await deps.attach(target, ssh);
    } catch (err) {
      reattaching = false;
      if (isRefusal(err)) return refuse(err as Error);
      problem = (err as Error).message;
      log.warn({ err, core: label, attempts }, 'attaching to the remote core again failed');
      return reattach();
    }
    reattaching = false;
    if (!next) return;
    if (stopped) {
      await next.close();
      return;
    }
    remote = next;
    transport = deps.transport(next.endpoint);
    log.info({ core: label, attempts }, 'attached to the remote core again');
    follow();
  }

  if (!remote) {
    // Down at start: the first attempt waits like a second one.
    downSince = Date.now();
    attempts = 1;
    reattach();
  }

  const unavailable = (why: string): Result<unknown> => ({
    ok: false,
    error: { code: 'UNAVAILABLE', message: `The core at ${label} cannot be reached: ${why}` },
  });

  return {
    remoteLabel: label,
    onStream: (listener) => {
      streamListeners.add(listener);
      return () => streamListeners.delete(listener);
    },
    log,
    dispatcher: {
      dispatch: async (channel, input): Promise<Result<unknown>> => {
        if (refused)
          return unavailable(
            `${refused.message} Agent Desk does not attach to it again: start the app again once this is settled.`,
          );
        const t = transport;
        if (!t) return unavailable(`attaching to it again${problem ? ` (last: ${problem})` : ''}`);
        let r: Result<unknown>;
        try {
          r = await t.invoke(channel, input);
        } catch (err) {
          if (isRefusal(err)) {
            refuse(err as Error);
            return unavailable((err as Error).message);
          }
          unreachable(false);
          return unavailable((err as Error).message);
        }
        if (!r.ok && r.error.code === 'UNAUTHORIZED') {
          unreachable(true);
          return unavailable(
            'it refused this desktop’s access token (a restarted core makes a new one); attaching again',
          );
        }
        answered();
        return r;
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
      if (retryTimer) clearTimeout(retryTimer);
      stream?.abort();
      stream = null;
      await remote?.close();
    },
  };
}
