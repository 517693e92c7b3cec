// The tolerant model-list parser: every listing shape seen in the field, and what is not a listing.
import { describe, expect, it } from 'vitest';
import { modelIdProblem, parseModelList } from './model-list-parser';

const clean = { cut: false, invalid: { count: 0, examples: [] } };

describe('parseModelList', () => {
  it('reads OpenAI data[] with ids', () => {
    const body = { object: 'list', data: [{ id: 'gpt-4o', object: 'model' }, { id: 'gpt-4o-mini' }] };
    expect(parseModelList(body, 'openai')).toEqual({
      models: [
        { id: 'gpt-4o', label: null },
        { id: 'gpt-4o-mini', label: null },
      ],
      next: null,
      ...clean,
    });
  });

  it('reads a bare array (Together) of objects or strings', () => {
    expect(
      parseModelList([{ id: 'meta/llama', display_name: 'Llama' }, 'mistral-7b'], 'openai')?.models,
    ).toEqual([
      { id: 'meta/llama', label: 'Llama' },
      { id: 'mistral-7b', label: null },
    ]);
  });

  it('reads Anthropic pages with display_name and the next cursor', () => {
    const body = {
      data: [{ id: 'claude-x', display_name: 'Claude X', type: 'model' }],
      has_more: true,
      first_id: 'claude-x',
      last_id: 'claude-x',
    };
    expect(parseModelList(body, 'anthropic')).toEqual({
      models: [{ id: 'claude-x', label: 'Claude X' }],
      next: 'claude-x',
      ...clean,
    });
    expect(parseModelList({ ...body, has_more: false }, 'anthropic')?.next).toBeNull();
  });

  it('reads Gemini models[] and strips the models/ prefix', () => {
    const body = {
      models: [{ name: 'models/gemini-2.0-flash', displayName: 'Gemini 2.0 Flash' }],
      nextPageToken: 'p2',
    };
    expect(parseModelList(body, 'gemini')).toEqual({
      models: [{ id: 'gemini-2.0-flash', label: 'Gemini 2.0 Flash' }],
      next: 'p2',
      ...clean,
    });
  });

  it('reads Ollama /api/tags models[] by model or name', () => {
    const body = { models: [{ name: 'llama3.2:3b', model: 'llama3.2:3b', size: 1 }, { name: 'qwen2.5:7b' }] };
    expect(parseModelList(body, 'ollama')?.models.map((m) => m.id)).toEqual(['llama3.2:3b', 'qwen2.5:7b']);
  });

  it('keeps OpenRouter names as labels and skips duplicates and junk items', () => {
    const body = { data: [{ id: 'a/b', name: 'A: B' }, { id: 'a/b' }, { nope: 1 }, null, 3] };
    expect(parseModelList(body, 'openai')?.models).toEqual([{ id: 'a/b', label: 'A: B' }]);
  });

  it('accepts an empty listing', () => {
    expect(parseModelList({ data: [] }, 'openai')).toEqual({ models: [], next: null, ...clean });
  });

  it('answers null for what is not a listing', () => {
    expect(parseModelList({}, 'openai')).toBeNull();
    expect(parseModelList('<html>', 'openai')).toBeNull();
    expect(parseModelList({ data: 'x' }, 'openai')).toBeNull();
    expect(parseModelList({ data: [{ x: 1 }, { y: 2 }] }, 'openai')).toBeNull();
    expect(parseModelList(null, 'openai')).toBeNull();
  });

  it('skips ids that are not valid model ids, counting them, and stops at max', () => {
    const body = { data: [{ id: 'ok-1' }, { id: 'a,b' }, { id: 'x'.repeat(300) }, 'ok-2', 'ok-3'] };
    const page = parseModelList(body, 'openai', 2)!;
    expect(page.models.map((m) => m.id)).toEqual(['ok-1', 'ok-2']);
    expect(page.cut).toBe(true);
    expect(page.invalid.count).toBe(2);
    expect(page.invalid.examples[0]).toEqual({ id: 'a,b', why: 'contains ","' });
    expect(page.invalid.examples[1]!.id).toHaveLength(80);
  });

  it('cuts long labels and drops control characters from them', () => {
    const page = parseModelList(
      { data: [{ id: 'm', display_name: `A\u0007${'b'.repeat(500)}` }] },
      'openai',
    )!;
    expect(page.models[0]!.label).toHaveLength(200);
    expect(page.models[0]!.label!.startsWith('Ab')).toBe(true);
  });
});

describe('modelIdProblem', () => {
  it('accepts the ids seen in the field', () => {
    for (const id of [
      'gpt-4o-mini',
      'llama3.2:3b',
      'meta-llama/Llama-3-70b-chat-hf:free',
      'accounts/fireworks/models/llama-v3p1-8b-instruct',
      '@cf/meta/llama-3-8b-instruct',
      'claude-3-5-sonnet@20240620',
      '/models/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf',
      'hf.co/bartowski/Llama-3.2-1B-Instruct-GGUF:Q4_K_M',
    ])
      expect([id, modelIdProblem(id)]).toEqual([id, null]);
  });

  it('refuses what LiteLLM or the gateway would read as syntax, naming the character', () => {
    expect(modelIdProblem('a,b')).toBe('contains ","');
    expect(modelIdProblem('openai/*')).toBe('contains "*"');
    expect(modelIdProblem('a b')).toBe('contains U+0020');
    expect(modelIdProblem('a\nb')).toBe('contains U+000A');
    expect(modelIdProblem('é')).toBe('contains U+00E9');
    expect(modelIdProblem('x'.repeat(257))).toBe('longer than 256 characters');
    expect(modelIdProblem('')).toBe('empty');
  });
});
