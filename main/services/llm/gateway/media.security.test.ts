// Attacker tests: an agent cannot make the host fetch a URL of its choice by putting it in an image or file part (LiteLLM or a local model server would GET it).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withModelApis } from '../../../../test/fixtures/scripted-llm';
import { ScriptedUpstream } from '../../../../test/fixtures/scripted-upstream';
import type { RecordedRequest } from '../../../../test/fixtures/scripted-upstream';
import { litellmInstalled, post, startLlmStack } from '../../../../test/llm-stack';
import type { LlmStack } from '../../../../test/llm-stack';
import { skipUnlessReal } from '../../../../test/real';

const skip = skipUnlessReal(litellmInstalled(), 'LiteLLM (the app venv: scripts/bootstrap-linux.sh)');

/** A 1×1 PNG: what a data: URL carries in the tests that must pass. */
const PNG_B64 =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';
const DATA_PNG = `data:image/png;base64,${PNG_B64}`;
const DATA_PDF = `data:application/pdf;base64,${Buffer.from('%PDF-1.4 scripted').toString('base64')}`;

/**
 * A server that records every request and connection it receives: the attacker's target. Answers a
 * GET with a PNG so a fetch succeeds (a failed fetch might be retried, a successful one cached).
 */
class Trap {
  readonly hits: { method: string; url: string }[] = [];
  connections = 0;
  private server: http.Server | null = null;
  port = 0;
  constructor(private readonly host: string) {}
  async start(): Promise<this> {
    this.server = http.createServer((req, res) => {
      this.hits.push({ method: req.method ?? '?', url: req.url ?? '' });
      req.resume();
      res.writeHead(200, { 'content-type': 'image/png' }).end(Buffer.from(PNG_B64, 'base64'));
    });
    this.server.on('connection', () => this.connections++);
    this.server.on('connect', (req, socket) => {
      this.hits.push({ method: 'CONNECT', url: req.url ?? '' });
      socket.destroy();
    });
    await new Promise<void>((r) => this.server!.listen(0, this.host, () => r()));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }
  hitsFor(tag: string): number {
    return this.hits.filter((h) => h.url.includes(tag)).length;
  }
  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}

/** The first non-internal IPv4 address of this machine: how a LAN peer (or the host itself) reaches a 0.0.0.0 server. */
function lanAddress(): string {
  for (const list of Object.values(os.networkInterfaces()))
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  throw new Error('no non-loopback IPv4 address on this machine');
}

const REFUSAL = 'image and file URLs would be fetched by the host; send them inline as data: URLs (base64)';

let s: LlmStack;
let vllm: ScriptedUpstream;
let loopTrap: Trap;
let anyTrap: Trap;
let proxy: Trap;
let key: string;
let lan: string;

/**
 * One request shape: the endpoint, the model (which decides the conversion LiteLLM applies), the body
 * around an attacker's URL, and the same request with the bytes inline (which must still pass).
 * Before the gateway refused them, LiteLLM downloaded the public URL (through the host's proxy) for the
 * Anthropic and `file_id` shapes, and the local model server downloaded the 127.0.0.1 and LAN URLs for the
 * vLLM shapes; Anthropic's own `document`/`input_file` URLs are passed to the provider (which would
 * download them) and are refused by the same rule (docs/security/gateway.md).
 */
interface Shape {
  name: string;
  path: string;
  model: string;
  body: (url: string) => Record<string, unknown>;
  inline: Record<string, unknown>;
  /** What the upstream must receive from the inline request. */
  mark: string;
}

const userParts = (...parts: unknown[]) => [
  { role: 'user', content: [{ type: 'text', text: 'see' }, ...parts] },
];
const toolResult = (part: unknown) => [
  { role: 'user', content: 'look' },
  {
    role: 'assistant',
    content: null,
    tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'shot', arguments: '{}' } }],
  },
  { role: 'tool', tool_call_id: 'call_1', content: [part] },
];
const TOOLS = [
  { type: 'function', function: { name: 'shot', parameters: { type: 'object', properties: {} } } },
];
const anthropicToolResult = (block: unknown) => [
  { role: 'user', content: 'look' },
  { role: 'assistant', content: [{ type: 'tool_use', id: 'tu_1', name: 'shot', input: {} }] },
  { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'tu_1', content: [block] }] },
];
const ANTHROPIC_TOOLS = [{ name: 'shot', input_schema: { type: 'object', properties: {} } }];
const PDF_B64 = DATA_PDF.slice(DATA_PDF.indexOf(',') + 1);

