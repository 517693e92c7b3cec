// Turning what a failed call threw into something a screen can show.
import { isAppError } from '../../../contract/errors';
import type { ErrorCode } from '../../../contract/errors';
import { isUnreachableError } from '../api/connection';

/** An error as the UI shows it: the core's code and its message. */
export interface ShownError {
  code: ErrorCode | 'CLIENT';
  message: string;
  /** True when the core was not reached (the connection banner already says so). */
  unreachable: boolean;
  details?: Record<string, unknown>;
}

/** Describes a thrown value: AppErrors keep their code and message; anything else becomes CLIENT. */
export function toShownError(err: unknown): ShownError {
  if (isAppError(err)) {
    return {
      code: err.code,
      message: err.message,
      unreachable: isUnreachableError(err),
      ...(err.details ? { details: err.details } : {}),
    };
  }
  return { code: 'CLIENT', message: err instanceof Error ? err.message : String(err), unreachable: false };
}
