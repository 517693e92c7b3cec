// The runtimes registry: keyed by kind and engine, named engines added and removed, a refused factory said so.
import { describe, expect, it } from 'vitest';
import type { ContainerRuntime } from './container-runtime';
import type { EngineRecord } from './engine-target';
import { NO_REMOTE_RUNTIMES, Runtimes } from './runtimes';

const closes = new Map<string, number>();
const rt = (kind: 'docker' | 'incus', id: string = kind) =>
  ({
    kind,
    close: () => {
      closes.set(id, (closes.get(id) ?? 0) + 1);
      return Promise.resolve();
    },
  }) as unknown as ContainerRuntime;
const engine = (id: string): EngineRecord => ({
  id,
  name: id,
  target: { kind: 'docker', transport: 'ssh', ssh: { user: 'u', host: 'h', port: 22 } },
  createdAt: 0,
});

describe('Runtimes', () => {
  it('keeps the local runtimes by kind, as the map given', () => {
    const docker = rt('docker');
    const r = new Runtimes({ docker });
    expect(r.get('docker')).toBe(docker);
    expect(r.get('docker', 'local')).toBe(docker);
    expect(r.get('incus')).toBeUndefined();
    expect(r.forAgent({ runtime: 'docker' })).toBe(docker);
    expect(r.forAgent({ runtime: 'docker', engine: 'lab' })).toBeUndefined();
    expect(r.local()).toEqual({ docker });
    expect(r.all().map((e) => e.key)).toEqual(['docker']);
  });

  it('adds and removes named engines through the factory, telling listeners', async () => {
    const remote = rt('docker', 'remote');
    const r = new Runtimes({ docker: rt('docker') }, () => remote);
    const seen: string[] = [];
    r.onChange((c) => seen.push(`${c.op} ${c.entry.key}`));
    expect(r.add(engine('lab'))?.key).toBe('docker@lab');
    expect(r.forAgent({ runtime: 'docker', engine: 'lab' })).toBe(remote);
    expect(r.ofEngine('lab')?.rt).toBe(remote);
    await r.remove('lab');
    expect(r.get('docker', 'lab')).toBeUndefined();
    expect(closes.get('remote')).toBe(1);
    expect(seen).toEqual(['add docker@lab', 'remove docker@lab']);
    await r.remove('local');
    expect(r.get('docker')).toBeDefined();
  });

  it('records why the factory refused an engine, and adds nothing', () => {
    const r = new Runtimes({}, NO_REMOTE_RUNTIMES);
    expect(r.add(engine('lab'))).toBeNull();
    expect(r.refusal('lab')).toBe('docker over ssh is not available in this build of Agent Desk');
    expect(r.all()).toEqual([]);
  });
});