const SHAPES: Shape[] = [
  {
    name: 'chat: image_url {url} to an Anthropic model',
    path: '/v1/chat/completions',
    model: 'claude/claude-test',
    body: (url) => ({ messages: userParts({ type: 'image_url', image_url: { url } }) }),
    inline: { messages: userParts({ type: 'image_url', image_url: { url: DATA_PNG } }) },
    mark: PNG_B64,
  },
  {
    name: 'chat: image_url as a bare string to an Anthropic model',
    path: '/v1/chat/completions',
    model: 'claude/claude-test',
    body: (url) => ({ messages: userParts({ type: 'image_url', image_url: url }) }),
    inline: { messages: userParts({ type: 'image_url', image_url: DATA_PNG }) },
    mark: PNG_B64,
  },
  {
    name: 'chat: an image in a tool result to an Anthropic model',
    path: '/v1/chat/completions',
    model: 'claude/claude-test',
    body: (url) => ({ messages: toolResult({ type: 'image_url', image_url: { url } }), tools: TOOLS }),
    inline: { messages: toolResult({ type: 'image_url', image_url: { url: DATA_PNG } }), tools: TOOLS },
    mark: PNG_B64,
  },
  {
    name: 'chat: file.file_id as a URL to an OpenAI-compatible model',
    path: '/v1/chat/completions',
    model: 'scripted/gpt-test-mini',
    body: (url) => ({ messages: userParts({ type: 'file', file: { file_id: url } }) }),
    inline: { messages: userParts({ type: 'file', file: { file_data: DATA_PDF, filename: 'a.pdf' } }) },
    mark: PDF_B64,
  },
  {
    name: 'chat: file.file_data as a URL to an Anthropic model',
    path: '/v1/chat/completions',
    model: 'claude/claude-test',
    body: (url) => ({ messages: userParts({ type: 'file', file: { file_data: url, filename: 'a.pdf' } }) }),
    inline: { messages: userParts({ type: 'file', file: { file_data: DATA_PDF, filename: 'a.pdf' } }) },
    mark: PDF_B64,
  },
  {
    name: 'chat: image_url to a local model server that downloads URLs itself (vLLM)',
    path: '/v1/chat/completions',
    model: 'vllm/vl-test',
    body: (url) => ({ messages: userParts({ type: 'image_url', image_url: { url } }) }),
    inline: { messages: userParts({ type: 'image_url', image_url: { url: DATA_PNG } }) },
    mark: PNG_B64,
  },
  {
    name: 'chat: video_url to a local model server (vLLM)',
    path: '/v1/chat/completions',
    model: 'vllm/vl-test',
    body: (url) => ({ messages: userParts({ type: 'video_url', video_url: { url } }) }),
    inline: { messages: userParts({ type: 'video_url', video_url: { url: DATA_PNG } }) },
    mark: PNG_B64,
  },
  {
    name: 'responses: input_image to an Anthropic model',
    path: '/v1/responses',
    model: 'claude/claude-test',
    body: (url) => ({ input: [{ role: 'user', content: [{ type: 'input_image', image_url: url }] }] }),
    inline: { input: [{ role: 'user', content: [{ type: 'input_image', image_url: DATA_PNG }] }] },
    mark: PNG_B64,
  },
  {
    name: 'responses: input_image to a local model server (vLLM)',
    path: '/v1/responses',
    model: 'vllm/vl-test',
    body: (url) => ({ input: [{ role: 'user', content: [{ type: 'input_image', image_url: url }] }] }),
    inline: { input: [{ role: 'user', content: [{ type: 'input_image', image_url: DATA_PNG }] }] },
    mark: PNG_B64,
  },
  {
    name: 'responses: input_file file_url to an Anthropic model',
    path: '/v1/responses',
    model: 'claude/claude-test',
    body: (url) => ({ input: [{ role: 'user', content: [{ type: 'input_file', file_url: url }] }] }),
    inline: {
      input: [{ role: 'user', content: [{ type: 'input_file', file_data: DATA_PDF, filename: 'a.pdf' }] }],
    },
    mark: PDF_B64,
  },
  {
    name: 'messages: image source url to an OpenAI-compatible model (vLLM)',
    path: '/v1/messages',
    model: 'vllm/vl-test',
    body: (url) => ({ max_tokens: 16, messages: userParts({ type: 'image', source: { type: 'url', url } }) }),
    inline: {
      max_tokens: 16,
      messages: userParts({
        type: 'image',
        source: { type: 'base64', media_type: 'image/png', data: PNG_B64 },
      }),
    },
    mark: PNG_B64,
  },
  {
    name: 'messages: an image inside a tool_result to an OpenAI-compatible model (vLLM)',
    path: '/v1/messages',
    model: 'vllm/vl-test',
    body: (url) => ({
      max_tokens: 16,
      messages: anthropicToolResult({ type: 'image', source: { type: 'url', url } }),
      tools: ANTHROPIC_TOOLS,
    }),
    inline: {
      max_tokens: 16,
      messages: anthropicToolResult({
        type: 'image',
        source: { type: 'base64', media_type: 'image/png', data: PNG_B64 },
      }),
      tools: ANTHROPIC_TOOLS,
    },
    mark: PNG_B64,
  },
  {
    name: 'messages: document source url to an Anthropic model',
    path: '/v1/messages',
    model: 'claude/claude-test',
    body: (url) => ({
      max_tokens: 16,
      messages: userParts({ type: 'document', source: { type: 'url', url } }),
    }),
    inline: {
      max_tokens: 16,
      messages: userParts({
        type: 'document',
        source: { type: 'base64', media_type: 'application/pdf', data: PDF_B64 },
      }),
    },
    mark: PDF_B64,
  },
];

