// The Incus REST API over its unix socket or HTTPS (pinned server certificate, client certificate): JSON envelopes, background operations, multipart upload, websockets.
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type tls from 'node:tls';
import WebSocket from 'ws';
import { RuntimeOperationError, RuntimeUnavailableError } from '../container-runtime';

/** A background operation as Incus reports it (`GET /1.0/operations/<id>`). */
export interface IncusOperation {
  id: string;
  status: string;
  status_code: number;
  err: string;
  metadata: Record<string, unknown> | null;
}

/** The JSON envelope of every Incus answer (Incus docs, "REST API": sync, async and error responses). */
interface Envelope {
  type: 'sync' | 'async' | 'error';
  status_code?: number;
  error_code?: number;
  error?: string;
  operation?: string;
  metadata?: unknown;
}

/** One request: method, path under /1.0, JSON body, deadline (ms). */
interface RequestOptions {
  method?: string;
  body?: unknown;
  timeoutMs?: number;
}

/** A file sent as one part of a multipart form. */
export interface UploadPart {
  /** Form field name (`metadata`, `rootfs`). */
  field: string;
  /** Path of the file on the host. */
  file: string;
}

/** An operation still running at its deadline (Incus 6.0 cannot cancel most operations, e.g. exec). */
export class IncusDeadlineError extends RuntimeOperationError {
  constructor(
    operation: string,
    readonly operationId: string,
  ) {
    super('incus', operation, `not finished within the deadline (operation ${operationId})`, null);
    this.name = 'IncusDeadlineError';
  }
}

const DEFAULT_TIMEOUT_MS = 30_000;
const UNAVAILABLE_CODES = new Set(['ENOENT', 'ECONNREFUSED', 'EACCES', 'ENOTSOCK', 'EPERM']);
/** TLS verification failures: the server is not the pinned one. */
const TLS_REFUSALS =
  /^(ERR_CERT_PINNING|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT(_LOCALLY)?|CERT_[A-Z_]+|ERR_TLS_CERT_ALTNAME_INVALID)$/;
/** Network errors that make an HTTPS remote unreachable (a health component, not a failed operation). */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
  'ECONNRESET',
  'EAI_AGAIN',
  'ENOTFOUND',
]);

/**
 * An Incus server reached over HTTPS (`core.https_address`), as `incus remote add` leaves it: the
 * server's certificate pinned (the connection is refused unless the server presents exactly this
 * certificate; no CA, no host name check) and this core's client certificate, which the server trusts.
 */
export interface IncusHttpsTransport {
  /** e.g. `https://10.0.0.7:8443` (no path). */
  url: string;
  serverCertPem: string;
  clientCertPem: string;
  clientKeyPem: string;
}

/** SHA-256 of a certificate's DER bytes, lower-case hex without colons (the form Incus prints and tokens carry). */
export function certFingerprint(pemOrDer: string | Buffer): string {
  const der =
    typeof pemOrDer === 'string'
      ? Buffer.from(pemOrDer.replace(/-----(BEGIN|END) CERTIFICATE-----|\s+/g, ''), 'base64')
      : pemOrDer;
  return crypto.createHash('sha256').update(der).digest('hex');
}

/**
 * TLS options pinning `t.serverCertPem`: it is the only trust anchor, and the presented certificate's
 * SHA-256 must equal its fingerprint (a certificate the pinned one signed is refused too). TLS 1.2 or 1.3,
 * the client certificate attached.
 */
export function pinnedTlsOptions(t: IncusHttpsTransport): tls.ConnectionOptions {
  const pinned = certFingerprint(t.serverCertPem);
  return {
    ca: [t.serverCertPem],
    cert: t.clientCertPem,
    key: t.clientKeyPem,
    minVersion: 'TLSv1.2',
    maxVersion: 'TLSv1.3',
    rejectUnauthorized: true,
    checkServerIdentity: (_host, cert) => {
      const got = cert.raw ? certFingerprint(cert.raw) : '';
      if (got === pinned) return undefined;
      const err = new Error(
        `the Incus server presented certificate ${got || '(none)'}, not the pinned ${pinned}`,
      ) as Error & { code: string };
      err.code = 'ERR_CERT_PINNING';
      return err;
    },
  };
}

