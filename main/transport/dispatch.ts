// The one dispatcher: parse input with the contract → call the handler → parse output → envelope.
import type { z } from 'zod';
import { api, findMethod } from '../../contract/api';
import type { GroupName, MethodName, OutputOf } from '../../contract/api';
import type { CallContext, Handlers } from '../../contract/handlers';
import { AppError, isAppError } from '../../contract/errors';
import type { Result } from '../../contract/errors';
import type { Logger } from '../platform/logging';

/** Formats zod issues as `path: message` lines, the path in dotted form (`a.b[0]`). */
export function describeIssues(error: z.ZodError): {
  message: string;
  issues: { path: string; message: string }[];
} {
  const issues = error.issues.map((i) => ({
    path:
      i.path.length === 0
        ? '(input)'
        : i.path
            .map((p) => (typeof p === 'number' ? `[${p}]` : String(p)))
            .join('.')
            .replace(/\.\[/g, '['),
    message: plainMessage(i),
  }));
  return { message: issues.map((i) => `${i.path}: ${i.message}`).join('; '), issues };
}

/**
 * zod's default size messages ("Too small: expected number to be >=1") rewritten as a person would say
 * them ("must be at least 1"); a message a schema chose itself (contract/ranges.ts) is kept as it is.
 */
function plainMessage(i: z.core.$ZodIssue): string {
  if (i.code !== 'too_small' && i.code !== 'too_big') return i.message;
  if (!/^Too (small|big)/.test(i.message)) return i.message;
  const small = i.code === 'too_small';
  const bound = Number(small ? i.minimum : i.maximum);
  const inclusive = i.inclusive !== false;
  const what =
    i.origin === 'string'
      ? ` character${bound === 1 ? '' : 's'}`
      : i.origin === 'array' || i.origin === 'set'
        ? ` item${bound === 1 ? '' : 's'}`
        : '';
  if (small) return inclusive ? `must be at least ${bound}${what}` : `must be more than ${bound}${what}`;
  return inclusive ? `must be at most ${bound}${what}` : `must be less than ${bound}${what}`;
}

/**
 * Dispatches contract calls to handlers. Shared by the IPC and HTTP transports.
 * Never throws: every outcome is a {@link Result}. Unexpected errors become INTERNAL with a
 * generic message (the detail goes to the log only, which is redacted).
 */
export class Dispatcher {
  constructor(
    private readonly handlers: Handlers,
    private readonly log: Logger,
  ) {}

  /**
   * Calls `channel` (`<group>.<method>`) with `rawInput`.
   * @returns `{ok:true,value}` with the output parsed by the contract (unknown fields stripped), or
   *   `{ok:false,error}`: NOT_FOUND for an unknown method (listing the group's valid methods),
   *   INVALID_INPUT naming each bad field path, the handler's AppError, or INTERNAL.
   */
  async dispatch(channel: string, rawInput: unknown, ctx: CallContext): Promise<Result<unknown>> {
    const spec = findMethod(channel);
    if (!spec) return { ok: false, error: unknownMethod(channel) };
    const parsed = spec.input.safeParse(rawInput === undefined ? {} : rawInput);
    if (!parsed.success) {
      const { message, issues } = describeIssues(parsed.error);
      return {
        ok: false,
        error: {
          code: 'INVALID_INPUT',
          message: `Invalid input for ${channel}: ${message}`,
          details: { issues },
        },
      };
    }
    const [group, name] = channel.split('.') as [string, string];
    const handler = (
      this.handlers as unknown as Record<string, Record<string, (i: unknown, c: CallContext) => unknown>>
    )[group]?.[name];
    if (!handler) return { ok: false, error: { code: 'NOT_FOUND', message: `No handler for ${channel}` } };
    try {
      const value = await handler(parsed.data, ctx);
      const out = spec.output.safeParse(value);
      if (!out.success) {
        this.log.error(
          { channel, issues: describeIssues(out.error).issues },
          'handler output does not match the contract',
        );
        return {
          ok: false,
          error: {
            code: 'INTERNAL',
            message: `Internal error in ${channel}: output did not match the contract`,
          },
        };
      }
      return { ok: true, value: out.data };
    } catch (err) {
      if (isAppError(err)) return { ok: false, error: err.toBody() };
      this.log.error({ channel, err }, 'handler failed');
      return {
        ok: false,
        error: { code: 'INTERNAL', message: `Internal error in ${channel}; see the log for details` },
      };
    }
  }
}

function unknownMethod(channel: string): AppError['toBody'] extends () => infer B ? B : never {
  const dot = channel.indexOf('.');
  const group = dot > 0 ? channel.slice(0, dot) : channel;
  if (Object.prototype.hasOwnProperty.call(api, group)) {
    const valid = Object.keys(api[group as GroupName]);
    return {
      code: 'NOT_FOUND',
      message: `Unknown method "${channel}". Valid methods of ${group}: ${valid.join(', ')}`,
      details: { valid },
    };
  }
  const valid = Object.keys(api);
  return {
    code: 'NOT_FOUND',
    message: `Unknown API group "${group}". Valid groups: ${valid.join(', ')}`,
    details: { valid },
  };
}

/** Convenience for in-process callers (tests, CLI fallback): the typed output or a thrown AppError. */
export async function call<G extends GroupName, M extends MethodName<G>>(
  dispatcher: Dispatcher,
  group: G,
  method: M,
  input: unknown,
): Promise<OutputOf<G, M>> {
  const r = await dispatcher.dispatch(`${group}.${method}`, input, { transport: 'internal' });
  if (!r.ok) throw AppError.fromBody(r.error);
  return r.value as OutputOf<G, M>;
}
