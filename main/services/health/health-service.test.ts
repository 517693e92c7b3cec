// The health service: fixed components in order, named engines' components added and removed, a recheck after a run in progress.
import { describe, expect, it } from 'vitest';
import type { ComponentHealth, FixedComponentName } from '../../../contract/health';
import { COMPONENT_NAMES } from '../../../contract/health';
import { HealthService } from './health-service';
import type { Probe } from './health-service';

const ok = (name: string): ComponentHealth => ({
  name: name as FixedComponentName,
  state: 'ok',
  detail: '',
  fix: '',
});
const fixed = (): Record<FixedComponentName, Probe> => {
  const out = {} as Record<FixedComponentName, Probe>;
  for (const n of COMPONENT_NAMES) out[n] = () => ok(n);
  return out;
};

describe('HealthService', () => {
  it('reports engine components after the fixed ones, until their probe is removed', async () => {
    const health = new HealthService(fixed());
    health.setProbe('engine:lab', () => ({
      name: 'engine:lab',
      state: 'missing',
      detail: 'down',
      fix: 'start it',
    }));
    const names = (await health.check()).components.map((c) => c.name);
    expect(names).toEqual([...COMPONENT_NAMES, 'engine:lab']);
    health.setProbe('engine:lab', null);
    expect((await health.check()).components.map((c) => c.name)).toEqual([...COMPONENT_NAMES]);
  });

  it('probes again after a run in progress when asked to recheck, so a change during it is reported', async () => {
    let state: ComponentHealth['state'] = 'ok';
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const probes = fixed();
    probes.keychain = async () => {
      await gate;
      return ok('keychain');
    };
    const reports: string[] = [];
    const health = new HealthService(probes, (r) =>
      reports.push(r.components.find((c) => c.name === 'engine:lab')?.state ?? 'none'),
    );
    const first = health.check();
    health.setProbe('engine:lab', () => ({ name: 'engine:lab', state, detail: '', fix: '' }));
    state = 'missing';
    const again = health.recheck();
    release();
    await first;
    expect((await again).components.find((c) => c.name === 'engine:lab')?.state).toBe('missing');
    expect(reports.at(-1)).toBe('missing');
  });
});
