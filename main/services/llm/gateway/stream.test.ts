// Response headers passed to agents and the SSE error scrubber: keys split across chunks, partial lines, untouched chunks.
import { describe, expect, it } from 'vitest';
import { SecretRedactor } from '../../../platform/secret-redactor';
import { answerHeaders, SseErrorScrubber } from './stream';
import { estimateUsage } from '../llm-usage';

const SECRET = 'Zk3pQ9vT2mL8xR4wB7nC';

describe('answerHeaders', () => {
  it('keeps framing, request ids and rate limits; drops LiteLLM’s and the provider’s raw headers', () => {
    const h = answerHeaders(
      {
        'content-type': 'application/json',
        'content-length': '12',
        'x-request-id': 'r1',
        'x-ratelimit-remaining-requests': '9',
        'retry-after': '3',
        'llm_provider-x-echo': SECRET,
        'x-litellm-model-api-base': 'http://10.0.0.1',
        'set-cookie': ['a=b'],
        server: 'uvicorn',
      },
      false,
    );
    expect(h).toEqual({
      'content-type': 'application/json',
      'content-length': '12',
      'x-request-id': 'r1',
      'x-ratelimit-remaining-requests': '9',
      'retry-after': '3',
    });
    expect(answerHeaders({ 'content-length': '5' }, true)).toEqual({});
  });
});

describe('SseErrorScrubber', () => {
  const redactor = new SecretRedactor();
  redactor.add(SECRET);
  const stream =
    'data: {"choices":[{"delta":{"content":"hi"}}]}\n\n' +
    `data: {"error":{"message":"bad key ${SECRET}"}}\n\n` +
    'data: [DONE]\n\n';

  it('scrubs error events whatever the chunking, and passes everything else byte for byte', () => {
    for (let size = 1; size <= stream.length; size += 7) {
      const g = new SseErrorScrubber((t) => redactor.scrub(t));
      let out = '';
      for (let i = 0; i < stream.length; i += size)
        out += g.push(Buffer.from(stream.slice(i, i + size))).toString();
      out += g.end().toString();
      expect(out, `chunks of ${size}`).toBe(stream.replace(SECRET, '[REDACTED]'));
    }
  });

  it('a chunk without "error" is the same buffer (no copy)', () => {
    const g = new SseErrorScrubber((t) => redactor.scrub(t));
    const chunk = Buffer.from('data: {"choices":[]}\n\n');
    expect(g.push(chunk)).toBe(chunk);
  });
});

describe('SecretRedactor shapes', () => {
  it('redacts virtual and master keys it never saw, even cut short', () => {
    const r = new SecretRedactor();
    expect(r.scrub(`k=sk-agentdesk-${'A1b2'.repeat(10)}xyz;`)).toBe('k=[REDACTED];');
    expect(r.scrub('cut: sk-agentdesk-AbC')).toBe('cut: [REDACTED]');
    expect(r.scrub(`m sk-master-${'x'.repeat(43)}`)).toBe('m [REDACTED]');
    expect(r.scrub('send `Authorization: Bearer sk-agentdesk-…`')).toBe(
      'send `Authorization: Bearer sk-agentdesk-…`',
    );
  });
});

describe('estimateUsage', () => {
  it('never charges nothing: input from the request size, output from the events or bytes seen', () => {
    expect(estimateUsage(null, 400, { sseEvents: 7, bytes: 900, embeddings: false })).toEqual({
      tokensIn: 100,
      tokensOut: 7,
    });
    expect(
      estimateUsage({ tokensIn: 12, tokensOut: 0 }, 400, { sseEvents: 3, bytes: 0, embeddings: false }),
    ).toEqual({
      tokensIn: 12,
      tokensOut: 3,
    });
    expect(estimateUsage(null, 0, { sseEvents: null, bytes: 40, embeddings: false })).toEqual({
      tokensIn: 1,
      tokensOut: 10,
    });
    expect(estimateUsage(null, 80, { sseEvents: null, bytes: 4000, embeddings: true }).tokensOut).toBe(0);
  });
});
