// Unit tests of the Agents store against a fake core: load, live pushes and progress, create errors, row actions, logs, pane.
import { describe, expect, it } from 'vitest';
import { createFakeCore, FakeCoreError, handleAgents, sampleAgent } from '../../test/fake-client';
import { createAgentsStore, selectArchivedAgents, selectLiveAgents } from './index';

function setup(initial = [sampleAgent()]) {
  const core = createFakeCore();
  const fake = handleAgents(core, initial);
  core.handle('providers.list', () => [{ id: 'scripted', name: 'Scripted' }]);
  const store = createAgentsStore(() => core.client);
  return { core, fake, store };
}

describe('agents store', () => {
  it('loads the list, the harnesses and the provider names', async () => {
    const { store } = setup();
    expect(store.getState().loaded).toBe(false);
    await store.getState().load();
    await store.getState().loadCreateOptions();
    const s = store.getState();
    expect(s.loaded).toBe(true);
    expect(s.agents.map((a) => a.name)).toEqual(['Helper']);
    expect(s.harnesses.map((f) => f.emoji)).toEqual(['🤖', '✳️']);
    expect(s.providerNames).toEqual({ scripted: 'Scripted' });
  });

  it('keeps a newer push when a slower list answer arrives after it', async () => {
    const { core, store } = setup();
    const off = store.getState().follow();
    let release: () => void = () => undefined;
    core.handle('agents.list', () => new Promise((r) => (release = () => r({ agents: [] }))));
    const loading = store.getState().load();
    core.emit('agents.changed', { agents: [sampleAgent({ name: 'Pushed' })] });
    release();
    await loading;
    expect(store.getState().agents.map((a) => a.name)).toEqual(['Pushed']);
    off();
    expect(core.listenerCount('agents.changed')).toBe(0);
    expect(core.listenerCount('agents.progress')).toBe(0);
  });

  it('follows a deploy: progress lines, the last deploy phase, and forgets progress once running', async () => {
    const { core, fake, store } = setup([]);
    store.getState().follow();
    const r = await store.getState().create({ name: 'Fox', emoji: '🦊', model: 'scripted/gpt-test-mini' });
    if (!r.ok) throw new Error('create failed');
    expect(r.agent.phase).toBe('creating');
    expect(core.calls.at(-1)).toEqual({
      channel: 'agents.create',
      input: { name: 'Fox', emoji: '🦊', model: 'scripted/gpt-test-mini' },
    });
    fake.setPhase(r.agent.id, 'provisioning');
    core.emit('agents.progress', {
      id: r.agent.id,
      phase: 'provisioning',
      fraction: 0.3,
      message: 'Image present',
    });
    expect(store.getState().progress[r.agent.id]?.message).toBe('Image present');
    expect(store.getState().lastDeployPhase[r.agent.id]).toBe('provisioning');
    fake.setPhase(r.agent.id, 'verifying');
    fake.setPhase(r.agent.id, 'running', { running_since: 5 });
    expect(store.getState().progress[r.agent.id]).toBeUndefined();
    expect(store.getState().agents[0]?.phase).toBe('running');
  });

  it('does not let a call answer overwrite a newer pushed state', async () => {
    const { core, store } = setup([]);
    store.getState().follow();
    const newer = sampleAgent({ id: 'x', phase: 'provisioning', phase_at: 50 });
    core.handle('agents.create', () => {
      core.emit('agents.changed', { agents: [newer] });
      return sampleAgent({ id: 'x', phase: 'creating', phase_at: 40 });
    });
    await store.getState().create({ name: 'X', model: 'scripted/gpt-test-mini' });
    expect(store.getState().agents.map((a) => a.phase)).toEqual(['provisioning']);
  });

  it('returns a create error with its code, for the form to place under the field', async () => {
    const { core, store } = setup([]);
    core.handle('agents.create', () => {
      throw new FakeCoreError({
        code: 'INVALID_INPUT',
        message: 'model: "x/y" must be <provider-id>/<model-id>',
      });
    });
    const r = await store.getState().create({ name: 'A', model: 'x/y' });
    expect(r).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
    expect(store.getState().agents).toEqual([]);
  });

  it('stops, starts, archives, restores and purges, keeping a failure on its row', async () => {
    const { core, store } = setup();
    store.getState().follow();
    await store.getState().load();
    const id = store.getState().agents[0]!.id;
    expect(await store.getState().stop(id)).toBe(true);
    expect(store.getState().agents[0]?.phase).toBe('stopped');
    expect(await store.getState().start(id)).toBe(true);
    expect(await store.getState().archive(id)).toBe(true);
    expect(selectLiveAgents(store.getState())).toEqual([]);
    expect(selectArchivedAgents(store.getState()).map((a) => a.id)).toEqual([id]);
    expect(await store.getState().restore(id)).toBe(true);
    expect(selectLiveAgents(store.getState()).map((a) => a.phase)).toEqual(['running']);

    core.handle('agents.stop', () => {
      throw new FakeCoreError({ code: 'UNAVAILABLE', message: 'Docker is not reachable' });
    });
    expect(await store.getState().stop(id)).toBe(false);
    expect(store.getState().rowErrors[id]).toMatchObject({ code: 'UNAVAILABLE' });
    expect(store.getState().busy[id]).toBeUndefined();

    store.getState().openPane(id, 'chat');
    expect(await store.getState().purge(id)).toBe(true);
    expect(store.getState().agents).toEqual([]);
    expect(store.getState().selected).toBeNull();
    expect(store.getState().rowErrors[id]).toBeUndefined();
  });

  it('loads logs into the dialog state, and keeps a failure there', async () => {
    const { core, store } = setup();
    await store.getState().load();
    const id = store.getState().agents[0]!.id;
    await store.getState().openLogs(id, 50);
    expect(core.calls.at(-1)).toEqual({ channel: 'agents.logs', input: { id, tail: 50 } });
    expect(store.getState().logs).toEqual({
      id,
      loading: false,
      lines: ['runtime listening on 8100'],
      error: null,
    });
    core.handle('agents.logs', () => {
      throw new FakeCoreError({ code: 'UNAVAILABLE', message: 'no container' });
    });
    await store.getState().openLogs(id);
    expect(store.getState().logs?.error?.message).toBe('no container');
    store.getState().closeLogs();
    expect(store.getState().logs).toBeNull();
  });

  it('opens a chat pane for an agent and closes it when the agent disappears', () => {
    const { core, store } = setup();
    store.getState().follow();
    store.getState().openPane('6f1c2d3e-4b5a-4c6d-8e7f-0a1b2c3d4e5f', 'trace');
    expect(store.getState().selected).toEqual({ id: '6f1c2d3e-4b5a-4c6d-8e7f-0a1b2c3d4e5f', pane: 'trace' });
    core.emit('agents.changed', { agents: [] });
    expect(store.getState().selected).toBeNull();
  });
});
