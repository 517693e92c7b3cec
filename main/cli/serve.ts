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
import os from 'node:os';
import { isLoopbackHost } from '../transport/http/guards';
import { PlainHttpOnNetworkError, startHttpTransport } from '../transport/http/server';
import type { HttpTransport } from '../transport/http/server';
import { ensureTlsIdentity } from '../transport/http/tls-identity';
import type { TlsIdentity } from '../transport/http/tls-identity';

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
  /** The serving certificate when serving over TLS. */
  tls: TlsIdentity | null;
  /** Closes the HTTP server, stops the core and removes control.json. Safe to call twice. */
  stop(): Promise<void>;
}

/**
 * Parses `--listen ADDR:PORT` (`[v6]:PORT` for IPv6; `ADDR` alone keeps `defaultPort`).
 * @throws Error naming the accepted forms.
 */
export function parseListen(value: string, defaultPort: number): { host: string; port: number } {
  const m = /^\[([0-9a-fA-F:.]+)\](?::(\d+))?$/.exec(value) ?? /^([^:[\]]+)(?::(\d+))?$/.exec(value);
  const port = m?.[2] === undefined ? defaultPort : Number(m[2]);
  if (!m || !Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(
      `"${value}" is not an address to listen on: give ADDR:PORT, e.g. 0.0.0.0:47800, 192.168.1.5:47800 or [::]:47800`,
    );
  return { host: m[1]!, port };
}

/**
 * Names a client may use for a server listening on `host` (Host/Origin checks and the certificate's
 * SAN): the address itself, or every interface address for a wildcard, the host name, and `extra`.
 */
export function servedHostNames(host: string, extra: readonly string[] = []): string[] {
  const names = new Set<string>([os.hostname(), ...extra]);
  if (host === '0.0.0.0' || host === '::') {
    for (const list of Object.values(os.networkInterfaces()))
      for (const a of list ?? []) names.add(a.address.replace(/%.*$/, ''));
  } else names.add(host);
  return [...names].filter(Boolean).map((n) => n.toLowerCase());
}

/**
 * Starts a headless core on `home` and serves it on 127.0.0.1:`port` (0 = any free port; the CLI's
 * default is {@link DEFAULT_SERVE_PORT}), or on `host` over HTTPS with `tls` (the certificate is made
 * once per data dir: `<home>/tls/`).
 * Writes `<home>/control.json` (0600) for the CLI (with the certificate's fingerprint under TLS);
 * removes it on stop.
 * @throws PlainHttpOnNetworkError for a non-loopback `host` without `tls` (before the core starts);
 *   Error when another live core already serves `home` (giving its URL with the token), or the
 *   port is taken (saying how to choose another).
 */
export async function serve(opts: {
  home: string;
  /** The core's options (resolved by the entry point). */
  app: AppOptions;
  port: number;
  /** Address to listen on (default 127.0.0.1); anything but loopback needs `tls`. */
  host?: string;
  /** Serve HTTPS with the data dir's own certificate. */
  tls?: boolean;
  /** Extra names clients may use for this server (besides the listen address and the host name). */
  hostNames?: readonly string[];
  healthIntervalMs?: number;
}): Promise<Served> {
  const host = opts.host ?? '127.0.0.1';
  if (!opts.tls && !isLoopbackHost(host)) throw new PlainHttpOnNetworkError(host);
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
  let tls: TlsIdentity | null = null;
  const hostNames =
    isLoopbackHost(host) && !opts.hostNames?.length ? [] : servedHostNames(host, opts.hostNames);
  try {
    if (opts.tls) tls = await ensureTlsIdentity(opts.home, hostNames);
    http = await startHttpTransport({
      host,
      hostNames,
      tls: tls ? { certPem: tls.certPem, keyPem: tls.keyPem } : undefined,
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
        `${host}:${opts.port} is already in use by another program. Stop it, or serve on another port: \`agentdesk serve --port N\`, or \`--port 0\` for any free port.`,
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
    ...(tls ? { fingerprint: tls.fingerprint } : {}),
  });
  core.log.info({ url: http.url }, 'serving');
  let stopping: Promise<void> | null = null;
  const stop = () =>
    (stopping ??= (async () => {
      removeControlFile(opts.home);
      await http.close();
      await core.shutdown();
    })());
  return { core, http, token, tls, openUrl: `${http.url}/#token=${token}`, stop };
}

/**
 * What a client needs to attach to the core serving `home`, as one JSON line: `{version, port, url,
 * token, fingerprint?}`. `agentdesk serve --print-connection` prints it for a client that runs it over
 * SSH (the token travels inside the SSH channel, never on a command line).
 * @throws Error when no live core serves `home`.
 */
export function connectionInfo(home: string): string {
  const control = readControlFile(home);
  if (!control || !processAlive(control.pid))
    throw new Error(`Agent Desk is not running for ${home}: start it with \`agentdesk serve\` first.`);
  const { version, port, url, token, fingerprint } = control;
  return JSON.stringify({ version, port, url, token, ...(fingerprint ? { fingerprint } : {}) });
}
