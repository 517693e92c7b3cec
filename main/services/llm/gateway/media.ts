// Image and file parts the host would download (LiteLLM's request conversions, a local model server): only inline data: URLs pass.

/** The refusal, as the caller reads it after the location of the offending value. */
export const MEDIA_URL_REFUSAL =
  'image and file URLs would be fetched by the host; send them inline as data: URLs (base64)';

/** Deepest nesting of content walked (message → tool_result → content …); deeper is refused. */
export const MEDIA_MAX_DEPTH = 8;

/**
 * Fields of a content part that hold a URL to download: OpenAI `image_url` (string or `{url}`), Responses
 * `input_image.image_url` and `input_file.file_url`, and LiteLLM's own `video_url`, `audio_url`,
 * `document_url` parts (which it passes to vLLM-style servers, which download them). Each must be a
 * `data:` URL.
 */
const URL_FIELDS = ['image_url', 'file_url', 'video_url', 'audio_url', 'document_url'] as const;

/**
 * Fields that name a stored file or carry inline bytes, which LiteLLM 1.106.2 downloads when they look
 * like a URL: `file.file_id` (gpt_transformation.py `_handle_pdf_url`: `http://`, `https://`, `www.`;
 * gemini/chat/transformation.py: "https://" anywhere), `file.file_data` and Responses `input_file.file_data`
 * (factory.py `convert_to_anthropic_image_obj`: anything starting with `http`).
 */
const ID_OR_DATA_FIELDS = ['file_id', 'file_data'] as const;

function isData(s: string): boolean {
  return s.length >= 5 && s.slice(0, 5).toLowerCase() === 'data:';
}

/**
 * True when a model server or LiteLLM could read `s` as something to download: not a `data:` URL, and
 * a URL scheme (`http:`, `ftp:`…) or `//` or `www.` at its start, or `://` anywhere. Base64 and file ids
 * (`file-abc…`) have none of these. No allocation; `://` is searched once over the string.
 */
function urlLike(s: string): boolean {
  if (isData(s)) return false;
  if (/^\s*(?:[a-z][a-z0-9+.-]{0,31}:|\/\/|www\.)/i.test(s)) return true;
  return s.includes('://');
}

/** Where a walk is: the path of keys and indices from the body, kept only to name the place of a refusal. */
type Trail = (string | number)[];

