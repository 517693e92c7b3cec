// Window and session hardening (Electron security checklist): webPreferences, CSP, navigation and window-open guards, permissions.
import type { App, Session, WebContents, WebPreferences } from 'electron';
import { RENDERER_CSP, rendererCsp } from '../transport/csp';

/**
 * webPreferences for every window: contextIsolation, sandbox, no Node integration anywhere, web
 * security on, no <webview>, no spellchecker (it would send words to a Google service on
 * Windows/Linux builds that download dictionaries). Source: electronjs.org/docs/latest/tutorial/security,
 * items 2–6, 10 and 12.
 * @param preloadPath absolute path of the built preload (`out/preload/index.js`); must be CJS (sandbox).
 */
export function secureWebPreferences(preloadPath: string): WebPreferences {
  return {
    preload: preloadPath,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    experimentalFeatures: false,
    webviewTag: false,
    spellcheck: false,
    navigateOnDragDrop: false,
    safeDialogs: true,
  };
}

/** The strict Content-Security-Policy of every app response in production: the renderer's one policy. */
export const CONTENT_SECURITY_POLICY = RENDERER_CSP;

/**
 * The CSP for this run: {@link rendererCsp}, i.e. the production policy, or in development (the
 * electron-vite dev server, never when packaged) the same with inline script and style allowed.
 */
export function contentSecurityPolicy(opts: { dev: boolean }): string {
  return rendererCsp(opts);
}

/** True for URLs we hand to the OS browser: http(s) only, no embedded credentials (checklist item 15). */
export function isSafeExternalUrl(url: string): boolean {
  try {
    const parsed = new URL(url);
    return (
      (parsed.protocol === 'https:' || parsed.protocol === 'http:') &&
      parsed.username === '' &&
      parsed.password === ''
    );
  } catch {
    return false;
  }
}

/** What the guards need: which URLs are ours, how to open the others, where to log. */
export interface GuardOptions {
  /** True when `url` is on one of the UI's trusted origins (see origin.ts). */
  isTrustedUrl: (url: string) => boolean;
  /** Opens a URL in the user's browser (Electron `shell.openExternal`). */
  openExternal: (url: string) => Promise<void>;
  log: { warn(obj: object, msg: string): void };
}

/** The part of `WebContents` the guards use (Electron's WebContents fits). */
export type GuardableContents = Pick<WebContents, 'on' | 'setWindowOpenHandler'>;

const hardened = new WeakSet<object>();

/**
 * Guards one webContents (idempotent): navigation or redirect of the main frame or any subframe to
 * a URL outside the trusted origins is prevented (checklist item 13), and an http(s) link followed
 * in the main frame is opened in the user's browser instead; every `window.open` / target=_blank
 * is denied, http(s) ones opened externally (item 14); `<webview>` attachment is prevented.
 */
export function hardenWebContents(contents: GuardableContents, opts: GuardOptions): void {
  if (hardened.has(contents)) return;
  hardened.add(contents);
  const openOutside = (url: string): void => {
    if (!isSafeExternalUrl(url)) return;
    opts
      .openExternal(url)
      .catch((err: unknown) => opts.log.warn({ err, url }, 'could not open a link in the browser'));
  };

  contents.on('will-navigate', (event) => {
    if (opts.isTrustedUrl(event.url)) return;
    event.preventDefault();
    opts.log.warn({ url: event.url }, 'navigation to another origin prevented');
    openOutside(event.url);
  });
  contents.on('will-frame-navigate', (event) => {
    if (event.isMainFrame || opts.isTrustedUrl(event.url)) return; // main frame: handled by will-navigate
    event.preventDefault();
    opts.log.warn({ url: event.url }, 'subframe navigation to another origin prevented');
  });
  contents.on('will-redirect', (event) => {
    if (opts.isTrustedUrl(event.url)) return;
    event.preventDefault();
    opts.log.warn({ url: event.url }, 'redirect to another origin prevented');
  });
  contents.on('will-attach-webview', (event) => {
    event.preventDefault();
    opts.log.warn({}, '<webview> attachment prevented');
  });
  contents.setWindowOpenHandler(({ url }) => {
    opts.log.warn({ url }, 'window.open denied');
    openOutside(url);
    return { action: 'deny' };
  });
}

/**
 * Applies {@link hardenWebContents} to every webContents the app ever creates (checklist items 13–14
 * recommend `web-contents-created`, so no window, devtools or future popup escapes it).
 * Call before the first window is created.
 */
export function installWebContentsGuards(app: Pick<App, 'on'>, opts: GuardOptions): void {
  app.on('web-contents-created', (_event, contents) => hardenWebContents(contents, opts));
}

/** The one permission the UI keeps: writing text to the clipboard (copy buttons), from our own pages only. */
export const ALLOWED_PERMISSION = 'clipboard-sanitized-write';

/**
 * Hardens a session:
 * - permission requests and checks are denied (checklist item 5), except `clipboard-sanitized-write`
 *   for a trusted origin — Chromium routes `navigator.clipboard.writeText` through it and still
 *   requires a focused document and a user gesture; clipboard *read* stays denied;
 * - `Content-Security-Policy` (replacing any the server sent) on every response from a trusted
 *   origin (checklist item 7). webRequest header events fire for http(s) only — not for custom
 *   schemes (electron/electron#6021) — so this covers the dev server, and protocol.ts puts the same
 *   header on every `app://` response itself.
 */
export function hardenSession(
  session: Pick<Session, 'setPermissionRequestHandler' | 'setPermissionCheckHandler' | 'webRequest'>,
  opts: {
    isTrustedUrl: (url: string) => boolean;
    csp: string;
    log: { warn(obj: object, msg: string): void };
  },
): void {
  session.setPermissionRequestHandler((_contents, permission, callback, details) => {
    const granted = permission === ALLOWED_PERMISSION && opts.isTrustedUrl(details.requestingUrl);
    if (!granted) opts.log.warn({ permission, url: details.requestingUrl }, 'permission request denied');
    callback(granted);
  });
  session.setPermissionCheckHandler(
    (_contents, permission, requestingOrigin) =>
      permission === ALLOWED_PERMISSION && opts.isTrustedUrl(requestingOrigin),
  );
  session.webRequest.onHeadersReceived((details, callback) => {
    if (!opts.isTrustedUrl(details.url)) {
      callback({});
      return;
    }
    const headers: Record<string, string[]> = {};
    for (const [name, value] of Object.entries(details.responseHeaders ?? {})) {
      if (name.toLowerCase() !== 'content-security-policy') headers[name] = value;
    }
    headers['Content-Security-Policy'] = [opts.csp];
    callback({ responseHeaders: headers });
  });
}
