// Named engines against an attacker's inputs: ids and paths stay in the engines folder, PEMs are bounded and parsed,
// no provider key rides on an engine, the client key never comes out, and an engine with agents is not removed.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Engine, EngineList } from '../../../contract/engines';
import { agentRow } from '../../../test/agents';
import { testPems } from '../../../test/engines';
import { AgentRepository } from '../agents/agent-repository';
import { Runtimes } from '../runtimes/runtimes';
import { openDatabase } from '../storage/database';
import type { Db } from '../storage/database';
import { EngineRepository } from './engine-repository';
import { EngineService } from './engine-service';

let home: string;
let db: Db;
let repo: EngineRepository;
let service: EngineService;

beforeEach(() => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-engines-'));
  fs.chmodSync(home, 0o700);
  db = openDatabase(path.join(home, 'agentdesk.db'));
  repo = new EngineRepository(db, home);
  service = new EngineService({
    repo,
    runtimes: new Runtimes({}),
    agentsOn: () => 0,
    health: { setProbe: () => undefined, recheck: () => Promise.resolve() },
    reachable: () => undefined,
    holdsSecret: (text) => text.includes('the-provider-key-the-keychain-holds'),
    probeIntervalMs: 0,
    log: pino({ level: 'silent' }),
  });
});
afterEach(() => {
  db.close();
  fs.rmSync(home, { recursive: true, force: true });
});

const tls = (over: Record<string, unknown> = {}) => {
  const p = testPems();
  return {
    id: 'lab',
    name: 'Lab',
    kind: 'docker' as const,
    transport: 'tls' as const,
    host: '127.0.0.1',
    port: 2376,
    ca_pem: p.caPem,
    cert_pem: p.certPem,
    key_pem: p.keyPem,
    ...over,
  };
};

describe('engine ids and files', () => {
  it.each(['../x', '..', 'a/b', 'A', '-x', 'local', '', 'x'.repeat(33), 'a\u0000b', '/etc'])(
    'refuses the id %j, naming what is valid',
    async (id) => {
      await expect(service.add(tls({ id }))).rejects.toMatchObject({ code: 'INVALID_INPUT' });
      expect(() => repo.folderOf(id)).toThrow(/a-z, 0-9 and -/);
      expect(
        fs.existsSync(path.join(home, 'engines')) ? fs.readdirSync(path.join(home, 'engines')) : [],
      ).toEqual([]);
    },
  );

  it('keeps PEMs out of the database, in 0600 files of a 0700 folder', async () => {
    await service.add(tls());
    const row = db.prepare('SELECT * FROM engines').get() as Record<string, string>;
    expect(JSON.stringify(row)).not.toMatch(/BEGIN/);
    const dir = path.join(home, 'engines', 'lab');
    expect(fs.statSync(dir).mode & 0o777).toBe(0o700);
    for (const f of ['ca.pem', 'cert.pem', 'key.pem'])
      expect(fs.statSync(path.join(dir, f)).mode & 0o777).toBe(0o600);
    expect(repo.get('lab')?.target).toMatchObject({ keyPem: testPems().keyPem, caPem: testPems().caPem });
  });

  it('never follows a link planted for the engines folder or a PEM file', async () => {
    const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-outside-'));
    try {
      fs.symlinkSync(outside, path.join(home, 'engines'));
      await expect(service.add(tls())).rejects.toThrow(/symbolic link/);
      expect(fs.readdirSync(outside)).toEqual([]);
      fs.unlinkSync(path.join(home, 'engines'));
      await service.add(tls());
      const key = path.join(home, 'engines', 'lab', 'key.pem');
      fs.rmSync(key);
      fs.writeFileSync(path.join(outside, 'secret'), 'not a key');
      fs.symlinkSync(path.join(outside, 'secret'), key);
      expect(() => repo.get('lab')).toThrow(/symbolic link/);
      expect(service.list()).toEqual([]);
    } finally {
      fs.rmSync(outside, { recursive: true, force: true });
    }
  });
});