describe.skipIf(skip)('image and file URLs never make the host download (SSRF, egress bypass)', () => {
  beforeAll(async () => {
    lan = lanAddress();
    loopTrap = await new Trap('127.0.0.1').start();
    anyTrap = await new Trap('0.0.0.0').start();
    proxy = await new Trap('127.0.0.1').start();
    // A local vision model server that, like vLLM, downloads the http(s) media URLs of a request itself.
    vllm = withModelApis(new ScriptedUpstream({ key: null, models: ['vl-test'] }));
    const chat = (req: RecordedRequest, res: http.ServerResponse) => vlAnswer(vllm, req, res);
    for (const p of ['/v1/chat/completions', '/chat/completions', '/v1/responses', '/responses'])
      vllm.on('POST', p, chat);
    await vllm.start();
    // The host's proxy, standing in for its route to the internet: LiteLLM refuses private addresses
    // itself (url_utils.py) but downloads a public one, which leaves the host whatever the agent's egress.
    const proxyUrl = `http://127.0.0.1:${proxy.port}`;
    s = await startLlmStack({
      wait: false,
      deps: {
        processOptions: { parentEnv: { ...process.env, HTTP_PROXY: proxyUrl, HTTPS_PROXY: proxyUrl } },
      },
    });
    s.addProvider('vllm', 'vllm', vllm.v1, ['vl-test']);
    await s.llm.reload();
    await s.llm.active!.proc.whenReady();
    key = s.keys.mint({ owner: 'agent-media', models: ['claude/*', 'scripted/*', 'vllm/*'] }).key;
  }, 180_000);
  afterAll(async () => {
    await s?.close();
    await vllm?.stop();
    await loopTrap?.stop();
    await anyTrap?.stop();
    await proxy?.stop();
  });

  let n = 0;
  for (const shape of SHAPES) {
    it(`${shape.name}: refused (400), and no listener on 127.0.0.1, 0.0.0.0 or beyond the host's proxy is reached`, async () => {
      const targets: [Trap, (tag: string) => string][] = [
        [loopTrap, (tag) => `http://127.0.0.1:${loopTrap.port}/${tag}`],
        [anyTrap, (tag) => `http://${lan}:${anyTrap.port}/${tag}`],
        [proxy, (tag) => `http://1.1.1.1/${tag}`], // a public address: reached through the host's proxy
      ];
      const answers: { url: string; hits: number; status: number; text: string }[] = [];
      for (const [trap, urlOf] of targets) {
        const tag = `media-${++n}-${process.pid}`;
        const url = urlOf(tag);
        const r = await post(
          `${s.gateway}${shape.path}`,
          { model: shape.model, ...shape.body(url) },
          { authorization: `Bearer ${key}` },
        );
        // The request has been answered: anything the host fetched for it has been fetched by now.
        answers.push({ url, hits: trap.hitsFor(tag), status: r.status, text: r.text });
      }
      const fetched = answers.filter((a) => a.hits > 0).map((a) => `${a.url} (answer ${a.status})`);
      expect(fetched, 'URLs the host fetched for the agent').toEqual([]);
      for (const a of answers) {
        expect(a.status, a.text.slice(0, 300)).toBe(400);
        const err = (JSON.parse(a.text) as { error: { code: string; message: string } }).error;
        expect(err.code).toBe('media_url_not_allowed');
        expect(err.message).toContain(REFUSAL);
      }
    });

    it(`${shape.name}: the same bytes inline (data: / base64) still reach the model`, async () => {
      const up = shape.model.startsWith('vllm/') ? vllm : s.upstream;
      const before = up.requests.length;
      const r = await post(
        `${s.gateway}${shape.path}`,
        { model: shape.model, ...shape.inline },
        { authorization: `Bearer ${key}` },
      );
      expect(r.status, r.text.slice(0, 300)).toBe(200);
      expect(up.requests.slice(before).some((q) => q.body.includes(shape.mark))).toBe(true);
    });
  }
});

