// Helpers for the Agents component tests, which render to HTML with react-dom/server (no DOM in unit tests).

/** The opening tag of the element with `data-testid="<id>"`. @throws Error when there is none. */
export function tagOf(html: string, id: string): string {
  const m = new RegExp(`<[^>]*data-testid="${id}"[^>]*>`).exec(html);
  if (!m) throw new Error(`no element with data-testid="${id}"`);
  return m[0];
}

/** The text inside the first element with `data-testid="<id>"`, tags stripped and entities decoded. */
export function textOf(html: string, id: string): string {
  const start = html.indexOf(tagOf(html, id));
  const tag = /^<([a-z0-9]+)/.exec(tagOf(html, id))![1]!;
  let depth = 0;
  const re = new RegExp(`<(/?)${tag}\\b[^>]*>`, 'g');
  re.lastIndex = start;
  let end = html.length;
  for (let m = re.exec(html); m; m = re.exec(html)) {
    depth += m[1] ? -1 : 1;
    if (depth === 0) {
      end = m.index;
      break;
    }
  }
  const inner = html.slice(start + tagOf(html, id).length, end);
  return inner
    .replace(/<[^>]+>/g, '')
    .replace(/&quot;/g, '"')
    .replace(/&#x27;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

/** Number of elements with `data-testid` starting with `prefix`. */
export function countOf(html: string, prefix: string): number {
  return html.split(`data-testid="${prefix}`).length - 1;
}
