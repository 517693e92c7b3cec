// The provider catalog: every entry the issue names, with LiteLLM prefixes, auth and key policies that fit.
import { describe, expect, it } from 'vitest';
import { isAppError } from '../../../contract/errors';
import { CATALOG, catalogEntry, parseCatalog, PROVIDER_TYPES } from './catalog';

describe('catalog', () => {
  it('has every provider of issue 3', () => {
    expect(PROVIDER_TYPES).toEqual([
      'openai',
      'anthropic',
      'openrouter',
      'groq',
      'mistral',
      'gemini',
      'deepseek',
      'together',
      'xai',
      'kilocode',
      'ollama',
      'lmstudio',
      'llamacpp',
      'vllm',
      'jan',
      'openai-compatible',
    ]);
  });

  it('gives local servers their usual ports and no required key', () => {
    const ports = Object.fromEntries(
      CATALOG.filter((e) => e.kind === 'local').map((e) => [e.type, e.default_port]),
    );
    expect(ports).toEqual({ ollama: 11434, lmstudio: 1234, llamacpp: 8080, vllm: 8000, jan: 1337 });
    for (const e of CATALOG.filter((x) => x.kind === 'local')) {
      expect(e.key).not.toBe('required');
      expect(new URL(e.base_url).hostname).toBe('127.0.0.1');
      expect(new URL(e.base_url).port).toBe(String(e.default_port));
    }
  });

  it('uses LiteLLM provider prefixes', () => {
    const prefix = Object.fromEntries(CATALOG.map((e) => [e.type, e.litellm_prefix]));
    expect(prefix).toMatchObject({
      openai: 'openai/',
      anthropic: 'anthropic/',
      openrouter: 'openrouter/',
      groq: 'groq/',
      mistral: 'mistral/',
      gemini: 'gemini/',
      deepseek: 'deepseek/',
      together: 'together_ai/',
      xai: 'xai/',
      ollama: 'ollama_chat/',
      'openai-compatible': 'openai/',
    });
  });

  it('has https base URLs, an env var and a docs link for every cloud provider', () => {
    for (const e of CATALOG.filter((x) => x.kind === 'cloud')) {
      expect(e.base_url, e.type).toMatch(/^https:\/\//);
      expect(e.env_vars.length, e.type).toBeGreaterThan(0);
      expect(e.key, e.type).toBe('required');
      expect(e.docs_url, e.type).toMatch(/^https:\/\//);
    }
    expect(catalogEntry('anthropic').auth).toBe('x-api-key');
    expect(catalogEntry('gemini').auth).toBe('x-goog-api-key');
    expect(catalogEntry('ollama')).toMatchObject({
      auth: 'none',
      key: 'none',
      models: 'ollama',
      models_path: '/api/tags',
    });
  });

  it('refuses an unknown type listing every valid one', () => {
    try {
      catalogEntry('opneai');
      expect.unreachable();
    } catch (err) {
      expect(isAppError(err) && err.code).toBe('INVALID_INPUT');
      for (const t of PROVIDER_TYPES) expect((err as Error).message).toContain(t);
    }
  });

  it('rejects a broken catalog', () => {
    const one = { ...CATALOG[0] };
    expect(() => parseCatalog({ entries: [one, one] })).toThrow(/twice/);
    expect(() => parseCatalog({ entries: [{ ...one, key: 'none' }] })).toThrow(/auth is "none"/);
  });
});