describe('PEM fields', () => {
  it('refuses text that is not PEM, naming the field', async () => {
    await expect(service.add(tls({ ca_pem: 'hello' }))).rejects.toThrow(
      /ca_pem: the CA certificate must be PEM text/,
    );
  });

  it('refuses a PEM block that does not parse as what the field holds', async () => {
    await expect(service.add(tls({ cert_pem: testPems().keyPem }))).rejects.toThrow(
      /certPem: not a PEM certificate/,
    );
    await expect(service.add(tls({ key_pem: testPems().certPem }))).rejects.toThrow(
      /keyPem: not a PEM private key/,
    );
    await expect(
      service.add(tls({ ca_pem: '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n' })),
    ).rejects.toThrow(/caPem: not a PEM certificate/);
    expect(repo.briefs()).toEqual([]);
  });

  it('names a missing PEM field, and the valid transports', async () => {
    const { key_pem: _omitted, ...noKey } = tls();
    await expect(service.add(noKey as never)).rejects.toThrow(/^key_pem: /);
    await expect(service.add({ ...tls(), transport: 'ftp' } as never)).rejects.toThrow(
      /transport: must be ssh .*, tls .* or https/,
    );
  });

  it('refuses a PEM longer than 16 KiB', async () => {
    const big = `-----BEGIN CERTIFICATE-----\n${'A'.repeat(20_000)}\n-----END CERTIFICATE-----\n`;
    await expect(service.add(tls({ ca_pem: big }))).rejects.toThrow(/longer than 16384 characters/);
  });
});

describe('what an engine carries and shows', () => {
  it('never carries a provider key, by shape or as a key the core holds', async () => {
    await expect(
      service.add(tls({ name: ['sk', 'proj', 'abcdefghijklmnopqrstuvwxyz012345'].join('-') })),
    ).rejects.toThrow(/never carries a provider key/);
    await expect(
      service.add({
        id: 'box',
        name: 'the-provider-key-the-keychain-holds',
        kind: 'docker',
        transport: 'ssh',
        ssh: { user: 'deploy', host: 'box.lan', port: 22 },
      }),
    ).rejects.toThrow(/never carries a provider key/);
    expect(repo.briefs()).toEqual([]);
  });

  it('shows fingerprints, never PEM text: the client key stays in the core', async () => {
    const added = await service.add(tls());
    const list = EngineList.parse({ engines: service.list() });
    for (const shown of [added, list.engines[0]!, Engine.parse(await service.test('lab'))]) {
      const text = JSON.stringify(shown);
      expect(text).not.toMatch(/BEGIN|PRIVATE/);
      expect(text).not.toContain(testPems().keyPem.split('\n')[1]!);
      expect(shown.fingerprints.ca).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    }
  });

  it('is reported unusable with the reason when this build has no runtime for it', async () => {
    const added = await service.add(tls());
    expect(added.health).toMatchObject({
      name: 'engine:lab',
      state: 'error',
      detail: expect.stringMatching(/docker over tls is not available in this build/) as string,
    });
    expect(added.health.fix).not.toBe('');
  });
});

describe('removing an engine', () => {
  it('is refused while an agent (archived included) is on it, naming them', async () => {
    await service.add(tls());
    const agents = new AgentRepository(db);
    agents.insert(agentRow('a1', { name: 'Ada', engine: 'lab' }));
    agents.insert(agentRow('a2', { name: 'Old', slug: 'old', engine: 'lab', phase: 'archived' }));
    await expect(service.remove('lab')).rejects.toThrow(
      /still has agents: Ada \(stopped\), Old \(archived\)/,
    );
    expect(fs.existsSync(path.join(home, 'engines', 'lab', 'key.pem'))).toBe(true);
    agents.delete('a1');
    agents.delete('a2');
    await service.remove('lab');
    expect(fs.existsSync(path.join(home, 'engines', 'lab'))).toBe(false);
    expect(repo.briefs()).toEqual([]);
  });

  it('answers NOT_FOUND for an engine that does not exist', async () => {
    await expect(service.remove('nope')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
