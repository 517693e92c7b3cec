// The error envelope of the HTTP transport: `{ok:false,error}` with the status of its code.
import type { FastifyReply } from 'fastify';
import { ERROR_STATUS } from '../../../contract/errors';
import type { ErrorBody, ErrorCode, Result } from '../../../contract/errors';

/** Sends `{ok:false,error:{code,message,details?}}` as JSON with the HTTP status of `code`. */
export function fail(
  reply: FastifyReply,
  code: ErrorCode,
  message: string,
  details?: Record<string, unknown>,
): FastifyReply {
  const error: ErrorBody = details ? { code, message, details } : { code, message };
  return reply
    .code(ERROR_STATUS[code])
    .type('application/json')
    .send({ ok: false, error } satisfies Result<never>);
}
