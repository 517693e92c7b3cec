// The request allow-list: what is forwarded, dropped or refused per endpoint, and which model names are refused.
import { describe, expect, it } from 'vitest';
import { ALLOWED_FIELDS, modelProblem, screenBody } from './fields';

describe('screenBody', () => {
  it('leaves an allowed body untouched (same object, not re-serialised)', () => {
    const body = { model: 'p/m', messages: [], stream: true, tools: [], metadata: { user_id: 'u' } };
    const before = JSON.stringify(body);
    expect(screenBody('/v1/chat/completions', body)).toEqual({ ok: true, modified: false, dropped: null });
    expect(JSON.stringify(body)).toBe(before);
  });

  it('drops unknown fields and reports them', () => {
    const body: Record<string, unknown> = { model: 'p/m', input: 'x', brand_new_option: 1 };
    expect(screenBody('/v1/embeddings', body)).toEqual({
      ok: true,
      modified: true,
      dropped: ['brand_new_option'],
    });
    expect(body).toEqual({ model: 'p/m', input: 'x' });
  });

  it('refuses every LiteLLM control field, naming it and the allowed ones', () => {
    for (const field of [
      'fallbacks',
      'context_window_fallbacks',
      'content_policy_fallbacks',
      'router_settings_override',
      'user_config',
      'mock_testing_fallbacks',
      'mock_response',
      'api_base',
      'api_key',
      'extra_body',
      'litellm_metadata',
      'num_retries',
      'input_cost_per_token',
      'aws_region_name',
    ]) {
      const r = screenBody('/v1/messages', { model: 'p/m', messages: [], [field]: 1 });
      expect(r.ok, field).toBe(false);
      if (r.ok) continue;
      expect(r.error.status).toBe(400);
      expect(r.error.code).toBe('field_not_allowed');
      expect(r.error.message).toContain(`"${field}"`);
      expect(r.error.message).toContain('stop_sequences');
    }
  });

  it('metadata keeps only a string user_id; anything else in it is dropped', () => {
    const body: Record<string, unknown> = {
      model: 'p/m',
      messages: [],
      metadata: { user_id: 'u1', tags: ['t'] },
    };
    expect(screenBody('/v1/messages', body)).toEqual({
      ok: true,
      modified: true,
      dropped: ['metadata.tags'],
    });
    expect(body.metadata).toEqual({ user_id: 'u1' });
    const noUser: Record<string, unknown> = { model: 'p/m', messages: [], metadata: { model_group: 'x' } };
    screenBody('/v1/chat/completions', noUser);
    expect('metadata' in noUser).toBe(false);
    const r = screenBody('/v1/chat/completions', { model: 'p/m', messages: [], metadata: 'x' });
    expect(r.ok).toBe(false);
  });

  it('what Claude Code and the OpenAI SDKs send is allowed on their paths', () => {
    for (const f of [
      'system',
      'tools',
      'tool_choice',
      'thinking',
      'metadata',
      'stop_sequences',
      'top_k',
      'max_tokens',
    ])
      expect(ALLOWED_FIELDS.get('/v1/messages')!.has(f), f).toBe(true);
    for (const f of ['stream_options', 'response_format', 'reasoning_effort', 'parallel_tool_calls', 'tools'])
      expect(ALLOWED_FIELDS.get('/v1/chat/completions')!.has(f), f).toBe(true);
    for (const f of ['instructions', 'previous_response_id', 'reasoning', 'text', 'max_output_tokens'])
      expect(ALLOWED_FIELDS.get('/v1/responses')!.has(f), f).toBe(true);
  });
});

describe('modelProblem', () => {
  it('refuses comma lists, spaces, control characters and overlong names', () => {
    expect(modelProblem('openai/gpt-4o-mini')).toBeNull();
    expect(modelProblem('ollama/llama3.2:3b')).toBeNull();
    expect(modelProblem('a/b,c/d')).toContain('","');
    expect(modelProblem('a/b c')).not.toBeNull();
    expect(modelProblem('a/b\n')).not.toBeNull();
    expect(modelProblem('a/' + 'x'.repeat(300))).toContain('longer than');
  });
});