/**
 * A client of one Incus daemon's REST API over its unix socket. Every answer is unwrapped from the
 * Incus envelope. Errors:
 * - {@link RuntimeUnavailableError} when the socket is missing (ENOENT), refuses (ECONNREFUSED) or is
 *   not ours to use (EACCES), with a fix for the user;
 * - {@link RuntimeOperationError} with Incus's own error text and its `error_code` as `status`
 *   (404 = not found, 409 = name taken …) for everything else, including missed deadlines.
 * Incus reports errors of `/wait` with HTTP 200 and an error envelope, so the envelope decides, not the
 * HTTP status (measured on Incus 6.0.4).
 */
export class IncusClient {
  private readonly agent: http.Agent;
  /** The unix socket path, or the HTTPS URL: where this client goes (named in errors). */
  readonly socketPath: string;
  private readonly https: (IncusHttpsTransport & { host: string; port: number }) | null;

  /**
   * @param transport the daemon's unix socket path, or an HTTPS remote (see {@link IncusHttpsTransport}).
   * @throws Error when the URL is not `https://host[:port]`.
   */
  constructor(
    transport: string | IncusHttpsTransport,
    private readonly project: string,
  ) {
    if (typeof transport === 'string') {
      this.socketPath = transport;
      this.https = null;
      this.agent = new http.Agent({ keepAlive: true });
      return;
    }
    const url = new URL(transport.url);
    if (url.protocol !== 'https:' || (url.pathname !== '/' && url.pathname !== ''))
      throw new Error(`Incus remote URL ${transport.url} is not valid: use https://host:port`);
    this.socketPath = url.origin;
    this.https = { ...transport, host: url.hostname.replace(/^\[|\]$/g, ''), port: Number(url.port || 8443) };
    this.agent = new https.Agent({ keepAlive: true, ...pinnedTlsOptions(transport) });
  }

  /** True when this client talks to a remote over HTTPS. */
  get remote(): boolean {
    return this.https !== null;
  }

  /**
   * A websocket to `path` (under /1.0, with its query as given: no project is added) over the same transport: `ws+unix://` on the
   * socket, or `wss://` with the pinned certificate and the client certificate.
   */
  websocket(path: string): WebSocket {
    const full = path;
    if (!this.https) return new WebSocket(`ws+unix://${this.socketPath}:${full}`);
    const host = this.https.host.includes(':') ? `[${this.https.host}]` : this.https.host;
    return new WebSocket(`wss://${host}:${this.https.port}${full}`, {
      ...pinnedTlsOptions(this.https),
      handshakeTimeout: DEFAULT_TIMEOUT_MS,
    });
  }

