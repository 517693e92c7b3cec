// pino logging to <data>/logs/, rotated by size, with secrets redacted by path and by value.
import fs from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import { secretRedactor } from './secret-redactor';
import type { SecretRedactor } from './secret-redactor';

export type Logger = pino.Logger;

/**
 * Field paths whose values are always censored (pino `redact`). Covers Authorization headers,
 * API keys and tokens wherever they appear one or two levels deep in a log object.
 */
export const REDACT_PATHS = [
  'authorization',
  'headers.authorization',
  'req.headers.authorization',
  '*.headers.authorization',
  'headers["x-api-key"]',
  'req.headers["x-api-key"]',
  'key',
  'apiKey',
  'api_key',
  'token',
  'password',
  'secret',
  'masterKey',
  'master_key',
  '*.key',
  '*.apiKey',
  '*.api_key',
  '*.token',
  '*.password',
  '*.secret',
  '*.masterKey',
  '*.master_key',
];

export interface LoggerOptions {
  /** Directory for `agentdesk.log` and its rotated siblings; `null` logs to stderr only. */
  dir: string | null;
  level?: string;
  /** Rotate when the file reaches this many bytes (default 10 MiB); keep `keep` old files (default 5). */
  maxBytes?: number;
  keep?: number;
  redactor?: SecretRedactor;
}

/**
 * Creates the core's logger. Every line is passed through the secret redactor before it is
 * written, on top of the path-based `redact` list, so no registered secret reaches a log.
 * The file destination is synchronous-safe on exit (pino.destination with sync:false, flushed on shutdown).
 */
export function createLogger(opts: LoggerOptions): Logger {
  const redactor = opts.redactor ?? secretRedactor;
  const level = opts.level ?? 'info';
  const options: pino.LoggerOptions = {
    level,
    base: { pid: process.pid },
    redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
    hooks: { streamWrite: (s: string) => redactor.scrub(s) },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  if (!opts.dir) return pino(options, pino.destination({ fd: 2, sync: true }));
  fs.mkdirSync(opts.dir, { recursive: true, mode: 0o700 });
  const stream = new RotatingFileStream(
    path.join(opts.dir, 'agentdesk.log'),
    opts.maxBytes ?? 10 * 1024 * 1024,
    opts.keep ?? 5,
  );
  return pino(options, stream);
}

/**
 * A size-rotated append-only log file: `name.log` → `name.1.log` … `name.<keep>.log`.
 * Writes synchronously (a log line must survive a crash right after it); lines are small.
 */
export class RotatingFileStream {
  private fd: number;
  private size: number;

  constructor(
    private readonly file: string,
    private readonly maxBytes: number,
    private readonly keep: number,
  ) {
    this.fd = fs.openSync(file, 'a', 0o600);
    this.size = fs.fstatSync(this.fd).size;
  }

  /** Appends one chunk (pino writes one line per call), rotating first when it would overflow. */
  write(chunk: string): boolean {
    const bytes = Buffer.byteLength(chunk);
    if (this.size > 0 && this.size + bytes > this.maxBytes) this.rotate();
    fs.writeSync(this.fd, chunk);
    this.size += bytes;
    return true;
  }

  /** Closes the file. */
  end(): void {
    fs.closeSync(this.fd);
  }

  private rotate(): void {
    fs.closeSync(this.fd);
    const ext = path.extname(this.file);
    const stem = this.file.slice(0, -ext.length);
    const nth = (n: number) => `${stem}.${n}${ext}`;
    fs.rmSync(nth(this.keep), { force: true });
    for (let n = this.keep - 1; n >= 1; n--) if (fs.existsSync(nth(n))) fs.renameSync(nth(n), nth(n + 1));
    fs.renameSync(this.file, nth(1));
    this.fd = fs.openSync(this.file, 'a', 0o600);
    this.size = 0;
  }
}
