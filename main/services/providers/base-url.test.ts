// Base URL validation (the reason is given) and slugs.
import { describe, expect, it } from 'vitest';
import { normaliseBaseUrl, slugify } from './base-url';

const reason = (raw: string | undefined) => {
  try {
    normaliseBaseUrl(raw, 'Test');
    return 'ok';
  } catch (err) {
    return (err as Error).message;
  }
};

describe('normaliseBaseUrl', () => {
  it('keeps good URLs without the trailing slash', () => {
    expect(normaliseBaseUrl('https://api.example.com/v1/', 'X')).toBe('https://api.example.com/v1');
    expect(normaliseBaseUrl(' http://127.0.0.1:8000/v1 ', 'X')).toBe('http://127.0.0.1:8000/v1');
  });

  it('says why a URL is refused', () => {
    expect(reason('')).toMatch(/Test needs a base URL/);
    expect(reason('localhost:8000/v1')).toMatch(/has no scheme; write http:\/\/localhost:8000\/v1/);
    expect(reason('ftp://x.example/v1')).toMatch(/scheme must be http or https, not "ftp"/);
    expect(reason('https://user:pw@x.example/v1')).toMatch(/contains credentials/);
    expect(reason('https://x.example/v1?key=1')).toMatch(/query string/);
    expect(reason('https://x.example/v1#a')).toMatch(/fragment/);
    expect(reason('not a url at all')).toMatch(/not a URL/);
  });
});

describe('slugify', () => {
  it('makes ids from names', () => {
    expect(slugify('OpenAI', 'x')).toBe('openai');
    expect(slugify('My Ollama (GPU box)', 'x')).toBe('my-ollama-gpu-box');
    expect(slugify('Café Münster', 'x')).toBe('cafe-munster');
    expect(slugify('!!!', 'ollama')).toBe('ollama');
    expect(slugify('a'.repeat(60), 'x')).toHaveLength(40);
  });
});
