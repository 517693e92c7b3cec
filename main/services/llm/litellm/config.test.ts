// The LiteLLM config: entries per model, env references instead of keys, master key under general_settings.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { isEmbeddingModel, litellmModelOf } from '../../providers/catalog';
import { buildLitellmConfig, NO_KEY_PLACEHOLDER, providerOfModel, writeLitellmConfig } from './config';

const providers = [
  {
    providerId: 'openai',
    type: 'openai',
    prefix: 'openai/',
    apiBase: 'https://api.openai.com/v1',
    keyless: false,
    models: ['gpt-4o-mini', 'gpt-4o'],
  },
  {
    providerId: 'ollama',
    type: 'ollama',
    prefix: 'ollama_chat/',
    apiBase: 'http://127.0.0.1:11434',
    keyless: true,
    models: ['llama3.2:3b'],
  },
  {
    providerId: 'my-vllm',
    type: 'vllm',
    prefix: 'hosted_vllm/',
    apiBase: 'http://h:8000/v1',
    keyless: true,
    models: ['q'],
  },
  {
    providerId: 'empty',
    type: 'openai',
    prefix: 'openai/',
    apiBase: 'https://x/v1',
    keyless: false,
    models: [],
  },
];

describe('buildLitellmConfig', () => {
  it('has one entry per model, named <provider>/<model>, with env key references', () => {
    const cfg = buildLitellmConfig(providers);
    const doc = YAML.parse(cfg.yaml) as {
      model_list: { model_name: string; litellm_params: Record<string, string> }[];
      general_settings: Record<string, string>;
      litellm_settings?: unknown;
      router_settings?: unknown;
    };
    expect(doc.model_list.map((m) => m.model_name)).toEqual([
      'my-vllm/q',
      'ollama/llama3.2:3b',
      'openai/gpt-4o-mini',
      'openai/gpt-4o',
    ]);
    expect(doc.model_list[2]!.litellm_params).toEqual({
      model: 'openai/gpt-4o-mini',
      api_base: 'https://api.openai.com/v1',
      api_key: 'os.environ/AGENTDESK_KEY_OPENAI',
    });
    expect(doc.model_list[1]!.litellm_params).toEqual({
      model: 'ollama_chat/llama3.2:3b',
      api_base: 'http://127.0.0.1:11434',
    });
    expect(doc.model_list[0]!.litellm_params).toEqual({
      model: 'hosted_vllm/q',
      api_base: 'http://h:8000/v1',
      api_key: NO_KEY_PLACEHOLDER,
      use_chat_completions_api: true,
    });
    expect(doc.general_settings).toEqual({ master_key: 'os.environ/LITELLM_MASTER_KEY' });
    // The master key is never under litellm_settings (LiteLLM ignores it there and accepts any key).
    expect(doc.litellm_settings).toEqual({ drop_params: true });
    expect(doc.router_settings).toEqual({ disable_cooldowns: true });
    expect(cfg.keyEnvVars).toEqual(['AGENTDESK_KEY_OPENAI']);
    expect(cfg.models.find((m) => m.name === 'my-vllm/q')).toEqual({
      name: 'my-vllm/q',
      providerId: 'my-vllm',
      litellmModel: 'hosted_vllm/q',
    });
  });

  it('answers Responses requests of OpenAI-compatible servers through their chat completions, and OpenAI natively', () => {
    const compat = [
      {
        providerId: 'local',
        type: 'llamacpp',
        prefix: 'openai/',
        apiBase: 'http://h:8080/v1',
        keyless: true,
        models: ['qwen'],
      },
      {
        providerId: 'oai',
        type: 'openai',
        prefix: 'openai/',
        apiBase: 'https://api.openai.com/v1',
        keyless: false,
        models: ['gpt-4o'],
      },
      {
        providerId: 'claude',
        type: 'anthropic',
        prefix: 'anthropic/',
        apiBase: 'https://api.anthropic.com',
        keyless: false,
        models: ['c'],
      },
    ];
    const doc = YAML.parse(buildLitellmConfig(compat).yaml) as {
      model_list: { model_name: string; litellm_params: Record<string, unknown> }[];
    };
    const params = (name: string) => doc.model_list.find((m) => m.model_name === name)!.litellm_params;
    expect(params('local/qwen').use_chat_completions_api).toBe(true);
    expect(params('oai/gpt-4o').use_chat_completions_api).toBeUndefined();
    expect(params('claude/c').use_chat_completions_api).toBeUndefined();
  });

  it('is pure and empty without models', () => {
    expect(buildLitellmConfig(providers).yaml).toBe(buildLitellmConfig([...providers].reverse()).yaml);
    expect(buildLitellmConfig([]).models).toEqual([]);
  });

  it('writes the file 0600', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-cfg-'));
    const file = writeLitellmConfig(path.join(dir, 'litellm'), buildLitellmConfig(providers).yaml);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.statSync(path.dirname(file)).mode & 0o777).toBe(0o700);
    expect(fs.readdirSync(path.dirname(file))).toEqual(['config.yaml']);
    fs.rmSync(dir, { recursive: true });
  });

  it('providerOfModel takes the part before the first slash', () => {
    expect(providerOfModel('openrouter/meta-llama/llama-3')).toBe('openrouter');
    expect(providerOfModel('bare')).toBeNull();
  });
});

