// Unit tests of the media URL rule: which fields of which request shapes are checked, and what passes.
import { describe, expect, it } from 'vitest';
import { MEDIA_MAX_DEPTH, MEDIA_URL_REFUSAL, mediaUrlProblem } from './media';

const DATA = 'data:image/png;base64,iVBORw0KGgo=';
const URL = 'http://169.254.169.254/latest/meta-data/';
const user = (...parts: unknown[]) => [{ role: 'user', content: parts }];

describe('mediaUrlProblem', () => {
  const refused: [string, string, Record<string, unknown>, string][] = [
    [
      'chat image_url {url}',
      '/v1/chat/completions',
      { messages: user({ type: 'image_url', image_url: { url: URL } }) },
      'messages[0].content[0].image_url.url',
    ],
    [
      'chat image_url string',
      '/v1/chat/completions',
      { messages: user({ type: 'image_url', image_url: URL }) },
      'messages[0].content[0].image_url',
    ],
    [
      'chat https',
      '/v1/chat/completions',
      { messages: user({ type: 'image_url', image_url: { url: 'https://example.com/a.png' } }) },
      'image_url.url',
    ],
    [
      'chat no scheme',
      '/v1/chat/completions',
      { messages: user({ type: 'image_url', image_url: { url: 'example.com/a.png' } }) },
      'image_url.url',
    ],
    [
      'chat file_id URL',
      '/v1/chat/completions',
      { messages: user({ type: 'file', file: { file_id: 'www.example.com/a.pdf' } }) },
      'messages[0].content[0].file.file_id',
    ],
    [
      'chat file_id https anywhere (Gemini looks for it anywhere)',
      '/v1/chat/completions',
      { messages: user({ type: 'file', file: { file_id: 'x https://example.com' } }) },
      'file.file_id',
    ],
    [
      'chat file_data URL',
      '/v1/chat/completions',
      { messages: user({ type: 'file', file: { file_data: URL } }) },
      'file.file_data',
    ],
    [
      'chat video_url',
      '/v1/chat/completions',
      { messages: user({ type: 'video_url', video_url: { url: URL } }) },
      'video_url.url',
    ],
    [
      'chat tool message',
      '/v1/chat/completions',
      {
        messages: [
          { role: 'tool', tool_call_id: 'c', content: [{ type: 'image_url', image_url: { url: URL } }] },
        ],
      },
      'messages[0].content[0].image_url.url',
    ],
    [
      'chat Anthropic block',
      '/v1/chat/completions',
      { messages: user({ type: 'image', source: { type: 'url', url: URL } }) },
      'source.url',
    ],
    [
      'messages image url',
      '/v1/messages',
      { messages: user({ type: 'image', source: { type: 'url', url: URL } }) },
      'messages[0].content[0].source.url',
    ],
    [
      'messages url source without a url',
      '/v1/messages',
      { messages: user({ type: 'image', source: { type: 'url' } }) },
      'source.url',
    ],
    [
      'messages document url',
      '/v1/messages',
      { messages: user({ type: 'document', source: { type: 'url', url: URL } }) },
      'source.url',
    ],
    [
      'messages tool_result image',
      '/v1/messages',
      {
        messages: user({
          type: 'tool_result',
          tool_use_id: 't',
          content: [{ type: 'image', source: { type: 'url', url: URL } }],
        }),
      },
      'messages[0].content[0].content[0].source.url',
    ],
    [
      'messages document of content blocks',
      '/v1/messages',
      {
        messages: user({
          type: 'document',
          source: { type: 'content', content: [{ type: 'image', source: { type: 'url', url: URL } }] },
        }),
      },
      'source.content[0].source.url',
    ],
    [
      'messages system block',
      '/v1/messages',
      { system: [{ type: 'image', source: { type: 'url', url: URL } }], messages: [] },
      'system[0].source.url',
    ],
    [
      'messages base64 data that is a URL',
      '/v1/messages',
      { messages: user({ type: 'image', source: { type: 'base64', media_type: 'image/png', data: URL } }) },
      'source.data',
    ],
    [
      'responses input_image',
      '/v1/responses',
      { input: user({ type: 'input_image', image_url: URL }) },
      'input[0].content[0].image_url',
    ],
    [
      'responses input_file file_url',
      '/v1/responses',
      { input: user({ type: 'input_file', file_url: URL }) },
      'input[0].content[0].file_url',
    ],
    [
      'responses input_file file_data URL',
      '/v1/responses',
      { input: user({ type: 'input_file', file_data: URL }) },
      'input[0].content[0].file_data',
    ],
    [
      'responses bare part in input',
      '/v1/responses',
      { input: [{ type: 'input_image', image_url: URL }] },
      'input[0].image_url',
    ],
    [
      'responses function_call_output parts',
      '/v1/responses',
      {
        input: [
          { type: 'function_call_output', call_id: 'c', output: [{ type: 'input_image', image_url: URL }] },
        ],
      },
      'input[0].output[0].image_url',
    ],
    [
      'responses computer_call_output screenshot',
      '/v1/responses',
      {
        input: [
          {
            type: 'computer_call_output',
            call_id: 'c',
            output: { type: 'computer_screenshot', image_url: URL },
          },
        ],
      },
      'input[0].output.image_url',
    ],
    [
      'responses prompt variable',
      '/v1/responses',
      { prompt: { id: 'p', variables: { pic: { type: 'input_image', image_url: URL } } } },
      'prompt.variables.pic.image_url',
    ],
  ];
  for (const [name, path, body, place] of refused)
    it(`refuses ${name}, naming the field`, () => {
      const why = mediaUrlProblem(path, body);
      expect(why).toContain(place);
      expect(why).toContain(MEDIA_URL_REFUSAL);
    });

  const passed: [string, string, Record<string, unknown>][] = [
    [
      'text only',
      '/v1/chat/completions',
      { messages: [{ role: 'user', content: 'see http://example.com' }] },
    ],
    ['text parts mentioning URLs', '/v1/chat/completions', { messages: user({ type: 'text', text: URL }) }],
    [
      'data: image_url',
      '/v1/chat/completions',
      { messages: user({ type: 'image_url', image_url: { url: DATA, detail: 'low' } }) },
    ],
    [
      'DATA: in capitals',
      '/v1/chat/completions',
      { messages: user({ type: 'image_url', image_url: DATA.toUpperCase() }) },
    ],
    [
      'an OpenAI file id',
      '/v1/chat/completions',
      { messages: user({ type: 'file', file: { file_id: 'file-abc123' } }) },
    ],
    [
      'raw base64 file_data',
      '/v1/chat/completions',
      { messages: user({ type: 'file', file: { file_data: 'JVBERi0xLjQK', filename: 'a.pdf' } }) },
    ],
    [
      'input_audio',
      '/v1/chat/completions',
      { messages: user({ type: 'input_audio', input_audio: { data: 'UklGRg==', format: 'wav' } }) },
    ],
    [
      'Anthropic base64 image',
      '/v1/messages',
      {
        messages: user({
          type: 'image',
          source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' },
        }),
      },
    ],
    [
      'Anthropic file source',
      '/v1/messages',
      {
        messages: user({
          type: 'document',
          source: { type: 'file', file_id: 'file_011CNha8iCJcU1wXNR6q4V8w' },
        }),
      },
    ],
    [
      'Anthropic search_result citing a URL',
      '/v1/messages',
      {
        messages: user({
          type: 'search_result',
          source: 'https://example.com/doc',
          title: 't',
          content: [{ type: 'text', text: 'x' }],
        }),
      },
    ],
    [
      'Responses input_image by file id',
      '/v1/responses',
      { input: user({ type: 'input_image', file_id: 'file-abc' }) },
    ],
    ['Responses string input', '/v1/responses', { input: URL }],
    ['completions and embeddings are not walked', '/v1/embeddings', { input: [URL] }],
  ];
  for (const [name, path, body] of passed)
    it(`passes ${name}`, () => {
      expect(mediaUrlProblem(path, body)).toBeNull();
    });

  it(`refuses parts nested deeper than ${MEDIA_MAX_DEPTH} levels (no stack overflow on a hostile nest)`, () => {
    let part: Record<string, unknown> = { type: 'text', text: 'x' };
    for (let i = 0; i < 100_000; i++) part = { type: 'tool_result', content: [part] };
    const why = mediaUrlProblem('/v1/messages', { messages: user(part) });
    expect(why).toContain(`nested deeper than ${MEDIA_MAX_DEPTH} levels`);
  });

  it('a tool_result a few levels deep still passes', () => {
    const body = {
      messages: user({
        type: 'tool_result',
        content: [{ type: 'image', source: { type: 'base64', data: 'iVBO' } }],
      }),
    };
    expect(mediaUrlProblem('/v1/messages', body)).toBeNull();
  });
});
