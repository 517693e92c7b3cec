// The one Content-Security-Policy of the renderer: sent by the Electron shell (app:// and the dev server) and by `agentdesk serve`.

/**
 * The policy's directives, in the order they are sent: nothing remote, no inline or eval script, no
 * plugins, no framing, fonts (the bundled emoji font) and images (also `data:`) from the app itself,
 * connections (API calls and the SSE stream) to the app's own origin only. The one style hash is the
 * `<style>` emoji-picker-react 4 injects (its CSS is also loaded as a stylesheet, so a picker upgrade
 * that changes the hash only costs a console warning).
 */
const CSP_DIRECTIVES: readonly string[] = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'sha256-liYS2EkGkEQctGOAw0hqzCeXkYGF6UDpaCJkOt8cDSE='",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
];

/** The renderer's Content-Security-Policy header value in production (Electron and `serve` alike). */
export const RENDERER_CSP = CSP_DIRECTIVES.join('; ');

/**
 * The renderer's CSP for this run. In development (the electron-vite dev server, never when packaged or
 * served by `agentdesk serve`) script and style may also be inline: @vitejs/plugin-react injects its
 * React-refresh preamble as an inline module script and Vite injects CSS as `<style>` tags. Every other
 * directive is the production policy. ('self' covers Vite's ws: HMR socket on the same host and port,
 * CSP Level 3.)
 * @param opts.dev true only for the development dev server.
 * @returns the header value.
 */
export function rendererCsp(opts: { dev: boolean }): string {
  if (!opts.dev) return RENDERER_CSP;
  return CSP_DIRECTIVES.map((d) => {
    if (d === "script-src 'self'") return "script-src 'self' 'unsafe-inline'";
    if (d.startsWith('style-src ')) return "style-src 'self' 'unsafe-inline'";
    return d;
  }).join('; ');
}

/**
 * The same policy as a `<meta http-equiv>` value for the entry page (a second line of defence when the
 * page is opened without the header). `frame-ancestors` is dropped: browsers ignore it in a meta tag.
 * @param opts.dev as for {@link rendererCsp}.
 */
export function rendererCspMeta(opts: { dev: boolean }): string {
  return rendererCsp(opts)
    .split('; ')
    .filter((d) => !d.startsWith('frame-ancestors '))
    .join('; ');
}