  /** `GET path`, returns the envelope's `metadata`. `operation` names the call in errors. */
  async get<T>(path: string, operation: string, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<T> {
    const env = await this.request(path, operation, { timeoutMs });
    return env.metadata as T;
  }

  /** A synchronous write (`POST`/`PUT`/`PATCH`/`DELETE`) whose answer is not an operation. */
  async send<T>(method: string, path: string, body: unknown, operation: string): Promise<T> {
    const env = await this.request(path, operation, { method, body });
    return env.metadata as T;
  }

  /**
   * A write that Incus runs as a background operation; waits for it until `timeoutMs` has passed.
   * @returns the finished operation (its `metadata` holds results such as an exec's `return`).
   * @throws RuntimeOperationError with the operation's `err` when it fails, or when it is not done in time.
   */
  async run(
    method: string,
    path: string,
    body: unknown,
    operation: string,
    timeoutMs: number,
    onProgress?: (op: IncusOperation) => void,
  ): Promise<IncusOperation> {
    const deadline = Date.now() + timeoutMs;
    const env = await this.request(path, operation, { method, body });
    if (env.type !== 'async') return { id: '', status: 'Success', status_code: 200, err: '', metadata: null };
    return this.wait(operationId(env), operation, deadline, onProgress);
  }

  /**
   * Starts a background operation and returns its id without waiting (see {@link wait}).
   * @throws RuntimeOperationError when Incus refuses the request or answers without an operation.
   */
  async start(method: string, path: string, body: unknown, operation: string): Promise<string> {
    return operationId(await this.request(path, operation, { method, body }));
  }

  /**
   * Waits for a background operation with `GET /1.0/operations/<id>/wait?timeout=<s>` in slices of at
   * most 1 s (so `onProgress` sees the operation's progress metadata), until `deadline` (epoch ms).
   * @throws RuntimeOperationError with the operation's error, or `not finished within …` at the deadline.
   */
  async wait(
    id: string,
    operation: string,
    deadline: number,
    onProgress?: (op: IncusOperation) => void,
  ): Promise<IncusOperation> {
    const path = `/1.0/operations/${encodeURIComponent(id)}`;
    // A cluster member forwards a wait for another member's operation, which then answers at once,
    // still running; once done, the operation is known to its own member only (measured on Incus
    // 6.0.4). So remote waits name the member (`target=`) and pause between answers.
    let target = '';
    for (;;) {
      const remainingS = Math.ceil((deadline - Date.now()) / 1000);
      if (remainingS <= 0) break;
      const sliceS = onProgress ? 1 : Math.min(remainingS, 30);
      const t0 = Date.now();
      const env = await this.request(`${path}/wait?timeout=${sliceS}${target}`, operation, {
        timeoutMs: sliceS * 1000 + 5000,
        raw: true,
      });
      // A failed operation and a wait that timed out both come back as error envelopes: ask the operation.
      const op =
        env.type === 'sync'
          ? (env.metadata as IncusOperation)
          : await this.operationAfterError(`${path}${target.replace('&', '?')}`, env);
      const location = (op as IncusOperation & { location?: string }).location;
      if (this.https && location && location !== 'none') target = `&target=${encodeURIComponent(location)}`;
      if (op.status === 'Success') return op;
      if (op.status === 'Failure' || op.status === 'Cancelled')
        throw new RuntimeOperationError(
          'incus',
          operation,
          op.err || env.error || op.status,
          env.error_code || 500,
        );
      onProgress?.(op);
      if (this.https && Date.now() - t0 < 200) await new Promise((r) => setTimeout(r, 250));
    }
    throw new IncusDeadlineError(operation, id);
  }

  /** `GET path` of a plain-text resource (console log, exec output); an error envelope still throws. */
  async text(path: string, operation: string): Promise<string> {
    const { body, status, json } = await this.raw(path, operation, {});
    if (body.length > 0 && (json || status >= 400)) {
      const env = parseEnvelope(body, operation, status);
      if (env.type === 'error') throw envelopeError(env, operation, status);
    }
    return body.toString('utf8');
  }

  /**
   * Writes `content` to `filePath` inside instance `instancePath` (`/1.0/instances/<name>`), owned by the
   * container's root, mode 0644, replacing what is there (`POST …/files`; works on a stopped container).
   * @throws RuntimeOperationError with Incus's error text.
   */
  async putFile(instancePath: string, filePath: string, content: string, operation: string): Promise<void> {
    await this.putPath(
      instancePath,
      filePath,
      { type: 'file', content, uid: 0, gid: 0, mode: 0o644 },
      operation,
    );
  }

  /**
   * Reads `filePath` inside instance `instancePath` (`GET …/files`, any state but removed): a folder's
   * entry names, or a file's bytes when it holds at most `maxBytes` (else `data` null: too big, not read
   * further). `type` is Incus's `X-Incus-type` (`file`, `directory`, `symlink`); `modifiedMs` its
   * `X-Incus-modified` (epoch ms; 0 when absent).
   * @throws RuntimeOperationError with Incus's text (404: missing).
   */
  async getPath(
    instancePath: string,
    filePath: string,
    maxBytes: number,
    operation: string,
  ): Promise<{ type: string; data: Buffer | null; entries: string[]; mode: number; modifiedMs: number }> {
    const res = await this.raw(`${instancePath}/files?path=${encodeURIComponent(filePath)}`, operation, {
      maxBytes,
    });
    if (res.status >= 400 || (res.json && !res.truncated && res.headers['x-incus-type'] !== 'file')) {
      const env = parseEnvelope(res.body, operation, res.status);
      if (env.type === 'error') throw envelopeError(env, operation, res.status);
      const type = String(res.headers['x-incus-type'] ?? 'directory');
      const meta = env.metadata;
      return {
        type,
        data: null,
        entries: Array.isArray(meta) ? meta.filter((n): n is string => typeof n === 'string') : [],
        mode: parseInt(String(res.headers['x-incus-mode'] ?? '0'), 8) || 0,
        modifiedMs: 0,
      };
    }
    return {
      type: String(res.headers['x-incus-type'] ?? 'file'),
      data: res.truncated ? null : res.body,
      entries: [],
      mode: parseInt(String(res.headers['x-incus-mode'] ?? '0'), 8) || 0,
      // `X-Incus-modified` (an HTTP date) when this Incus sends it; 0 = unknown.
      modifiedMs: Date.parse(String(res.headers['x-incus-modified'] ?? '')) || 0,
    };
  }

  /**
   * Creates or replaces a file (with `content`) or a directory at `filePath` inside the instance, with
   * the given owner (uid/gid inside the container) and mode (`POST …/files`).
   * @throws RuntimeOperationError with Incus's error text.
   */
  async putPath(
    instancePath: string,
    filePath: string,
    entry: { type: 'file' | 'directory'; content?: string | Buffer; uid: number; gid: number; mode: number },
    operation: string,
  ): Promise<void> {
    const data = Buffer.from(entry.content ?? '');
    const { body, status } = await this.raw(
      `${instancePath}/files?path=${encodeURIComponent(filePath)}`,
      operation,
      {
        method: 'POST',
        headers: {
          'Content-Type': 'application/octet-stream',
          'Content-Length': String(data.length),
          'X-Incus-uid': String(entry.uid),
          'X-Incus-gid': String(entry.gid),
          'X-Incus-mode': entry.mode.toString(8).padStart(4, '0'),
          'X-Incus-type': entry.type,
          'X-Incus-write': 'overwrite',
        },
        write: (req) => {
          req.end(data);
        },
      },
    );
    const env = parseEnvelope(body, operation, status);
    if (env.type === 'error') throw envelopeError(env, operation, status);
  }

  /**
   * Sends files as `multipart/form-data` (streamed, with Content-Length) and returns the async
   * operation's id. Used for `POST /1.0/images` with parts `metadata` and `rootfs` (Incus docs, "Images":
   * split image upload). `onBytes(sent, total)` reports the upload; the SHA-256 of all parts' bytes in
   * order (= the Incus fingerprint of a split image) is returned too.
   */
  async upload(
    path: string,
    parts: UploadPart[],
    operation: string,
    onBytes: (sent: number, total: number) => void,
  ): Promise<{ operationId: string; sha256: string }> {
    const boundary = `agentdesk-${crypto.randomBytes(12).toString('hex')}`;
    const heads = parts.map((p) =>
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="${p.field}"; filename="${p.field}"\r\n` +
          'Content-Type: application/octet-stream\r\n\r\n',
      ),
    );
    const tail = Buffer.from(`--${boundary}--\r\n`);
    const sizes = await Promise.all(parts.map(async (p) => (await fs.promises.stat(p.file)).size));
    const fileBytes = sizes.reduce((a, b) => a + b, 0);
    const total = heads.reduce((a, h) => a + h.length + 2, 0) + fileBytes + tail.length;
    const hash = crypto.createHash('sha256');
    const { body, status } = await this.raw(path, operation, {
      method: 'POST',
      headers: {
        'Content-Type': `multipart/form-data; boundary=${boundary}`,
        'Content-Length': String(total),
      },
      timeoutMs: 0,
      write: async (req) => {
        let sent = 0;
        for (const [i, part] of parts.entries()) {
          req.write(heads[i]);
          for await (const chunk of fs.createReadStream(part.file, { highWaterMark: 1 << 20 })) {
            const buf = chunk as Buffer;
            hash.update(buf);
            sent += buf.length;
            if (!req.write(buf)) await drained(req);
            if (req.destroyed) return;
            onBytes(sent, fileBytes);
          }
          req.write('\r\n');
        }
        req.end(tail);
      },
    });
    const env = parseEnvelope(body, operation, status);
    return { operationId: operationId(env), sha256: hash.digest('hex') };
  }

  /** Closes the keep-alive sockets. */
  close(): void {
    this.agent.destroy();
  }

  private async request(
    path: string,
    operation: string,
    opts: RequestOptions & { raw?: boolean },
  ): Promise<Envelope> {
    const json = opts.body === undefined ? undefined : Buffer.from(JSON.stringify(opts.body));
    const { body, status } = await this.raw(path, operation, {
      method: opts.method ?? 'GET',
      timeoutMs: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      headers: json ? { 'Content-Type': 'application/json', 'Content-Length': String(json.length) } : {},
      write: (req) => {
        req.end(json);
      },
    });
    const env = parseEnvelope(body, operation, status);
    if (env.type === 'error' && !opts.raw) throw envelopeError(env, operation, status);
    return env;
  }

  private raw(
    path: string,
    operation: string,
    opts: {
      method?: string;
      headers?: Record<string, string>;
      timeoutMs?: number;
      write?: (req: http.ClientRequest) => void | Promise<void>;
      /** Stop reading after this many bytes of body (`truncated` set, the connection dropped). */
      maxBytes?: number;
    },
  ): Promise<{
    body: Buffer;
    status: number;
    json: boolean;
    headers: http.IncomingHttpHeaders;
    truncated: boolean;
  }> {
    return new Promise((resolve, reject) => {
      const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
      const target = this.https
        ? { host: this.https.host, port: this.https.port }
        : { socketPath: this.socketPath };
      const req = (this.https ? https : http).request(
        {
          ...target,
          path: this.withProject(path),
          method: opts.method ?? 'GET',
          agent: this.agent,
          headers: { ...(this.https ? {} : { Host: 'incus' }), Accept: 'application/json', ...opts.headers },
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          const json = (): boolean => (res.headers['content-type'] ?? '').includes('application/json');
          res.on('data', (c: Buffer) => {
            size += c.length;
            if (opts.maxBytes !== undefined && size > opts.maxBytes) {
              clearTimeout(timer);
              res.removeAllListeners('data');
              req.destroy();
              resolve({
                body: Buffer.concat(chunks),
                status: res.statusCode ?? 0,
                json: json(),
                headers: res.headers,
                truncated: true,
              });
              return;
            }
            chunks.push(c);
          });
          res.on('end', () => {
            clearTimeout(timer);
            resolve({
              body: Buffer.concat(chunks),
              status: res.statusCode ?? 0,
              json: json(),
              headers: res.headers,
              truncated: false,
            });
          });
          res.on('error', (err) => fail(new RuntimeOperationError('incus', operation, err.message)));
        },
      );
      const fail = (err: Error): void => {
        clearTimeout(timer);
        req.destroy();
        reject(err);
      };
      // A remote that never completed the TLS handshake (a host gone, a blackholed route) is
      // unreachable, not a failed operation.
      // Only over HTTPS: a kept-alive unix socket never emits `secureConnect`, so a listener added per
      // request stayed on it for good (a leak Node warned of after 10 requests).
      let connected = !this.https;
      if (this.https)
        req.on('socket', (sock) => {
          if (!(sock as tls.TLSSocket).connecting && (sock as tls.TLSSocket).encrypted) connected = true;
          else sock.once('secureConnect', () => (connected = true));
        });
      const timer =
        timeoutMs > 0
          ? setTimeout(
              () =>
                fail(
                  connected
                    ? new RuntimeOperationError(
                        'incus',
                        operation,
                        `Incus did not answer within ${timeoutMs} ms`,
                      )
                    : incusUnavailable(this.socketPath, 'ETIMEDOUT'),
                ),
              timeoutMs,
            )
          : undefined;
      req.on('error', (err: NodeJS.ErrnoException) => fail(this.socketError(err, operation)));
      if (!opts.write) req.end();
      else
        Promise.resolve(opts.write(req)).catch((err: Error) =>
          fail(new RuntimeOperationError('incus', operation, err.message)),
        );
    });
  }

  /** The operation behind an error envelope of `/wait`; when it is gone, the envelope's error itself. */
  private async operationAfterError(path: string, env: Envelope): Promise<IncusOperation> {
    try {
      return await this.get<IncusOperation>(path, 'operation');
    } catch {
      return {
        id: '',
        status: 'Failure',
        status_code: 400,
        err: env.error ?? 'operation failed',
        metadata: null,
      };
    }
  }

  private withProject(path: string): string {
    if (path === '/1.0' || path.startsWith('/1.0/resources') || this.project === 'default') return path;
    return `${path}${path.includes('?') ? '&' : '?'}project=${encodeURIComponent(this.project)}`;
  }

  private socketError(err: NodeJS.ErrnoException, operation: string): Error {
    if (this.https && err.code && TLS_REFUSALS.test(err.code))
      return new RuntimeUnavailableError(
        'incus',
        err.code === 'ERR_CERT_PINNING'
          ? `Incus at ${this.socketPath}: ${err.message}`
          : `Incus at ${this.socketPath} did not present the pinned certificate ${certFingerprint(this.https.serverCertPem)} (${err.code})`,
        'The server is not the one trusted when it was added (or its certificate changed): check it, then remove the engine and add it again with a new trust token',
      );
    const codes = this.https ? NETWORK_CODES : UNAVAILABLE_CODES;
    if (err.code && codes.has(err.code)) return incusUnavailable(this.socketPath, err.code);
    return new RuntimeOperationError(
      'incus',
      operation,
      `${err.code ?? 'error'} on ${this.socketPath}: ${err.message}`,
    );
  }
}

/**
 * The error for an Incus socket that cannot be used, with the fix for the user.
 * @param code the Node error code (ENOENT, ECONNREFUSED, EACCES …) or `UNTRUSTED` (Incus answered `auth: untrusted`).
 */
export function incusUnavailable(socketPath: string, code: string): RuntimeUnavailableError {
  if (socketPath.startsWith('https://')) {
    if (code === 'UNTRUSTED')
      return new RuntimeUnavailableError(
        'incus',
        `Incus at ${socketPath} does not trust this core's client certificate`,
        'Make a trust token on the server (`incus config trust add agentdesk`) and add the engine again with it',
      );
    return new RuntimeUnavailableError(
      'incus',
      `Incus is not reachable at ${socketPath} (${code})`,
      'Check that the server is up and `core.https_address` is set there (`incus config get core.https_address`), and that this machine can reach it',
    );
  }
  if (code === 'EACCES' || code === 'EPERM' || code === 'UNTRUSTED')
    return new RuntimeUnavailableError(
      'incus',
      `Incus at ${socketPath} does not let this user in (${code})`,
      'Add yourself to the incus-admin group: `sudo usermod -aG incus-admin $USER`, then log out and in',
    );
  return new RuntimeUnavailableError(
    'incus',
    `Incus is not reachable at ${socketPath} (${code})`,
    'Install Incus and start it (`sudo systemctl start incus`, or run scripts/bootstrap-linux.sh); ' +
      'set INCUS_SOCKET if its socket lives elsewhere',
  );
}

/** True for an Incus "not found" answer (error_code 404). */
export function isNotFound(err: unknown): boolean {
  return err instanceof RuntimeOperationError && err.status === 404;
}

/** Resolves when the request can take more data, or when it was destroyed (no listener is left behind). */
function drained(req: http.ClientRequest): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      req.off('drain', done);
      req.off('close', done);
      resolve();
    };
    req.on('drain', done);
    req.on('close', done);
  });
}

function parseEnvelope(body: Buffer, operation: string, status: number): Envelope {
  try {
    return JSON.parse(body.toString('utf8')) as Envelope;
  } catch {
    throw new RuntimeOperationError(
      'incus',
      operation,
      `unexpected answer (HTTP ${status}): ${body.toString('utf8').slice(0, 200)}`,
      status || null,
    );
  }
}

function envelopeError(env: Envelope, operation: string, status: number): RuntimeOperationError {
  return new RuntimeOperationError(
    'incus',
    operation,
    env.error || 'unknown error',
    env.error_code || status || null,
  );
}

function operationId(env: Envelope): string {
  // A request forwarded to another cluster member names its operation with a query (`…?project=default`).
  const id = env.operation?.split('?')[0]?.split('/').pop();
  if (env.type !== 'async' || !id)
    throw new RuntimeOperationError('incus', 'operation', 'expected a background operation');
  return id;
}