describe('local servers: Ollama and embeddings', () => {
  const local = [
    {
      providerId: 'ollama',
      type: 'ollama',
      prefix: 'ollama_chat/',
      apiBase: 'http://127.0.0.1:11434',
      keyless: true,
      models: ['llama3.2:3b', 'nomic-embed-text:latest'],
    },
    {
      providerId: 'lmstudio',
      type: 'lmstudio',
      prefix: 'lm_studio/',
      apiBase: 'http://127.0.0.1:1234/v1',
      keyless: true,
      models: ['text-embedding-nomic-embed-text-v1.5', 'qwen2.5-7b-instruct'],
    },
  ];
  type Entry = { model_name: string; litellm_params: Record<string, string>; model_info?: { mode: string } };
  const entries = () => (YAML.parse(buildLitellmConfig(local).yaml) as { model_list: Entry[] }).model_list;
  const byName = (name: string) => entries().find((e) => e.model_name === name)!;

  it('chats with Ollama through ollama_chat/ at its server root, with no key at all', () => {
    expect(byName('ollama/llama3.2:3b')).toEqual({
      model_name: 'ollama/llama3.2:3b',
      litellm_params: { model: 'ollama_chat/llama3.2:3b', api_base: 'http://127.0.0.1:11434' },
    });
  });

  it('serves Ollama embedding models through ollama/ (LiteLLM calls /api/embed) in embedding mode', () => {
    expect(byName('ollama/nomic-embed-text:latest')).toMatchObject({
      litellm_params: { model: 'ollama/nomic-embed-text:latest' },
      model_info: { mode: 'embedding' },
    });
  });

  it('marks OpenAI-style embedding models as embeddings and leaves chat models alone', () => {
    expect(byName('lmstudio/text-embedding-nomic-embed-text-v1.5')).toMatchObject({
      litellm_params: {
        model: 'lm_studio/text-embedding-nomic-embed-text-v1.5',
        api_key: NO_KEY_PLACEHOLDER,
      },
      model_info: { mode: 'embedding' },
    });
    expect(byName('lmstudio/qwen2.5-7b-instruct').model_info).toBeUndefined();
  });

  it('tells embedding model ids from chat model ids', () => {
    for (const id of [
      'nomic-embed-text',
      'mxbai-embed-large:335m',
      'text-embedding-3-small',
      'bge-m3',
      'all-minilm',
    ])
      expect(isEmbeddingModel(id), id).toBe(true);
    for (const id of ['llama3.2:3b', 'qwen2.5-coder:7b', 'gpt-4o-mini', 'gemma3:4b', 'deepseek-r1:8b'])
      expect(isEmbeddingModel(id), id).toBe(false);
    expect(litellmModelOf('ollama_chat/', 'llama3.2:3b')).toBe('ollama_chat/llama3.2:3b');
    expect(litellmModelOf('openai/', 'nomic-embed-text')).toBe('openai/nomic-embed-text');
  });
});
