// Notifications with Electron mocked: an agent failed, LiteLLM failed, a deploy finished while hidden — once per transition.
import { describe, expect, it, vi } from 'vitest';
import { electronMock } from '../../test/electron-mock';
import { NoticeTracker, showDesktopNotice } from './notifications';
import type { DesktopNotice } from './notifications';
import type { TrayAgent, TrayLlm } from './tray-menu';

const agent = (phase: TrayAgent['phase'], over: Partial<TrayAgent> = {}): TrayAgent => ({
  id: 'a1',
  name: 'Ada',
  emoji: '🦊',
  phase,
  phase_reason: null,
  ...over,
});
const llm = (state: TrayLlm['litellm']['state'], last_error: string | null = null) => ({
  litellm: { state, detail: `LiteLLM ${state}.`, last_error },
  gateway: { state: 'listening' as const, detail: '' },
});

function tracker(baseline: TrayAgent[] = [], visible = true, status = llm('ready')) {
  const notices: DesktopNotice[] = [];
  const state = { visible };
  const t = new NoticeTracker(
    { notify: (n) => notices.push(n), isWindowVisible: () => state.visible },
    { agents: baseline, llm: status },
  );
  return { t, notices, state };
}

describe('NoticeTracker', () => {
  it('notifies once when an agent fails, with its emoji and reason', () => {
    const { t, notices } = tracker([agent('running')]);
    t.onAgents([agent('failed', { phase_reason: 'The container exited (code 137: out of memory)' })]);
    t.onAgents([agent('failed', { phase_reason: 'The container exited (code 137: out of memory)' })]);
    expect(notices).toEqual([
      { title: '🦊 Ada failed', body: 'The container exited (code 137: out of memory)' },
    ]);
    t.onAgents([agent('creating')]);
    t.onAgents([agent('failed')]);
    expect(notices).toHaveLength(2);
    expect(notices[1]!.body).toBe('Open Agent Desk to see its last log lines.');
  });

  it('does not notify about an agent that was already failed at start', () => {
    const { t, notices } = tracker([agent('failed')]);
    t.onAgents([agent('failed')]);
    expect(notices).toEqual([]);
  });

  it('notifies a new agent that fails at once', () => {
    const { t, notices } = tracker([]);
    t.onAgents([agent('failed', { id: 'new', name: 'Bob', emoji: '🐙' })]);
    expect(notices.map((n) => n.title)).toEqual(['🐙 Bob failed']);
  });

  it('notifies once when LiteLLM fails, with its last error', () => {
    const { t, notices } = tracker();
    t.onLlm(llm('restarting'));
    t.onLlm(llm('failed', 'LiteLLM exited with code 1 five times in 5 minutes.'));
    t.onLlm(llm('failed', 'LiteLLM exited with code 1 five times in 5 minutes.'));
    expect(notices).toEqual([
      {
        title: 'LiteLLM failed',
        body: 'LiteLLM exited with code 1 five times in 5 minutes. Agents cannot reach their models.',
      },
    ]);
    t.onLlm(llm('starting'));
    t.onLlm(llm('failed'));
    expect(notices).toHaveLength(2);
  });

  it('does not notify about LiteLLM already failed at start', () => {
    const { t, notices } = tracker([], true, llm('failed'));
    t.onLlm(llm('failed'));
    expect(notices).toEqual([]);
  });

  it('notifies a deploy that finished while the window was hidden, not while it was shown', () => {
    const { t, notices, state } = tracker([], false);
    for (const phase of ['creating', 'provisioning', 'starting', 'verifying', 'running'] as const)
      t.onAgents([agent(phase)]);
    expect(notices).toEqual([{ title: '🦊 Ada is running', body: 'Its deploy finished.' }]);
    t.onAgents([agent('running')]);
    expect(notices).toHaveLength(1);

    state.visible = true;
    for (const phase of ['creating', 'verifying', 'running'] as const)
      t.onAgents([agent(phase, { id: 'b2' })]);
    expect(notices).toHaveLength(1);
  });

  it('does not call a plain restart (stopped → starting → running) a deploy', () => {
    const { t, notices } = tracker([agent('stopped')], false);
    t.onAgents([agent('starting')]);
    t.onAgents([agent('running')]);
    expect(notices).toEqual([]);
  });
});

describe('showDesktopNotice', () => {
  it('shows an Electron notification; a click opens the window', () => {
    const open = vi.fn();
    showDesktopNotice({ title: '🦊 Ada failed', body: 'why' }, open);
    const [n] = electronMock.Notification.shown;
    expect(n).toMatchObject({ title: '🦊 Ada failed', body: 'why' });
    n!.click();
    expect(open).toHaveBeenCalledTimes(1);
  });

  it('shows nothing where notifications are not supported', () => {
    electronMock.Notification.supported = false;
    showDesktopNotice({ title: 't', body: 'b' }, vi.fn());
    expect(electronMock.Notification.shown).toEqual([]);
  });
});
