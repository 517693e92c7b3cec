// Offline: cloud providers become "unreachable" once, without being probed, and are tested again once online.
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Provider } from '../../../contract/providers';
import { until } from '../../../test/agents';
import { createLogger } from '../../platform/logging';
import { SecretRedactor } from '../../platform/secret-redactor';
import { EnvSecretStore } from '../secrets/env-secret-store';
import { ProviderKeys } from '../secrets/provider-keys';
import { openDatabase } from '../storage/database';
import type { Db } from '../storage/database';
import type { NetworkRoute } from './network-status';
import { ProviderRepository } from './provider-repository';
import { ProviderService } from './provider-service';

/** TEST-NET-1 (RFC 5737): never answers, so a probe sent there fails as unreachable. */
const REMOTE = 'https://192.0.2.10/v1';

/** A port on 127.0.0.1 where nothing listens (bound, then closed). */
async function closedPort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise((r) => srv.close(r));
  return port;
}

describe('providers while offline', () => {
  let dir: string;
  let db: Db;
  let service: ProviderService;
  let localPort = 0;
  let route: NetworkRoute = { online: true, detail: 'default route via eth0' };
  const changes: Provider[][] = [];

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-test-offline-status-'));
    db = openDatabase(path.join(dir, 'agentdesk.db'));
    const env = { AGENTDESK_KEY_CLOUD: 'sk-test-offline-0123456789' };
    const redactor = new SecretRedactor();
    service = new ProviderService({
      repo: new ProviderRepository(db),
      keys: new ProviderKeys({ keychain: new EnvSecretStore({}), env: new EnvSecretStore(env), redactor }),
      redactor,
      log: createLogger({ dir: null, level: 'silent' }),
      onChange: (p) => changes.push(p),
      probeTimeoutMs: 500,
      env,
      networkRoute: () => route,
    });
    await service.add({ type: 'openai-compatible', name: 'Cloud', base_url: REMOTE, probe: false });
    localPort = await closedPort();
    await service.add({ type: 'ollama', base_url: `http://127.0.0.1:${localPort}`, probe: false });
  });

  afterAll(() => {
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('marks remote providers unreachable once when the route goes away, and leaves local ones alone', async () => {
    route = { online: false, detail: 'no default route: this computer is offline (only local servers work)' };
    const before = changes.length;
    const first = await service.network();
    expect(first).toMatchObject({ online: false, unreachable: ['cloud'] });
    expect(first.detail).toContain('offline');
    const cloud = await service.get('cloud');
    expect(cloud.status).toBe('unreachable');
    expect(cloud.status_detail).toMatch(/offline/);
    expect((await service.get('ollama')).status).toBe('unknown');
    // Asking again changes nothing and announces nothing: one status, not a storm.
    await service.network();
    await service.network();
    expect(changes.length - before).toBe(1);
  });

  it('answers a test of a remote provider offline without sending it', async () => {
    const r = await service.test('cloud');
    expect(r.probe).toMatchObject({ ok: false, kind: 'network', http_status: null });
    expect(r.probe.message).toMatch(/offline/);
    expect(r.provider.status).toBe('unreachable');
  });

  it('reports a local server that is not running as unreachable with the refusal', async () => {
    const r = await service.test('ollama');
    expect(r.probe.kind).toBe('refused');
    expect(r.provider.status).toBe('unreachable');
    expect(r.provider.status_detail).toContain(`Unreachable: Connection refused by 127.0.0.1:${localPort}`);
  });

  it('tests the unreachable remote providers again, once, when the route comes back', async () => {
    route = { online: true, detail: 'default route via eth0' };
    const back = await service.network();
    expect(back.online).toBe(true);
    // The re-test is sent now (in the background): TEST-NET never answers, so it ends in a timeout.
    const cloud = await until(
      () => service.get('cloud'),
      (p) => /Timeout|Network error/.test(p.status_detail),
      10_000,
      'the re-test of cloud',
    );
    expect(cloud.status).toBe('unreachable');
  });
});
