// Unit tests of the System store against a fake core: loading, "Check again", live updates, failures.
import { describe, expect, it } from 'vitest';
import { createFakeCore, FakeCoreError, SAMPLE_HEALTH, SAMPLE_INFO } from '../../test/fake-client';
import { UNREACHABLE_DETAILS } from '../../api/connection';
import { createSystemStore, selectComponents, selectOverallState } from './index';

function setup(): { core: ReturnType<typeof createFakeCore>; store: ReturnType<typeof createSystemStore> } {
  const core = createFakeCore();
  return { core, store: createSystemStore(() => core.client) };
}

describe('system store', () => {
  it('loads the health report and lists components in contract order', async () => {
    const { core, store } = setup();
    await store.getState().loadHealth();
    expect(core.calls).toEqual([{ channel: 'system.health', input: {} }]);
    expect(selectComponents(store.getState()).map((c) => c.name)).toEqual([
      'keychain',
      'docker',
      'incus',
      'litellm',
      'gateway',
      'egress',
    ]);
    expect(selectOverallState(store.getState())).toBe('error');
    expect(store.getState().loadingHealth).toBe(false);
  });

  it('"Check again" asks for refresh:true and takes the new report', async () => {
    const { core, store } = setup();
    await store.getState().loadHealth();
    const fresh = {
      checked_at: 2_000,
      components: SAMPLE_HEALTH.components.map((c) => ({ ...c, state: 'ok' as const, fix: '' })),
    };
    core.handle('system.health', () => fresh);
    const pending = store.getState().refreshHealth();
    expect(store.getState().refreshing).toBe(true);
    await pending;
    expect(core.calls.at(-1)).toEqual({ channel: 'system.health', input: { refresh: true } });
    expect(store.getState().health).toEqual(fresh);
    expect(store.getState().refreshing).toBe(false);
  });

  it('follows health.changed and ignores a report older than the one it has', async () => {
    const { core, store } = setup();
    const off = store.getState().follow();
    core.emit('health.changed', { ...SAMPLE_HEALTH, checked_at: 5_000 });
    expect(store.getState().health?.checked_at).toBe(5_000);
    await store.getState().loadHealth();
    expect(store.getState().health?.checked_at).toBe(5_000);
    off();
    expect(core.listenerCount('health.changed')).toBe(0);
  });

  it('keeps the last report and records the error when a call fails', async () => {
    const { core, store } = setup();
    await store.getState().loadHealth();
    core.handle('system.health', () => {
      throw new FakeCoreError({
        code: 'UNAVAILABLE',
        message: 'Lost connection to the Agent Desk core',
        details: UNREACHABLE_DETAILS,
      });
    });
    await store.getState().refreshHealth();
    expect(store.getState().health).toEqual(SAMPLE_HEALTH);
    expect(store.getState().healthError).toMatchObject({ code: 'UNAVAILABLE', unreachable: true });
  });

  it('loads core info', async () => {
    const { store } = setup();
    await store.getState().loadInfo();
    expect(store.getState().info).toEqual(SAMPLE_INFO);
  });
});
