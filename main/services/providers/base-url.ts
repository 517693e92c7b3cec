// Validation and normalisation of provider base URLs and names (slugs).
import { AppError } from '../../../contract/errors';

/**
 * Checks a base URL and returns it normalised (no trailing slash).
 * Rules: absolute `http:` or `https:` URL with a host; no credentials (`user:pass@`: keys go in the
 * keychain), no query string or fragment (paths such as `/models` are appended to it).
 * @param label the provider type's label, for messages.
 * @throws AppError INVALID_INPUT with the reason (`details.field = 'base_url'`).
 */
export function normaliseBaseUrl(raw: string | undefined, label: string): string {
  const fail = (reason: string): never => {
    throw new AppError('INVALID_INPUT', `Bad base URL${raw ? ` "${raw}"` : ''}: ${reason}`, {
      field: 'base_url',
    });
  };
  const text = (raw ?? '').trim();
  if (!text) return fail(`${label} needs a base URL, e.g. http://127.0.0.1:8000/v1`);
  // `localhost:8000/v1` parses as scheme "localhost:"; catch a missing scheme before parsing.
  if (!text.includes('://') && /^[a-z0-9.-]+(:\d+)?(\/|$)/i.test(text))
    return fail(`it has no scheme; write http://${text} or https://${text}`);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return fail('it is not a URL (expected e.g. https://api.example.com/v1)');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    return fail(`the scheme must be http or https, not "${url.protocol.replace(/:$/, '')}"`);
  if (!url.hostname) return fail('it has no host');
  if (url.username || url.password)
    return fail(
      'it contains credentials; remove them and give the key separately (it goes to the OS keychain)',
    );
  if (url.search) return fail('it must not have a query string (?…)');
  if (url.hash) return fail('it must not have a fragment (#…)');
  return url.toString().replace(/\/+$/, '');
}

/**
 * A provider id from a display name: lower-case ASCII letters, digits and dashes, at most 40
 * characters (accents dropped, other runs of characters become one dash); `fallback` when nothing is left.
 */
export function slugify(name: string, fallback: string): string {
  const slug = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+/, '')
    .slice(0, 40)
    .replace(/-+$/, '');
  return slug || fallback;
}
