// Usage read from OpenAI, Anthropic and Responses answers and streams; LiteLLM error classification.
import { describe, expect, it } from 'vitest';
import { classifyLitellmError } from './gateway/errors';
import { JsonUsageCollector, SseUsageScanner, usageOf } from './llm-usage';

describe('usage', () => {
  it('reads every API shape', () => {
    expect(usageOf({ usage: { prompt_tokens: 3, completion_tokens: 4 } })).toEqual({
      tokensIn: 3,
      tokensOut: 4,
    });
    expect(usageOf({ usage: { input_tokens: 5, output_tokens: 6 } })).toEqual({ tokensIn: 5, tokensOut: 6 });
    expect(
      usageOf({ type: 'message_start', message: { usage: { input_tokens: 7, output_tokens: 0 } } }),
    ).toEqual({
      tokensIn: 7,
      tokensOut: 0,
    });
    expect(
      usageOf({ type: 'response.completed', response: { usage: { input_tokens: 1, output_tokens: 2 } } }),
    ).toEqual({
      tokensIn: 1,
      tokensOut: 2,
    });
    expect(usageOf({ usage: { prompt_tokens: 2, total_tokens: 2 } })).toEqual({
      tokensIn: 2,
      tokensOut: null,
    });
    expect(usageOf({ choices: [] })).toBeNull();
  });

  it('scans SSE split at arbitrary points and merges Anthropic start and delta events', () => {
    const stream =
      'event: message_start\ndata: {"type":"message_start","message":{"usage":{"input_tokens":9,"output_tokens":1}}}\n\n' +
      'event: content_block_delta\ndata: {"type":"content_block_delta","delta":{"text":"hi"}}\n\n' +
      'event: message_delta\ndata: {"type":"message_delta","usage":{"output_tokens":12}}\n\n';
    for (const cut of [1, 7, 33, 80, 150]) {
      const s = new SseUsageScanner();
      for (let i = 0; i < stream.length; i += cut) s.push(Buffer.from(stream.slice(i, i + cut)));
      expect(s.result()).toEqual({ tokensIn: 9, tokensOut: 12 });
    }
    const openai = new SseUsageScanner();
    openai.push(Buffer.from('data: {"choices":[{"delta":{"content":"a"}}]}\n\n'));
    openai.push(
      Buffer.from(
        'data: {"choices":[],"usage":{"prompt_tokens":4,"completion_tokens":2}}\n\ndata: [DONE]\n\n',
      ),
    );
    expect(openai.result()).toEqual({ tokensIn: 4, tokensOut: 2 });
  });

  it('reads usage at the end of large JSON answers without keeping them', () => {
    const c = new JsonUsageCollector();
    c.push(Buffer.from('{"data":[' + '"x",'.repeat(600_000)));
    c.push(Buffer.from('"y"],"usage":{"prompt_tokens":11,"total_tokens":11}}'));
    expect(c.result()).toEqual({ tokensIn: 11, tokensOut: null });
  });
});

describe('classifyLitellmError', () => {
  const id = (s: string) => s.replace('SECRET-VALUE', '[REDACTED]');

  it('never passes LiteLLM auth errors through', () => {
    const wrongMaster = classifyLitellmError(
      400,
      '{"error":{"message":"No connected db.","type":"no_db_connection","param":null,"code":"400"}}',
      id,
    );
    expect(wrongMaster).toMatchObject({ pass: false, error: { status: 502 } });
    expect(
      classifyLitellmError(401, '{"error":{"message":"Authentication Error","type":"auth_error"}}', id),
    ).toMatchObject({
      pass: false,
      error: { status: 502 },
    });
    const provider = classifyLitellmError(
      401,
      '{"error":{"message":"litellm.AuthenticationError: bad key SECRET-VALUE"}}',
      id,
    );
    expect(provider).toMatchObject({ pass: false, error: { status: 502 } });
    expect(JSON.stringify(provider)).not.toContain('SECRET-VALUE');
  });

  it('maps 5xx to 502 and passes other 4xx, scrubbed', () => {
    expect(classifyLitellmError(500, '{"error":{"message":"boom"}}', id)).toMatchObject({
      pass: false,
      error: { status: 502, message: 'Upstream failure: boom' },
    });
    expect(classifyLitellmError(400, '{"error":{"message":"bad SECRET-VALUE"}}', id)).toEqual({
      pass: true,
      body: '{"error":{"message":"bad [REDACTED]"}}',
    });
  });
});
