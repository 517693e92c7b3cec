// Who may call the core over IPC: the main frame of a window we own, showing our own origin.
//
// Types here are structural (no runtime import of electron) so the check is plain data logic;
// Electron's WebFrameMain / WebContents / IpcMainInvokeEvent satisfy them.

/** The part of Electron's `WebFrameMain` the check reads. */
export interface FrameLike {
  readonly url: string;
  readonly parent: FrameLike | null;
  /** Set by Electron once the frame is gone (Electron ≥ 33); a detached frame is never trusted. */
  readonly detached?: boolean;
}

/** The part of Electron's `WebContents` the IPC transport uses. */
export interface WebContentsLike {
  readonly id: number;
  readonly mainFrame: FrameLike;
  isDestroyed(): boolean;
  send(channel: string, ...args: unknown[]): void;
}

/** The verdict on one sender: trusted, or refused with a reason for the log. */
export type SenderVerdict = { trusted: true } | { trusted: false; reason: string };

/** Judges `frame` (an invoke's `event.senderFrame`, or a window's `mainFrame`) sent by `contents`. */
export type SenderCheck = (frame: FrameLike | null | undefined, contents: WebContentsLike) => SenderVerdict;

/**
 * The origin of `url` as `scheme://host[:port]`, or `null` for URLs without one (file:, about:,
 * data:, unparsable). Node's WHATWG `URL.origin` is `"null"` for non-special schemes such as our
 * `app:`, while Chromium gives a standard-registered scheme a tuple origin; this follows Chromium.
 * Non-special hosts are compared as written (not lowercased), which can only refuse more.
 */
export function originOf(url: string): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  if (parsed.protocol === 'http:' || parsed.protocol === 'https:') return parsed.origin;
  if (parsed.host === '') return null;
  return `${parsed.protocol}//${parsed.host}`;
}

export interface SenderCheckOptions {
  /** Exact origins the UI is served from, e.g. `['app://agentdesk']` (+ the dev server in development). */
  trustedOrigins: readonly string[];
  /** The webContents of the windows we created; any other sender is refused. */
  getWebContents: () => readonly WebContentsLike[];
}

/**
 * Builds the sender check used for every IPC call and every pushed event (VS Code's
 * `validatedIpcMain` idea, tightened). A sender is trusted only when all hold:
 * 1. the frame exists and is not detached (Electron gives `null` after a navigation or crash);
 * 2. it is a main frame (`parent === null`) — iframes never reach the core;
 * 3. its webContents is one of ours (compared by id) and not destroyed;
 * 4. the frame URL's origin is one of `trustedOrigins` exactly.
 * See the Electron security checklist, item 17 "Validate the sender of all IPC messages".
 */
export function createSenderCheck(opts: SenderCheckOptions): SenderCheck {
  const trusted = new Set(opts.trustedOrigins);
  return (frame, contents) => {
    if (!frame) return { trusted: false, reason: 'no sender frame (navigated away or destroyed)' };
    if (frame.detached === true) return { trusted: false, reason: 'sender frame is detached' };
    if (frame.parent !== null) return { trusted: false, reason: 'sender is a subframe, not the main frame' };
    if (contents.isDestroyed()) return { trusted: false, reason: 'sender webContents is destroyed' };
    const owned = opts.getWebContents().some((wc) => wc.id === contents.id);
    if (!owned) return { trusted: false, reason: `webContents ${contents.id} is not one of our windows` };
    const origin = originOf(frame.url);
    if (origin === null || !trusted.has(origin))
      return { trusted: false, reason: `untrusted origin ${origin ?? '(none)'}` };
    return { trusted: true };
  };
}
