// The cluster member of a new agent: taken on an Incus engine, refused on this machine and on a Docker engine.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../storage/database';
import { AgentRepository } from './agent-repository';
import { loadHarnesses } from '../harnesses';
import type { ContainerRuntime } from '../runtimes/container-runtime';
import type { Runtimes } from '../runtimes/runtimes';
import { newAgentRow } from './agent-create';
import type { CreateContext } from './agent-create';

const rt = (kind: 'docker' | 'incus') => ({ kind }) as unknown as ContainerRuntime;

const ctx: CreateContext = {
  harnesses: loadHarnesses(),
  runtimes: {
    get: (kind: 'docker' | 'incus') => rt(kind),
    localKinds: () => ['docker'],
    refusal: () => null,
  } as unknown as Runtimes,
  engines: () => [
    { id: 'cl', name: 'Cluster', kind: 'incus' },
    { id: 'lab', name: 'Lab', kind: 'docker' },
  ],
  defaultRuntime: () => 'docker',
  providerIds: () => ['p'],
  findLiveBySlug: () => undefined,
  dataDir: '/nonexistent-agentdesk-data',
};

const row = (over: Record<string, unknown>) => newAgentRow({ name: 'Placed', model: 'p/m', ...over }, ctx);

describe('agents.create with a member', () => {
  it('records the member on an Incus engine, and none when it is left out', () => {
    expect(row({ engine: 'cl', member: 'm1' })).toMatchObject({
      engine: 'cl',
      runtime: 'incus',
      member: 'm1',
    });
    expect(row({ engine: 'cl' }).member).toBeNull();
    expect(row({}).member).toBeNull();
  });

  it('is stored with the agent (migration 012), null for the agents recorded without one', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-test-member-'));
    try {
      const db = openDatabase(path.join(dir, 'agentdesk.db'));
      const repo = new AgentRepository(db);
      const placed = row({ engine: 'cl', member: 'm1' });
      const other = row({ name: 'Other' });
      repo.insert(placed);
      repo.insert(other);
      expect(repo.get(placed.id)?.member).toBe('m1');
      expect(repo.get(other.id)?.member).toBeNull();
      db.close();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses it on this machine and on a Docker engine, saying why', () => {
    expect(() => row({ member: 'm1' })).toThrow(
      /member: a cluster member is chosen only on an Incus engine; "local" is this machine/,
    );
    expect(() => row({ engine: 'lab', member: 'm1' })).toThrow(
      /"lab" is a docker engine; leave the member out/,
    );
  });

  it('refuses a name no member can have', () => {
    for (const bad of ['', '-m1', 'm 1', 'm1/../x', 'a'.repeat(64)])
      expect(() => row({ engine: 'cl', member: bad })).toThrow(/cluster member name/);
  });
});
