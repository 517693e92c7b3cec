// Base URL validation (the reason is given) and slugs.
import { describe, expect, it } from 'vitest';
import { checkPlainHttp, normaliseBaseUrl, originOf, slugify } from './base-url';

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

describe('checkPlainHttp', () => {
  const cloud = { kind: 'cloud' as const, label: 'OpenAI' };
  const local = { kind: 'local' as const, label: 'Ollama' };
  const custom = { kind: 'custom' as const, label: 'OpenAI-compatible' };
  const verdict = (url: string, entry: typeof cloud | typeof local | typeof custom) => {
    try {
      checkPlainHttp(url, entry);
      return 'ok';
    } catch (err) {
      return (err as Error).message;
    }
  };

  it('allows https everywhere and http on loopback for every kind', () => {
    for (const e of [cloud, local, custom]) {
      expect(verdict('https://api.example.com/v1', e)).toBe('ok');
      expect(verdict('http://127.0.0.1:8000/v1', e)).toBe('ok');
      expect(verdict('http://localhost:8000/v1', e)).toBe('ok');
      expect(verdict('http://[::1]:8000/v1', e)).toBe('ok');
    }
  });

  it('refuses http to any other host for a cloud type, naming https', () => {
    for (const url of ['http://api.openai.com/v1', 'http://192.168.1.20:8000/v1', 'http://gpu-box:8000/v1'])
      expect(verdict(url, cloud)).toMatch(/OpenAI is a hosted API: its key may only travel over https:\/\//);
  });

  it('allows http on the local network for local and custom types, and refuses public hosts', () => {
    for (const e of [local, custom]) {
      for (const url of [
        'http://192.168.1.20:11434',
        'http://10.0.0.5:8000/v1',
        'http://172.20.0.1:8000/v1',
        'http://169.254.10.1:8000/v1',
        'http://100.101.102.103:8000/v1',
        'http://[fd12:3456::1]:8000/v1',
        'http://[fe80::1]:8000/v1',
        'http://gpu-box:8000/v1',
        'http://gpu.local:8000/v1',
        'http://gpu.lan/v1',
        'http://gpu.home.arpa/v1',
      ])
        expect(verdict(url, e), url).toBe('ok');
      for (const url of [
        'http://api.example.com/v1',
        'http://203.0.113.5:8000/v1',
        'http://172.32.0.1/v1',
        'http://[2001:db8::1]/v1',
      ])
        expect(verdict(url, e), url).toMatch(/a public host needs https:\/\//);
    }
  });
});

describe('originOf', () => {
  it('is scheme, host and port', () => {
    expect(originOf('https://api.openai.com/v1')).toBe('https://api.openai.com');
    expect(originOf('http://127.0.0.1:9/v1')).not.toBe(originOf('http://127.0.0.1:10/v1'));
    expect(originOf('http://x.example/v1')).not.toBe(originOf('https://x.example/v1'));
    expect(originOf('https://x.example:443/a')).toBe(originOf('https://x.example/b'));
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
