// Error codes shared by every transport, the Result envelope, and the typed error rebuilt on each side.

/**
 * Every error code a contract method can return, with the HTTP status it maps to.
 * The IPC transport carries the same codes; the HTTP transport answers with the status.
 */
export const ERROR_STATUS = {
  INVALID_INPUT: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  RATE_LIMITED: 429,
  INTERNAL: 500,
  UPSTREAM: 502,
  UNAVAILABLE: 503,
  KEYCHAIN_UNAVAILABLE: 503,
  TIMEOUT: 504,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

/** All error codes, for validation and for listing the valid values in messages. */
export const ERROR_CODES = Object.keys(ERROR_STATUS) as ErrorCode[];

/** The error half of the envelope: a code, a human message, and optional structured detail. */
export interface ErrorBody {
  code: ErrorCode;
  message: string;
  /** Extra facts for the caller, e.g. `{ path: 'name', valid: ['a','b'] }`. Never secrets. */
  details?: Record<string, unknown>;
}

/** What every contract call answers, over IPC and over HTTP alike. */
export type Result<T> = { ok: true; value: T } | { ok: false; error: ErrorBody };

/**
 * A typed error that crosses process boundaries as data, never as a thrown object.
 * Thrown by handlers and services; the dispatcher turns it into `{ok:false,error}`;
 * clients rebuild it from the envelope with {@link AppError.fromBody}.
 */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = 'AppError';
    this.code = code;
    this.details = details;
  }

  /** HTTP status for this error's code (see {@link ERROR_STATUS}). */
  get status(): number {
    return ERROR_STATUS[this.code];
  }

  /** Serialisable form for the envelope. */
  toBody(): ErrorBody {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }

  /** Rebuilds a typed error on the receiving side; unknown codes become INTERNAL. */
  static fromBody(body: ErrorBody): AppError {
    const code = (ERROR_CODES as string[]).includes(body.code) ? body.code : 'INTERNAL';
    return new AppError(code, body.message, body.details);
  }
}

/** True when `value` is an {@link AppError} (also across bundles, by shape). */
export function isAppError(value: unknown): value is AppError {
  return (
    value instanceof AppError ||
    (value instanceof Error &&
      (value as { name?: unknown }).name === 'AppError' &&
      typeof (value as { code?: unknown }).code === 'string')
  );
}
