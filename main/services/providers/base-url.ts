// Validation and normalisation of provider base URLs (form, plain-HTTP policy, origin) and names (slugs).
import { AppError } from '../../../contract/errors';
import type { CatalogEntry } from '../../../contract/providers';
import { isLoopbackUrl } from './network-status';

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

/** True for an IPv4 or IPv6 literal of a private, link-local or shared (CGNAT, e.g. Tailscale) range. */
function isPrivateAddress(host: string): boolean {
  const v4 = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(host);
  if (v4) {
    const [a, b] = [Number(v4[1]), Number(v4[2])];
    return (
      a === 10 ||
      (a === 172 && b >= 16 && b <= 31) ||
      (a === 192 && b === 168) ||
      (a === 169 && b === 254) ||
      (a === 100 && b >= 64 && b <= 127)
    );
  }
  return /^f[cd][0-9a-f]{0,2}:/i.test(host) || /^fe[89ab][0-9a-f]?:/i.test(host);
}

/** True for a name that only the local network resolves: one label (`gpu-box`) or a local-use suffix. */
function isLocalName(host: string): boolean {
  if (host.includes(':') || /^[\d.]+$/.test(host)) return false; // an address literal, not a name
  return !host.includes('.') || /\.(local|lan|internal|home\.arpa|localhost)$/i.test(host);
}

/**
 * Refuses plain `http://` where the key and the prompts would cross a network in clear text:
 * - loopback (`127.0.0.0/8`, `::1`, `localhost`) is always allowed;
 * - `cloud` types (hosted APIs) need `https://` for any other host;
 * - `local` and `custom` types (Ollama, LM Studio, llama.cpp, vLLM, Jan, OpenAI-compatible) may use
 *   `http://` on the local network only: a private, link-local or CGNAT address literal, a one-label
 *   name or a `.local`/`.lan`/`.internal`/`.home.arpa` name — servers there rarely have certificates;
 *   a public host needs `https://` (or an SSH tunnel to 127.0.0.1).
 * @param url a URL from {@link normaliseBaseUrl}.
 * @throws AppError INVALID_INPUT naming the rule and the fix (`details.field = 'base_url'`).
 */
export function checkPlainHttp(url: string, entry: Pick<CatalogEntry, 'kind' | 'label'>): void {
  const u = new URL(url);
  if (u.protocol !== 'http:' || isLoopbackUrl(url)) return;
  const host = u.hostname.replace(/^\[|\]$/g, '');
  if (entry.kind !== 'cloud' && (isPrivateAddress(host) || isLocalName(host))) return;
  const allowed =
    entry.kind === 'cloud'
      ? `${entry.label} is a hosted API: its key may only travel over https:// (plain http:// is allowed for 127.0.0.1 only)`
      : 'plain http:// is allowed for this machine and the local network only (private addresses, one-label or .local/.lan names); a public host needs https://, or an SSH tunnel to 127.0.0.1';
  throw new AppError(
    'INVALID_INPUT',
    `Bad base URL "${url}": ${allowed}. Write https://${u.host}${u.pathname === '/' ? '' : u.pathname}.`,
    {
      field: 'base_url',
    },
  );
}

/** The origin (scheme, host and port) of a base URL, e.g. `https://api.openai.com`; a key belongs to one. */
export function originOf(url: string): string {
  return new URL(url).origin;
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
