// The IPC transport: one validated `ipcMain.handle` per contract channel, and bus events pushed to our windows.
import { listChannels } from '../../../contract/api';
import { API_CHANNEL_PREFIX, EVENT_CHANNEL_PREFIX } from '../../../contract/bridge';
import type { Result } from '../../../contract/errors';
import type { Dispatcher } from '../dispatch';
import type { EventBus } from '../../platform/event-bus';
import type { FrameLike, SenderCheck, WebContentsLike } from './sender-check';

/** The part of Electron's `IpcMainInvokeEvent` the transport reads. */
export interface InvokeEventLike {
  readonly senderFrame: FrameLike | null;
  readonly sender: WebContentsLike;
}

/** The part of Electron's `ipcMain` the transport uses. */
export interface IpcMainLike {
  handle(channel: string, listener: (event: InvokeEventLike, ...args: unknown[]) => unknown): void;
  removeHandler(channel: string): void;
}

/** The log calls the transport makes (a pino Logger fits). */
export interface IpcLog {
  warn(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
}

export interface IpcTransportOptions {
  ipcMain: IpcMainLike;
  dispatcher: Pick<Dispatcher, 'dispatch'>;
  bus: Pick<EventBus, 'onAny'>;
  /** Judges each caller and each window before an event is sent to it (see `createSenderCheck`). */
  isTrustedSender: SenderCheck;
  /** The webContents of the windows we own: the recipients of `evt:<name>`. */
  getWebContents: () => readonly WebContentsLike[];
  log: IpcLog;
}

/** The envelope answered to an untrusted caller; the dispatcher is never reached. */
export const FORBIDDEN_RESULT: Result<never> = {
  ok: false,
  error: { code: 'FORBIDDEN', message: 'This IPC sender is not trusted by Agent Desk' },
};

/**
 * Registers `ipcMain.handle('api:<group>.<method>')` for every channel of the contract table
 * (`listChannels()`), each through one validating wrapper (VS Code's `validatedIpcMain`):
 * the sender is checked first; an untrusted one gets {@link FORBIDDEN_RESULT} and a warning log,
 * a trusted one gets `dispatcher.dispatch('<group>.<method>', input, {transport:'ipc'})` — a
 * Result envelope, never a rejection. Channels outside the table have no handler, so the
 * renderer's `invoke` rejects for them (Electron: "No handler registered").
 *
 * Also forwards every bus event to every window that passes the same check, as
 * `webContents.send('evt:<name>', payload)`.
 *
 * @returns dispose: removes every handler and the bus subscription (idempotent).
 * @throws Error from `ipcMain.handle` when a channel already has a handler (registered twice).
 */
export function registerIpcTransport(opts: IpcTransportOptions): () => void {
  const { ipcMain, dispatcher, bus, isTrustedSender, getWebContents, log } = opts;
  const registered: string[] = [];

  for (const channel of listChannels()) {
    const ipcChannel = API_CHANNEL_PREFIX + channel;
    ipcMain.handle(
      ipcChannel,
      (event: InvokeEventLike, input?: unknown): Promise<Result<unknown>> | Result<unknown> => {
        const verdict = isTrustedSender(event.senderFrame, event.sender);
        if (!verdict.trusted) {
          log.warn(
            {
              channel: ipcChannel,
              reason: verdict.reason,
              url: event.senderFrame?.url ?? null,
              webContentsId: event.sender.id,
            },
            'refused an IPC call from an untrusted sender',
          );
          return FORBIDDEN_RESULT;
        }
        return dispatcher.dispatch(channel, input, { transport: 'ipc' });
      },
    );
    registered.push(ipcChannel);
  }

  const unsubscribe = bus.onAny((name, payload) => {
    const channel = EVENT_CHANNEL_PREFIX + name;
    for (const contents of getWebContents()) {
      try {
        if (contents.isDestroyed()) continue;
        const verdict = isTrustedSender(contents.mainFrame, contents);
        if (!verdict.trusted) {
          log.debug(
            { channel, reason: verdict.reason, webContentsId: contents.id },
            'event not sent to an untrusted window',
          );
          continue;
        }
        contents.send(channel, payload);
      } catch (err) {
        // A window closing mid-send must not stop delivery to the others.
        log.debug({ channel, err, webContentsId: contents.id }, 'event could not be sent to a window');
      }
    }
  });

  let disposed = false;
  return () => {
    if (disposed) return;
    disposed = true;
    unsubscribe();
    for (const channel of registered) ipcMain.removeHandler(channel);
  };
}
