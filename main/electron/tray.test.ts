// The tray with Electron mocked: built from agent states, updated live (debounced) from the event bus, icon per state.
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Agent } from '../../contract/agents';
import type { LlmStatus } from '../../contract/llm';
import { electronMock } from '../../test/electron-mock';
import type { FakeMenu, FakeNativeImage, FakeTray } from '../../test/electron-mock';
import { EventBus } from '../platform/event-bus';
import { appRoot } from '../platform/paths';
import { TrayController } from './tray';
import type { TrayAgent, TrayLlm } from './tray-menu';

const agent = (name: string, phase: TrayAgent['phase']): TrayAgent => ({
  id: `id-${name}`,
  name,
  emoji: '🤖',
  phase,
  phase_reason: null,
});
const llm = (state: TrayLlm['litellm']['state']): TrayLlm => ({
  litellm: { state, detail: '' },
  gateway: { state: 'listening', detail: '' },
});

let tray: TrayController | null = null;
afterEach(() => tray?.dispose());

function setup(agents: TrayAgent[], status: TrayLlm = llm('ready')) {
  const bus = new EventBus();
  const actions = { open: vi.fn(), startAgent: vi.fn(), stopAgent: vi.fn(), stopAll: vi.fn(), quit: vi.fn() };
  tray = new TrayController({
    bus,
    agents: () => agents,
    llm: () => status,
    actions,
    debounceMs: 10,
    log: { warn: vi.fn() },
  });
  const fake = electronMock.Tray.created[0] as FakeTray;
  const menu = () => fake.contextMenu as FakeMenu;
  const iconFile = () => path.basename((fake.image as FakeNativeImage).source);
  const emitAgents = (list: TrayAgent[]) => bus.emit('agents.changed', { agents: list as Agent[] });
  const emitLlm = (st: TrayLlm) => bus.emit('llm.status', st as LlmStatus);
  return { bus, actions, fake, menu, iconFile, emitAgents, emitLlm };
}

describe('TrayController', () => {
  it('shows one line per agent with its phase, the ok icon and a tooltip', () => {
    const t = setup([agent('Ada', 'running'), agent('Bob', 'stopped')]);
    expect(electronMock.Tray.created).toHaveLength(1);
    expect(t.menu().labels()).toEqual([
      'Open Agent Desk',
      '---',
      '🤖 Ada · running',
      '🤖 Bob · stopped',
      '---',
      'Stop all agents',
      '---',
      'Quit Agent Desk',
    ]);
    expect(t.iconFile()).toBe('tray-ok.png');
    expect(t.fake.toolTip).toBe('Agent Desk — 1 of 2 running');
  });

  it('loads its icons from resources/icons, where they exist', () => {
    const t = setup([]);
    const image = t.fake.image as FakeNativeImage;
    expect(image.source).toBe(path.join(appRoot(), 'resources', 'icons', 'tray-ok.png'));
    expect(image.isEmpty()).toBe(false);
  });

  it('follows agents.changed: new phases after a short quiet time, warn icon when one fails', async () => {
    const t = setup([agent('Ada', 'running')]);
    t.emitAgents([agent('Ada', 'stopping')]);
    t.emitAgents([agent('Ada', 'failed'), agent('Cy', 'creating')]);
    expect(t.menu().labels()).toContain('🤖 Ada · running'); // not yet: debounced
    await vi.waitFor(() => expect(t.menu().labels()).toContain('🤖 Ada · failed'));
    expect(t.menu().labels()).toContain('🤖 Cy · creating');
    expect(t.iconFile()).toBe('tray-warn.png');
    expect(tray?.currentState()).toBe('warn');
  });

  it('follows llm.status: down icon while LiteLLM is failed, ok again when it serves', async () => {
    const t = setup([agent('Ada', 'running')]);
    t.emitLlm(llm('failed'));
    await vi.waitFor(() => expect(t.iconFile()).toBe('tray-down.png'));
    expect(t.fake.toolTip).toContain('LiteLLM is failed');
    t.emitLlm(llm('ready'));
    await vi.waitFor(() => expect(t.iconFile()).toBe('tray-ok.png'));
  });

  it('menu clicks reach the actions: open, start, stop, stop all, quit; a click on the icon opens', () => {
    const t = setup([agent('Ada', 'running'), agent('Bob', 'stopped')]);
    t.menu().click('Open Agent Desk');
    t.menu().click('🤖 Ada · running', 'Stop');
    t.menu().click('🤖 Bob · stopped', 'Start');
    t.menu().click('Stop all agents');
    t.menu().click('Quit Agent Desk');
    t.fake.emit('click');
    expect(t.actions.open).toHaveBeenCalledTimes(2);
    expect(t.actions.stopAgent).toHaveBeenCalledWith('id-Ada');
    expect(t.actions.startAgent).toHaveBeenCalledWith('id-Bob');
    expect(t.actions.stopAll).toHaveBeenCalledTimes(1);
    expect(t.actions.quit).toHaveBeenCalledTimes(1);
    expect(() => t.menu().click('🤖 Ada · running', 'Start')).toThrow(/disabled/);
  });

  it('after dispose, the icon is gone and events change nothing', async () => {
    const t = setup([agent('Ada', 'running')]);
    tray?.dispose();
    t.emitAgents([agent('Ada', 'failed')]);
    await new Promise((r) => setTimeout(r, 30));
    expect(t.fake.isDestroyed()).toBe(true);
    expect(t.menu().labels()).toContain('🤖 Ada · running');
  });
});
