// The pure tray model: overall state, tooltip and menu template from agents and LiteLLM's status.
import { describe, expect, it, vi } from 'vitest';
import { agentLabel, trayMenuTemplate, trayState, trayTooltip } from './tray-menu';
import type { TrayAgent, TrayLlm } from './tray-menu';

const agent = (name: string, phase: TrayAgent['phase'], over: Partial<TrayAgent> = {}): TrayAgent => ({
  id: `id-${name}`,
  name,
  emoji: '🤖',
  phase,
  phase_reason: null,
  ...over,
});
const llm = (
  state: TrayLlm['litellm']['state'],
  gateway: TrayLlm['gateway']['state'] = 'listening',
): TrayLlm => ({
  litellm: { state, detail: `LiteLLM is ${state}` },
  gateway: { state: gateway, detail: '' },
});
const actions = () => ({
  open: vi.fn<() => void>(),
  startAgent: vi.fn<(id: string) => void>(),
  stopAgent: vi.fn<(id: string) => void>(),
  stopAll: vi.fn<() => void>(),
  quit: vi.fn<() => void>(),
});

describe('trayState', () => {
  it('is ok when every agent is well and LiteLLM serves or is idle', () => {
    expect(trayState([agent('a', 'running'), agent('b', 'stopped')], llm('ready'))).toBe('ok');
    expect(trayState([], llm('idle'))).toBe('ok');
    expect(trayState([agent('a', 'creating')], llm('starting'))).toBe('ok');
  });

  it('warns when an agent failed', () => {
    expect(trayState([agent('a', 'running'), agent('b', 'failed')], llm('ready'))).toBe('warn');
  });

  it.each(['failed', 'restarting', 'missing'] as const)(
    'is down when LiteLLM is %s, even with a failed agent',
    (st) => {
      expect(trayState([agent('b', 'failed')], llm(st))).toBe('down');
    },
  );

  it('is down when the gateway could not listen', () => {
    expect(trayState([], llm('ready', 'error'))).toBe('down');
  });
});

describe('trayTooltip', () => {
  it('says how many agents run, and what is wrong first', () => {
    expect(trayTooltip([agent('a', 'running'), agent('b', 'stopped')], llm('ready'))).toBe(
      'Agent Desk — 1 of 2 running',
    );
    expect(trayTooltip([agent('a', 'failed'), agent('z', 'archived')], llm('failed'))).toBe(
      'Agent Desk — LiteLLM is failed · 1 agent failed · 0 of 1 running',
    );
    expect(trayTooltip([], null)).toBe('Agent Desk — no agents');
  });
});

describe('agentLabel', () => {
  it('names the engine of an agent that runs elsewhere, and says when it is unreachable', () => {
    expect(agentLabel(agent('Ada', 'running', { engine: 'local', engine_name: 'This machine' }))).toBe(
      '🤖 Ada · running',
    );
    expect(
      agentLabel(
        agent('Bo', 'running', {
          engine: 'homeserver',
          engine_name: 'Home server',
          engine_state: 'unreachable',
        }),
      ),
    ).toBe('🤖 Bo · running · unreachable · on Home server');
  });
});

describe('trayMenuTemplate', () => {
  it('lists Open, one line per live agent with emoji, name and phase, Stop all, Quit', () => {
    const menu = trayMenuTemplate(
      [agent('Ada', 'running', { emoji: '🦊' }), agent('Bob', 'stopped'), agent('Old', 'archived')],
      llm('ready'),
      actions(),
    );
    expect(menu.map((i) => (i.type === 'separator' ? '---' : i.label))).toEqual([
      'Open Agent Desk',
      '---',
      '🦊 Ada · running',
      '🤖 Bob · stopped',
      '---',
      'Stop all agents',
      '---',
      'Quit Agent Desk',
    ]);
  });

  it('enables Start and Stop per phase and calls the action with the agent id', () => {
    const a = actions();
    const menu = trayMenuTemplate(
      [agent('Ada', 'running'), agent('Bob', 'failed'), agent('Cy', 'verifying')],
      null,
      a,
    );
    const sub = (label: string) => {
      const item = menu.find((i) => i.label === label);
      return (item?.submenu ?? []) as { label: string; enabled: boolean; click: () => void }[];
    };
    expect(sub('🤖 Ada · running').map((i) => [i.label, i.enabled])).toEqual([
      ['Start', false],
      ['Stop', true],
    ]);
    expect(sub('🤖 Bob · failed').map((i) => i.enabled)).toEqual([true, true]);
    expect(sub('🤖 Cy · verifying').map((i) => i.enabled)).toEqual([false, false]);
    sub('🤖 Bob · failed')[0]!.click();
    expect(a.startAgent).toHaveBeenCalledWith('id-Bob');
    sub('🤖 Ada · running')[1]!.click();
    expect(a.stopAgent).toHaveBeenCalledWith('id-Ada');
  });

  it('disables Stop all when nothing runs, and says so when there is no agent', () => {
    const menu = trayMenuTemplate([], llm('idle'), actions());
    expect(menu.find((i) => i.label === 'Stop all agents')?.enabled).toBe(false);
    expect(menu.find((i) => i.label === 'No agents yet')?.enabled).toBe(false);
  });

  it('shows why LiteLLM is down as a disabled line', () => {
    const menu = trayMenuTemplate([], llm('failed'), actions());
    expect(menu.find((i) => i.label?.startsWith('⚠'))).toMatchObject({
      label: '⚠ LiteLLM failed: LiteLLM is failed',
      enabled: false,
    });
  });

  it('labels an agent line as emoji, name and phase', () => {
    expect(agentLabel(agent('Ada', 'stopping', { emoji: '🐙' }))).toBe('🐙 Ada · stopping');
  });
});

describe('the tray of a desktop attached to a remote core', () => {
  const running = [agent('Ada', 'running')];

  it('names the core in the tooltip and in a first disabled line', () => {
    const core = { label: 'deploy@server', reachable: true };
    expect(trayTooltip(running, llm('ready'), core)).toBe('Agent Desk (deploy@server) — 1 of 1 running');
    const menu = trayMenuTemplate(running, llm('ready'), actions(), new Map(), Date.now(), core);
    expect(menu[2]).toMatchObject({ label: 'Core: deploy@server', enabled: false });
    expect(menu.some((i) => i.label === '🤖 Ada · running')).toBe(true);
    // No "Use this computer's core" without the action; this computer's core shows no core line.
    expect(menu.some((i) => i.label === "Use this computer's core")).toBe(false);
    expect(trayMenuTemplate(running, llm('ready'), actions()).some((i) => i.label?.startsWith('Core:'))).toBe(
      false,
    );
  });

  it('while unreachable: state down, no agent lines (not shown as running), Stop all disabled', () => {
    const core = { label: 'deploy@server', reachable: false };
    expect(trayState(running, llm('ready'), core)).toBe('down');
    expect(trayTooltip(running, llm('ready'), core)).toBe('Agent Desk (deploy@server) — core unreachable');
    const a = { ...actions(), useLocalCore: vi.fn<() => void>() };
    const menu = trayMenuTemplate(running, llm('ready'), a, new Map(), Date.now(), core);
    expect(menu.some((i) => i.label?.includes('Ada'))).toBe(false);
    expect(menu.find((i) => i.label === '⚠ Core unreachable: deploy@server')?.enabled).toBe(false);
    expect(menu.find((i) => i.label === 'Stop all agents')?.enabled).toBe(false);
    menu.find((i) => i.label === "Use this computer's core")?.click?.({} as never, undefined, {});
    expect(a.useLocalCore).toHaveBeenCalledOnce();
  });
});