function where(trail: Trail): string {
  let out = '';
  for (const step of trail) out += typeof step === 'number' ? `[${step}]` : out ? `.${step}` : step;
  return out;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A URL field: a string, or an object whose `url` is one. */
function checkUrlField(v: unknown, trail: Trail): string | null {
  if (typeof v === 'string') return isData(v) ? null : where(trail);
  if (isObject(v) && typeof v.url === 'string' && !isData(v.url)) return `${where(trail)}.url`;
  return null;
}

/** The fields of one part or item (not its nested content). */
function checkPart(p: Record<string, unknown>, trail: Trail): string | null {
  for (const f of URL_FIELDS)
    if (f in p) {
      trail.push(f);
      const bad = checkUrlField(p[f], trail);
      trail.pop();
      if (bad) return bad;
    }
  for (const f of ID_OR_DATA_FIELDS) {
    const v = p[f];
    if (typeof v === 'string' && urlLike(v)) return where([...trail, f]);
  }
  // Chat Completions `{type: "file", file: {file_id | file_data | …}}`.
  const file = p.file;
  if (isObject(file)) {
    for (const f of ID_OR_DATA_FIELDS)
      if (typeof file[f] === 'string' && urlLike(file[f])) return where([...trail, 'file', f]);
    for (const f of ['file_url', 'url'])
      if (typeof file[f] === 'string' && !isData(file[f])) return where([...trail, 'file', f]);
  }
  // Anthropic image/document blocks: {source: {type: "url", url}} (LiteLLM downloads it for other
  // providers), {source: {type: "base64", data}} and {source: {type: "file", file_id}}.
  const source = p.source;
  if (isObject(source)) {
    if ((source.type === 'url' || 'url' in source) && !(typeof source.url === 'string' && isData(source.url)))
      return where([...trail, 'source', 'url']);
    for (const f of ['data', 'file_id'])
      if (typeof source[f] === 'string' && urlLike(source[f])) return where([...trail, 'source', f]);
  }
  return null;
}

/** One part or item: its own fields, then what it nests. `!` + place when nested too deep. */
function visit(p: Record<string, unknown>, trail: Trail, depth: number): string | null {
  if (depth > MEDIA_MAX_DEPTH) return `!${where(trail)}`;
  return checkPart(p, trail) ?? nested(p, trail, depth);
}

/** Walks an array of parts or items (non-objects are left to the API to refuse). */
function walk(list: unknown[], trail: Trail, depth: number): string | null {
  for (let i = 0; i < list.length; i++) {
    const p = list[i];
    if (!isObject(p)) continue;
    trail.push(i);
    const bad = visit(p, trail, depth);
    trail.pop();
    if (bad) return bad;
  }
  return null;
}

/**
 * What a part nests: its `content` (a message's parts, an Anthropic `tool_result`, an object-valued
 * server-tool result), a Responses `function_call_output.output` (parts) or `computer_call_output.output`
 * (one screenshot part), and an Anthropic document whose `source` is `{type: "content", content}`.
 */
function nested(p: Record<string, unknown>, trail: Trail, depth: number): string | null {
  for (const f of ['content', 'output'] as const) {
    const v = p[f];
    if (typeof v !== 'object' || v === null) continue;
    trail.push(f);
    const bad = Array.isArray(v)
      ? walk(v, trail, depth + 1)
      : visit(v as Record<string, unknown>, trail, depth + 1);
    trail.pop();
    if (bad) return bad;
  }
  const source = p.source;
  if (isObject(source) && Array.isArray(source.content)) {
    trail.push('source', 'content');
    const bad = walk(source.content, trail, depth + 1);
    trail.length -= 2;
    if (bad) return bad;
  }
  return null;
}

function mediaRefusal(bad: string): string {
  if (bad.startsWith('!'))
    return `${bad.slice(1)}: content is nested deeper than ${MEDIA_MAX_DEPTH} levels; no API nests parts that deep.`;
  return `${bad}: ${MEDIA_URL_REFUSAL}.`;
}

/** The top-level arrays of each endpoint whose parts are walked; other endpoints carry no media. */
const MEDIA_ROOTS: ReadonlyMap<string, readonly string[]> = new Map([
  ['/v1/chat/completions', ['messages']],
  ['/v1/messages', ['messages', 'system']],
  ['/v1/responses', ['input', 'instructions']],
]);

/**
 * Why a request must be refused because the host would download a URL it names, or `null`.
 *
 * LiteLLM 1.106.2 downloads image and file URLs itself when it converts a request for another provider
 * (OpenAI `image_url` → Anthropic, Gemini, Ollama; `file.file_id` URLs for OpenAI-style models;
 * Anthropic `source: {type: "url"}` → other providers; Responses `input_image`/`input_file` → chat;
 * image token counting), and local model servers (vLLM, llama.cpp, LM Studio) download the URLs they
 * are sent. Either way the GET leaves from the host: LiteLLM refuses private addresses by default but
 * fetches any public one (an agent with egress "none" would reach the internet), and a local server
 * reaches 127.0.0.1, the LAN and cloud metadata. So every URL-holding field of a content part must be
 * an inline `data:` URL, and id/data fields must not look like a URL (see {@link urlLike}).
 *
 * Walked: `messages[].content` parts (tool results included) on chat and Messages, Messages `system`,
 * Responses `input` items and their `content`/`output`, Anthropic `tool_result.content` and
 * `source.content`, down to {@link MEDIA_MAX_DEPTH}. Only arrays of parts are visited, and nothing is
 * copied: one pass over what the body already holds.
 * @returns the message of the 400 to answer (it names the field, e.g.
 *   `messages[2].content[0].image_url.url`), or `null` when the body may pass.
 */
export function mediaUrlProblem(path: string, body: Record<string, unknown>): string | null {
  const roots = MEDIA_ROOTS.get(path);
  if (!roots) return null;
  for (const root of roots) {
    const list = body[root];
    if (!Array.isArray(list)) continue;
    const bad = walk(list, [root], 0);
    if (bad) return mediaRefusal(bad);
  }
  // Responses `prompt: {id, variables: {name: string | input_image | input_file …}}`.
  const vars = path === '/v1/responses' && isObject(body.prompt) ? body.prompt.variables : null;
  if (isObject(vars))
    for (const name in vars) {
      const v = vars[name];
      const bad = isObject(v) ? visit(v, ['prompt', 'variables', name], 1) : null;
      if (bad) return mediaRefusal(bad);
    }
  return null;
}
