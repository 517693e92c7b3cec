// OpenClaw's deploy-time configuration: the shape openclaw 2026.9.6 accepts, in the config folder, the key only in its own file.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { agentFolder, configFolderOf } from '../../agents/agent-folder';
import { loadHarnesses } from '..';
import { openClawConfig, writeOpenClawConfig } from './config';

const KEY = `sk-agentdesk-${'a1B2c3'.repeat(7)}x`;
const dirs: string[] = [];
const tmpHome = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-test-openclaw-cfg-'));
  dirs.push(d);
  return d;
};
afterEach(() => dirs.splice(0).forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

describe('OpenClaw configuration', () => {
  it('names the gateway, the agent scope and the default model, with the key as a file SecretRef', () => {
    const c = openClawConfig({
      baseUrl: 'http://172.30.0.1:4100/v1',
      model: 'scripted/gpt-test-mini',
      fallbacks: ['scripted/gpt-test-large'],
      gatewayToken: 'gw-token-0123456789abcdef',
    }) as {
      gateway: Record<string, unknown>;
      models: { mode: string; providers: { agentdesk: Record<string, unknown> } };
      agents: { defaults: { model: Record<string, unknown> } };
    };
    expect(c.gateway).toMatchObject({
      mode: 'local',
      bind: 'loopback',
      auth: { mode: 'token', token: 'gw-token-0123456789abcdef' },
      http: { endpoints: { chatCompletions: { enabled: true } } },
    });
    expect(c.models.mode).toBe('replace');
    // Nothing but the gateway: no update check, no remote catalog, no OpenAI embeddings with the key.
    expect(c).toMatchObject({
      update: { checkOnStart: false },
      memory: { search: { provider: 'none' } },
      models: { catalogRefresh: { enabled: false } },
    });
    const p = c.models.providers.agentdesk;
    expect(p).toMatchObject({
      baseUrl: 'http://172.30.0.1:4100/v1',
      api: 'openai-completions',
      apiKey: { source: 'file', provider: 'agentdesk', id: 'value' },
    });
    expect((p.models as { id: string }[]).map((m) => m.id)).toEqual([
      'scripted/gpt-test-mini',
      'scripted/gpt-test-large',
    ]);
    expect(c.agents.defaults.model).toEqual({
      primary: 'agentdesk/scripted/gpt-test-mini',
      fallbacks: ['agentdesk/scripted/gpt-test-large'],
    });
  });

  it('writes the key alone in its own file of the config folder, nothing into the home; a new key replaces the old one', () => {
    const folder = agentFolder(tmpHome(), 'a1');
    fs.mkdirSync(folder.config, { recursive: true });
    const input = {
      config: configFolderOf(folder),
      baseUrl: 'http://10.0.0.1:1/v1',
      model: 'a/b',
      fallbacks: [],
      gatewayToken: 'g'.repeat(24),
    };
    writeOpenClawConfig({ ...input, virtualKey: KEY });
    const keyFile = path.join(folder.config, 'openclaw-virtual-key');
    const config = path.join(folder.config, 'openclaw.json');
    expect(fs.readFileSync(keyFile, 'utf8')).toBe(KEY);
    expect(fs.statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(fs.statSync(config).mode & 0o777).toBe(0o640);
    expect(fs.readFileSync(config, 'utf8')).not.toMatch(/sk-agentdesk-[0-9A-Za-z]/);
    expect(JSON.parse(fs.readFileSync(config, 'utf8'))).toMatchObject({
      secrets: { providers: { agentdesk: { path: '/opt/agentdesk/config/openclaw-virtual-key' } } },
    });
    expect(fs.existsSync(folder.home)).toBe(false);
    const next = KEY.replace('a1B2', 'Z9y8');
    writeOpenClawConfig({ ...input, virtualKey: next });
    expect(fs.readFileSync(keyFile, 'utf8')).toBe(next);
    expect(fs.statSync(keyFile).nlink).toBe(1);
  });

  it('refuses anything but a virtual key', () => {
    const folder = agentFolder(tmpHome(), 'a1');
    fs.mkdirSync(folder.config, { recursive: true });
    expect(() =>
      writeOpenClawConfig({
        config: configFolderOf(folder),
        baseUrl: 'http://x/v1',
        model: 'a/b',
        fallbacks: [],
        gatewayToken: 'g'.repeat(24),
        virtualKey: 'sk-proj-REALKEY',
      }),
    ).toThrow(/only an Agent Desk virtual key/);
    expect(fs.readdirSync(folder.config)).toEqual([]);
  });

  it('ships a manifest with its own emoji, Docker only, the memory its gateway needs, configured by file', () => {
    const registry = loadHarnesses();
    expect(registry.errors).toEqual([]);
    const h = registry.get('openclaw')!;
    expect(h.manifest).toMatchObject({
      emoji: '🦞',
      image: 'agentdesk/openclaw:2026.9.6-base2',
      engines: ['docker'],
      mounts_runtime: false,
    });
    // Measured: its gateway holds ~875 MB after the first turn; at 1024 MiB the kernel kills it.
    expect(h.manifest.memory.min_mib).toBeGreaterThan(1024);
    const folder = agentFolder(tmpHome(), 'a1');
    fs.mkdirSync(folder.config, { recursive: true });
    const env = h.configure(configFolderOf(folder), {
      gateway: 'http://10.0.0.1:4000',
      virtualKey: KEY,
      model: 'a/b',
      fallbacks: [],
    });
    expect(env).toMatchObject({ OPENCLAW_CONFIG_PATH: '/opt/agentdesk/config/openclaw.json' });
    expect(fs.readdirSync(folder.config).sort()).toEqual([
      'openclaw-gateway-token',
      'openclaw-virtual-key',
      'openclaw.json',
    ]);
  });
});
