// One spelling per resource: request targets whose path is not in canonical form are refused before any route runs.

/** Characters RFC 3986 §2.3 calls unreserved: they must never be percent-encoded (§6.2.2.2). */
const UNRESERVED = /^[A-Za-z0-9\-._~]$/;

/** Raw characters a path may hold (RFC 3986 §3.3 `pchar` plus `/`); anything else must be escaped. */
const PATH_CHARS = /^[A-Za-z0-9\-._~!$&'()*+,;=:@/%]*$/;

/**
 * Why the path of a request target is not canonical, or `null` when it is. Canonical means the one
 * spelling the router and the auth hooks agree on, so no second spelling can reach a route by another
 * door (the router decodes percent-escapes; a prefix test on the raw URL would not):
 * - origin-form only: it starts with a single `/` (no absolute-form `http://host/…`, no `*`, no `//…`);
 * - no backslash, no doubled slash, no `.` or `..` segment;
 * - only `pchar` characters raw (RFC 3986 §3.3); a `%` starts a well-formed escape in upper-case hex
 *   (§6.2.2.1) of a character that needs one: not an unreserved character (`%61` for `a`, `%2E` for `.`),
 *   not `/` or `\` (`%2F`, `%5C`), not a control character or space;
 * - the `/api` prefix in lower case (`/API/…` is refused rather than left to the static files).
 * The query string (after `?`) is not looked at: it never chooses a route.
 * @param url the raw request target as received (`req.raw.url`).
 * @returns one line naming what is wrong, for the 400 answer.
 */
export function pathProblem(url: string): string | null {
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  if (!path.startsWith('/'))
    return 'the request target must be a path starting with "/" (absolute URLs and "*" are not accepted)';
  if (path.includes('\\')) return 'it contains a backslash';
  if (path.includes('//')) return 'it contains a doubled slash';
  if (!PATH_CHARS.test(path)) return 'it contains a character that must be percent-encoded';
  for (let i = path.indexOf('%'); i !== -1; i = path.indexOf('%', i + 1)) {
    const hex = path.slice(i + 1, i + 3);
    if (!/^[0-9A-F]{2}$/.test(hex))
      return /^[0-9a-fA-F]{2}$/.test(hex)
        ? `the escape "%${hex}" is not in upper-case hex`
        : 'it has a malformed percent-escape';
    const code = parseInt(hex, 16);
    const char = String.fromCharCode(code);
    if (UNRESERVED.test(char)) return `"%${hex}" encodes "${char}", which must be written as is`;
    if (char === '/' || char === '\\') return `"%${hex}" encodes a path separator`;
    if (code <= 0x20 || code === 0x7f) return `"%${hex}" encodes a control character or a space`;
  }
  for (const segment of path.split('/').slice(1))
    if (segment === '.' || segment === '..') return 'it contains a "." or ".." segment';
  if (/^\/api(\/|$)/i.test(path) && !/^\/api(\/|$)/.test(path))
    return 'the /api prefix is written in lower case';
  return null;
}
