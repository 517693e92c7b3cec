// How egress enforcement is chosen (root, helper container, off, none) and what the health report says about it.
import { describe, expect, it } from 'vitest';
import { chooseEnforcement, egressHealth } from './egress-enforcement';
import type { EnforcementOptions } from './egress-enforcement';
import type { IptablesExecutor } from './iptables';

const executor = (kind: 'root' | 'helper'): IptablesExecutor => ({
  kind,
  query: () => Promise.resolve(''),
  restore: () => Promise.resolve(),
  followKernelLog: () => Promise.resolve(null),
  close: () => undefined,
});
const notRoot = 'iptables cannot be used by this process (Permission denied (you must be root))';

function options(over: Partial<EnforcementOptions> & { probe?: string | null } = {}): EnforcementOptions & {
  tried: string[];
} {
  const tried: string[] = [];
  return {
    env: {},
    platform: 'linux',
    local: () => {
      tried.push('root');
      return { executor: executor('root'), probe: () => Promise.resolve(over.probe ?? null) };
    },
    helper: () => {
      tried.push('helper');
      return Promise.resolve(executor('helper'));
    },
    ...over,
    tried,
  };
}

describe('chooseEnforcement', () => {
  it('root when this process can use iptables; the helper is not started then', async () => {
    const o = options();
    expect(await chooseEnforcement(o)).toMatchObject({ state: 'root', reason: '' });
    expect(o.tried).toEqual(['root']);
  });

  it('not root: the helper container', async () => {
    const o = options({ probe: notRoot });
    const c = await chooseEnforcement(o);
    expect(c.state).toBe('helper');
    expect(c.executor?.kind).toBe('helper');
    expect(o.tried).toEqual(['root', 'helper']);
  });

  it('not root and no Docker (e.g. Incus only): refused, with both reasons and what to do', async () => {
    const c = await chooseEnforcement(
      options({
        probe: notRoot,
        helper: () =>
          Promise.reject(new Error('Docker is not reachable (connect ENOENT /var/run/docker.sock)')),
      }),
    );
    expect(c.state).toBe('unavailable');
    expect(c.reason).toMatch(
      /you must be root.*egress helper container could not be used: Docker is not reachable/,
    );
    expect(c.fix).toMatch(
      /docker` group.*Incus alone cannot host it.*sudo agentdesk serve.*AGENTDESK_EGRESS=off/,
    );
    expect((await chooseEnforcement(options({ probe: notRoot, helper: null }))).reason).toMatch(
      /no Docker runtime is configured/,
    );
  });

  it('AGENTDESK_EGRESS: off, forced helper or root, and a bad value named', async () => {
    expect(await chooseEnforcement(options({ env: { AGENTDESK_EGRESS: 'off' } }))).toMatchObject({
      state: 'off',
      executor: null,
    });
    const forced = options({ env: { AGENTDESK_EGRESS: 'helper' } });
    expect((await chooseEnforcement(forced)).state).toBe('helper');
    expect(forced.tried).toEqual(['helper']);
    const rootOnly = options({ env: { AGENTDESK_EGRESS: 'root' }, probe: notRoot });
    expect(await chooseEnforcement(rootOnly)).toMatchObject({ state: 'unavailable', reason: notRoot });
    expect(rootOnly.tried).toEqual(['root']);
    const bad = await chooseEnforcement(options({ env: { AGENTDESK_EGRESS: 'yes' } }));
    expect(bad).toMatchObject({ state: 'unavailable', reason: 'AGENTDESK_EGRESS=yes is not valid' });
    expect(bad.fix).toMatch(/off, root or helper/);
  });

  it('not Linux: refused with the way out', async () => {
    const c = await chooseEnforcement(options({ platform: 'darwin' }));
    expect(c.state).toBe('unavailable');
    expect(c.reason).toMatch(/needs a Linux host \(this is darwin\)/);
  });
});

describe('egressHealth', () => {
  const base = { enforced: true, reason: '', fix: '', container: null };
  it('says how egress is enforced, or why not and the fix', () => {
    const asRoot = egressHealth({ ...base, enforcement: 'root' });
    expect(asRoot.state).toBe('ok');
    expect(asRoot.detail).toMatch(/root/);
    const byHelper = egressHealth({
      ...base,
      enforcement: 'helper',
      container: 'agentdesk-egress-0123456789abcdef',
    });
    expect(byHelper.state).toBe('ok');
    expect(byHelper.detail).toMatch(/helper container agentdesk-egress-0123456789abcdef/);
    const starting = egressHealth({ ...base, enforced: false, enforcement: 'starting' });
    expect(starting.state).toBe('starting');
    expect(starting.fix).toMatch(/Wait a moment/);
    expect(
      egressHealth({
        ...base,
        enforced: false,
        enforcement: 'unavailable',
        reason: 'no Docker',
        fix: 'join docker',
      }),
    ).toEqual({
      name: 'egress',
      state: 'missing',
      detail: 'Not enforced, agents cannot be deployed: no Docker',
      fix: 'join docker',
    });
    expect(egressHealth({ ...base, enforced: false, enforcement: 'off', reason: 'turned off' }).detail).toBe(
      'Not enforced: turned off',
    );
  });
});
