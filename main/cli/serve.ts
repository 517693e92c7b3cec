// `agentdesk serve`: the core without Electron, the HTTP transport, and the built renderer.
import { startCore } from '../app/bootstrap';
import type { Core } from '../app/bootstrap';
import { rendererDir } from '../platform/paths';
import type { AppOptions } from '../platform/paths';
import {
  newToken,
  processAlive,
  readControlFile,
  removeControlFile,
  writeControlFile,
} from '../transport/http/control-file';
import { startHttpTransport } from '../transport/http/server';
import type { HttpTransport } from '../transport/http/server';

/**
 * Port of `agentdesk serve` when none is given: fixed, so the UI's address (and a bookmark of it) stays the
 * same from run to run. In the user range and registered to no well-known service; `--port 0` takes any
 * free port instead.
 */
export const DEFAULT_SERVE_PORT = 47800;

/** A running headless server. */
export interface Served {
  core: Core;
  http: HttpTransport;
  /** The bearer token of this run (also in control.json). */
  token: string;
  /** The URL to open, with the token in the fragment (never sent to a server, never logged). */
  openUrl: string;
  /** Closes the HTTP server, stops the core and removes control.json. Safe to call twice. */
  stop(): Promise<void>;
}

/**
 * Starts a headless core on `home` and serves it on 127.0.0.1:`port` (0 = any free port; the CLI's
 * default is {@link DEFAULT_SERVE_PORT}).
 * Writes `<home>/control.json` (0600) for the CLI; removes it on stop.
 * @throws Error when another live core already serves `home` (giving its URL with the token), or the
 *   port is taken (saying how to choose another).
 */
export async function serve(opts: {
  home: string;
  /** The core's options (resolved by the entry point). */
  app: AppOptions;
  port: number;
  healthIntervalMs?: number;
}): Promise<Served> {
  let existing = null;
  try {
    existing = readControlFile(opts.home);
  } catch {
    existing = null; // a damaged control.json is replaced below
  }
  if (existing && existing.pid !== process.pid && processAlive(existing.pid)) {
    // The owner reads control.json (0600) anyway; the URL with its token is what they need to open the UI.
    throw new Error(
      `Agent Desk is already running for ${opts.home} (pid ${existing.pid}); open ${existing.url}/#token=${existing.token} — or stop it first (\`agentdesk status\` shows it too).`,
    );
  }
  const core = await startCore({
    home: opts.home,
    app: opts.app,
    mode: 'headless',
    healthIntervalMs: opts.healthIntervalMs,
  });
  const token = newToken();
  let http: HttpTransport;
  try {
    http = await startHttpTransport({
      dispatcher: core.dispatcher,
      bus: core.bus,
      log: core.log,
      token,
      port: opts.port,
      rendererDir: rendererDir(opts.app.paths),
    });
  } catch (err) {
    await core.shutdown();
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE')
      throw new Error(
        `127.0.0.1:${opts.port} is already in use by another program. Stop it, or serve on another port: \`agentdesk serve --port N\`, or \`--port 0\` for any free port.`,
      );
    throw err;
  }
  writeControlFile(opts.home, {
    version: 1,
    url: http.url,
    port: http.port,
    pid: process.pid,
    token,
    started_at: Date.now(),
  });
  core.log.info({ url: http.url }, 'serving');
  let stopping: Promise<void> | null = null;
  const stop = () =>
    (stopping ??= (async () => {
      removeControlFile(opts.home);
      await http.close();
      await core.shutdown();
    })());
  return { core, http, token, openUrl: `${http.url}/#token=${token}`, stop };
}
