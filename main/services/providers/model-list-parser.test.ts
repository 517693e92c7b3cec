// The tolerant model-list parser: every listing shape seen in the field, and what is not a listing.
import { describe, expect, it } from 'vitest';
import { parseModelList } from './model-list-parser';

describe('parseModelList', () => {
  it('reads OpenAI data[] with ids', () => {
    const body = { object: 'list', data: [{ id: 'gpt-4o', object: 'model' }, { id: 'gpt-4o-mini' }] };
    expect(parseModelList(body, 'openai')).toEqual({
      models: [
        { id: 'gpt-4o', label: null },
        { id: 'gpt-4o-mini', label: null },
      ],
      next: null,
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
    expect(parseModelList({ data: [] }, 'openai')).toEqual({ models: [], next: null });
  });

  it('answers null for what is not a listing', () => {
    expect(parseModelList({}, 'openai')).toBeNull();
    expect(parseModelList('<html>', 'openai')).toBeNull();
    expect(parseModelList({ data: 'x' }, 'openai')).toBeNull();
    expect(parseModelList({ data: [{ x: 1 }, { y: 2 }] }, 'openai')).toBeNull();
    expect(parseModelList(null, 'openai')).toBeNull();
  });
});