/** Every http(s) media URL of an OpenAI chat or Responses body: what vLLM downloads (MediaConnector). */
function mediaUrls(body: string): string[] {
  const out: string[] = [];
  type Item = { content?: unknown };
  const parsed = JSON.parse(body) as { messages?: Item[]; input?: Item[] | string };
  const items: Item[] = [...(parsed.messages ?? []), ...(Array.isArray(parsed.input) ? parsed.input : [])];
  for (const m of items)
    if (Array.isArray(m.content))
      for (const p of m.content as Record<string, unknown>[])
        for (const k of ['image_url', 'video_url', 'audio_url']) {
          const v = p[k];
          const url = typeof v === 'string' ? v : (v as { url?: unknown } | undefined)?.url;
          if (typeof url === 'string' && /^https?:\/\//.test(url)) out.push(url);
        }
  return out;
}

/** The vLLM stand-in's answer: downloads every media URL first (as vLLM does), then a fixed reply. */
async function vlAnswer(up: ScriptedUpstream, req: RecordedRequest, res: http.ServerResponse): Promise<void> {
  for (const url of mediaUrls(req.body))
    await fetch(url)
      .then((r) => r.arrayBuffer())
      .catch(() => null);
  if (req.path.endsWith('/responses'))
    return up.json(res, 200, {
      id: 'resp_1',
      object: 'response',
      created_at: 1,
      status: 'completed',
      model: 'vl-test',
      output: [
        {
          type: 'message',
          id: 'msg_1',
          status: 'completed',
          role: 'assistant',
          content: [{ type: 'output_text', text: 'seen', annotations: [] }],
        },
      ],
      usage: { input_tokens: 1, output_tokens: 1, total_tokens: 2 },
    });
  up.json(res, 200, {
    id: 'chatcmpl-1',
    object: 'chat.completion',
    created: 1,
    model: 'vl-test',
    choices: [{ index: 0, message: { role: 'assistant', content: 'seen' }, finish_reason: 'stop' }],
    usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
  });
}
