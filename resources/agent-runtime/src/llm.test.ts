// The runtime's reading of the model's event stream: framing, chunk boundaries, and its size cap.
import { describe, expect, it } from 'vitest';
import { sseData } from './llm';

/** A body that delivers `chunks` one read at a time. */
function body(chunks: string[]): ReadableStream<Uint8Array> {
  const enc = new TextEncoder();
  return new ReadableStream({
    start(c) {
      for (const chunk of chunks) c.enqueue(enc.encode(chunk));
      c.close();
    },
  });
}

async function all(chunks: string[], maxChars?: number): Promise<string[]> {
  const out: string[] = [];
  for await (const d of sseData(body(chunks), maxChars)) out.push(d);
  return out;
}

describe('sseData', () => {
  it('gives the data of each event whatever the chunk boundaries, skipping comments and names', async () => {
    const stream = ': ping\n\ndata: {"a":1}\n\nevent: x\r\ndata: two\r\ndata: lines\r\n\r\ndata: [DONE]\n\n';
    for (const size of [1, 2, 5, stream.length]) {
      const chunks: string[] = [];
      for (let i = 0; i < stream.length; i += size) chunks.push(stream.slice(i, i + size));
      expect(await all(chunks)).toEqual(['{"a":1}', 'two\nlines', '[DONE]']);
    }
  });

  it('gives an event the stream ends without its blank line', async () => {
    expect(await all(['data: 1\n\ndata: [DONE]'])).toEqual(['1', '[DONE]']);
    expect(await all(['data: 1\n\ndata: [DONE]\n'])).toEqual(['1', '[DONE]']);
  });

  it('refuses an event past its cap, whether it comes whole, as endless data lines, or as one endless line', async () => {
    await expect(all([`data: ${'x'.repeat(50)}\n\n`], 20)).rejects.toThrow(
      /event of more than .* Mi characters/,
    );
    await expect(
      all(
        Array.from({ length: 10 }, () => 'data: 12345\n'),
        20,
      ),
    ).rejects.toThrow(/event of more than/);
    await expect(all(['data: ', ...Array.from({ length: 10 }, () => 'xxxxx')], 20)).rejects.toThrow(
      /event of more than/,
    );
    expect(await all([`data: ${'x'.repeat(20)}\n\n`], 20)).toEqual(['x'.repeat(20)]);
  });
});
