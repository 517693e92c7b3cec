// The LiteLLM config: entries per model, env references instead of keys, master key under general_settings.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import {
  buildLitellmConfig,
  NO_KEY_PLACEHOLDER,
  providerOfModel,
  writeLitellmConfig,
} from './litellm-config';

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
    expect(doc.model_list[0]!.litellm_params.api_key).toBe(NO_KEY_PLACEHOLDER);
    expect(doc.general_settings).toEqual({ master_key: 'os.environ/LITELLM_MASTER_KEY' });
    expect(doc.litellm_settings).toBeUndefined();
    expect(doc.router_settings).toEqual({ disable_cooldowns: true });
    expect(cfg.keyEnvVars).toEqual(['AGENTDESK_KEY_OPENAI']);
    expect(cfg.models.find((m) => m.name === 'my-vllm/q')).toEqual({
      name: 'my-vllm/q',
      providerId: 'my-vllm',
      litellmModel: 'hosted_vllm/q',
    });
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
