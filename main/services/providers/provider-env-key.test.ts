// AGENTDESK_KEY_<ID> and the origin it belongs to (migration 008), on a real SQLite file: rows from before the migration, moves, acceptance.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../platform/logging';
import { SecretRedactor } from '../../platform/secret-redactor';
import { EnvSecretStore } from '../secrets/env-secret-store';
import { ProviderKeys } from '../secrets/provider-keys';
import { openDatabase } from '../storage/database';
import type { Db } from '../storage/database';
import { envKeyRefusedFor, ProviderRepository } from './provider-repository';
import { ProviderService } from './provider-service';

const ENV_KEY = 'sk-test-envkey-0123456789abcdef';
const A = 'https://a.example.test/v1';
const B = 'https://b.example.test/v1';

describe('the env key stays with its origin', () => {
  let dir: string;
  let db: Db;
  let repo: ProviderRepository;
  let service: ProviderService;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-test-envkey-'));
    db = openDatabase(path.join(dir, 'agentdesk.db'));
    repo = new ProviderRepository(db);
    const env = { AGENTDESK_KEY_P: ENV_KEY };
    const redactor = new SecretRedactor();
    service = new ProviderService({
      repo,
      keys: new ProviderKeys({ keychain: new EnvSecretStore({}), env: new EnvSecretStore(env), redactor }),
      redactor,
      log: createLogger({ dir: null, level: 'silent' }),
      env,
      networkRoute: () => ({ online: false, detail: 'offline (no probe leaves this test)' }),
    });
  });
  afterEach(() => {
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('add records the origin; a move keeps it, so the key is refused there, and answers say so', async () => {
    await service.add({ type: 'openai-compatible', id: 'p', name: 'P', base_url: A, probe: false });
    expect(repo.get('p')?.env_key_origin).toBe('https://a.example.test');
    expect(await service.keyFor('p')).toBe(ENV_KEY);
    const moved = await service.edit({ id: 'p', base_url: B, probe: false });
    expect(moved.key_removed).toContain('AGENTDESK_KEY_P was given for https://a.example.test');
    expect(repo.get('p')?.env_key_origin).toBe('https://a.example.test');
    expect(await service.keyFor('p')).toBeNull();
    expect(moved.key).toMatchObject({ state: 'not_needed', env_var: 'AGENTDESK_KEY_P' });
    expect(moved.key.detail).toContain('--accept-env-key');
  });

  it('a row from before the migration (no origin) records the origin it leaves on its first move', async () => {
    await service.add({ type: 'openai-compatible', id: 'p', name: 'P', base_url: A, probe: false });
    db.prepare('UPDATE providers SET env_key_origin = NULL WHERE id = ?').run('p');
    expect(envKeyRefusedFor(repo.get('p')!)).toBeNull();
    expect(await service.keyFor('p')).toBe(ENV_KEY); // as before: the current host
    await service.edit({ id: 'p', base_url: B, probe: false });
    expect(repo.get('p')?.env_key_origin).toBe('https://a.example.test');
    expect(await service.keyFor('p')).toBeNull();
  });

  it('accept_env_key ties it to the current origin; a path change on the same origin keeps it', async () => {
    await service.add({ type: 'openai-compatible', id: 'p', name: 'P', base_url: A, probe: false });
    await service.edit({ id: 'p', base_url: B, probe: false });
    const accepted = await service.edit({ id: 'p', accept_env_key: true, probe: false });
    expect(accepted.key.state).toBe('env');
    expect(repo.get('p')?.env_key_origin).toBe('https://b.example.test');
    const samePath = await service.edit({
      id: 'p',
      base_url: 'https://b.example.test/openai/v1',
      probe: false,
    });
    expect(samePath.key.state).toBe('env');
    expect(samePath.key_removed).toBeNull();
  });
});
