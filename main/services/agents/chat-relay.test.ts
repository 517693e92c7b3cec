// The relay's SSE parser (chunks split anywhere) and thread titles.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readInside, SseLimitError, sseParser, titleOf } from './chat-relay-io';

describe('sseParser', () => {
  it('dispatches events split across chunks at any byte, ignoring comments, with CRLF or LF', () => {
    const stream =
      ': keep-alive\n\nevent: turn\ndata: {"turn_id":"t1"}\n\nevent: text\r\ndata: {"delta":"he"}\r\n\r\n' +
      'event: text\ndata: {"delta":"llo"}\n\nevent: done\ndata: {"reply":"hello"}\n\n';
    for (const size of [1, 3, 7, stream.length]) {
      const got: [string, unknown][] = [];
      const feed = sseParser((name, data) => got.push([name, data]));
      for (let i = 0; i < stream.length; i += size) feed(stream.slice(i, i + size));
      expect(got).toEqual([
        ['turn', { turn_id: 't1' }],
        ['text', { delta: 'he' }],
        ['text', { delta: 'llo' }],
        ['done', { reply: 'hello' }],
      ]);
    }
  });

  it('passes data that is not a JSON object as text, and names unnamed events "message"', () => {
    const got: [string, unknown][] = [];
    sseParser((name, data) => got.push([name, data]))('data: plain words\n\n');
    expect(got).toEqual([['message', { text: 'plain words' }]]);
  });
});

describe('sseParser limits', () => {
  it('throws SseLimitError for a line or an event over its limit, and not below it', () => {
    const got: unknown[] = [];
    const feed = sseParser((_n, d) => got.push(d), { maxLine: 10, maxEvent: 20 });
    feed('data: 123\n\n');
    expect(got).toEqual([{ value: 123 }]);
    expect(() => feed('data: 123456')).toThrow(SseLimitError); // 12 characters and no end yet
    const ev = sseParser(() => {}, { maxLine: 10, maxEvent: 20 });
    expect(() => ev('data: 1234\ndata: 1234\ndata: 1234\ndata: 1234\ndata: 1234\n')).toThrow(
      /an event with more than/,
    );
  });

  it('refuses an event over its limit even when it arrives whole in one chunk', () => {
    const feed = sseParser(() => {}, { maxLine: 100, maxEvent: 20 });
    expect(() => feed(`data: ${'z'.repeat(30)}\n\n`)).toThrow(/an event with more than/);
    const lines = sseParser(() => {}, { maxLine: 10, maxEvent: 100 });
    expect(() => lines('data: 12')).not.toThrow();
    expect(() => lines('345\n')).toThrow(/a line longer than/);
  });

  it('parses a long line fed in many small chunks', () => {
    const got: unknown[] = [];
    const feed = sseParser((_n, d) => got.push(d));
    const text = 'x'.repeat(2_000_000);
    feed('data: ');
    for (let i = 0; i < text.length; i += 1000) feed(text.slice(i, i + 1000));
    feed('\r');
    feed('\n\r\n');
    expect(got).toEqual([{ text }]);
  });
});

describe('titleOf', () => {
  it('takes the first user message on one line, cut at 80 characters', () => {
    expect(titleOf([{ role: 'user', content: '  Fix\n the   build ' }])).toBe('Fix the build');
    const long = titleOf([
      { role: 'assistant', content: 'x' },
      { role: 'user', content: 'y'.repeat(200) },
    ]);
    expect(long).toHaveLength(80);
    expect(long.endsWith('…')).toBe(true);
    expect(titleOf([])).toBe('(no message)');
  });
});

describe('readInside', () => {
  it('reads a file of the agent home, and refuses symlinks that lead out of it', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-test-home-'));
    try {
      const home = path.join(dir, 'home');
      fs.mkdirSync(path.join(home, 'threads'), { recursive: true });
      fs.writeFileSync(path.join(dir, 'secret.txt'), 'host secret');
      fs.writeFileSync(path.join(home, 'threads', 'a.json'), '{"ok":1}');
      fs.symlinkSync(path.join(dir, 'secret.txt'), path.join(home, 'threads', 'b.json'));
      fs.symlinkSync(dir, path.join(home, 'up'));
      expect(await readInside(home, path.join(home, 'threads', 'a.json'))).toBe('{"ok":1}');
      await expect(readInside(home, path.join(home, 'threads', 'b.json'))).rejects.toThrow(/outside/);
      await expect(readInside(home, path.join(home, 'up', 'secret.txt'))).rejects.toThrow(/outside/);
      await expect(readInside(home, path.join(home, 'threads', 'none.json'))).rejects.toMatchObject({
        code: 'ENOENT',
      });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
