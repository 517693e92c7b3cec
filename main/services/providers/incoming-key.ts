// The key a provider add or edit brings: given, or read from one of the type's usual environment variables.
import { AppError } from '../../../contract/errors';
import type { CatalogRecord } from './catalog';

/**
 * The key an add/edit brings: `key`, or the value of `key_from_env` (one of the type's usual variables,
 * read from `env`, the core's environment). `null` when neither is given.
 * @throws AppError INVALID_INPUT when both are given, the type takes no key, the variable is not one
 *   of the type's (lists them) or is not set.
 */
export function incomingKey(
  entry: CatalogRecord,
  input: { key?: string | null; key_from_env?: string },
  env: NodeJS.ProcessEnv,
): string | null {
  if (input.key && input.key_from_env)
    throw new AppError('INVALID_INPUT', 'Give either key or key_from_env, not both.', { field: 'key' });
  if (entry.key === 'none' && (input.key || input.key_from_env))
    throw new AppError('INVALID_INPUT', `${entry.label} does not use a key; add it without one.`, {
      field: 'key',
    });
  if (input.key) return input.key;
  if (!input.key_from_env) return null;
  if (!entry.env_vars.includes(input.key_from_env))
    throw new AppError(
      'INVALID_INPUT',
      `key_from_env must name a variable of ${entry.label}: ${entry.env_vars.join(', ') || '(none)'}.`,
      { field: 'key_from_env', valid: entry.env_vars },
    );
  const value = env[input.key_from_env]?.trim();
  if (!value)
    throw new AppError('INVALID_INPUT', `${input.key_from_env} is not set in the environment of the core.`, {
      field: 'key_from_env',
    });
  return value;
}
