// Task runs and budgets in the desktop shell: notifications while hidden, the tray's next-run and running labels.
import { describe, expect, it } from 'vitest';
import type { Task, TaskRun } from '../../contract/tasks';
import '../../test/electron-mock';
import { scheduleOf } from './desktop-shell';
import { NoticeTracker } from './notifications';
import type { DesktopNotice } from './notifications';
import { agentLabel, trayMenuTemplate } from './tray-menu';

const AGENT = { id: 'a1', name: 'Ada', emoji: '🦊', phase: 'running' as const, phase_reason: null };

function tracker(visible: boolean) {
  const notices: DesktopNotice[] = [];
  const t = new NoticeTracker(
    { notify: (n) => notices.push(n), isWindowVisible: () => visible },
    { agents: [AGENT], llm: null },
  );
  return { t, notices };
}
const run = (status: TaskRun['status'], over: Partial<TaskRun> = {}) =>
  ({ id: 'r1', status, error: null, hint: null, answer: null, ...over }) as TaskRun;

describe('task notices', () => {
  it('a failed run notifies once while the window is hidden, with its error and hint; not while it is shown', () => {
    const hidden = tracker(false);
    const failed = run('failed', { error: 'Agent "Ada" reached its daily budget', hint: 'Raise it' });
    hidden.t.onRun(failed, { name: 'Report', notify_success: false }, AGENT);
    hidden.t.onRun(failed, { name: 'Report', notify_success: false }, AGENT);
    expect(hidden.notices).toEqual([
      { title: '🦊 Ada: “Report” failed', body: 'Agent "Ada" reached its daily budget Raise it.' },
    ]);
    const shown = tracker(true);
    shown.t.onRun(failed, { name: 'Report', notify_success: false }, AGENT);
    expect(shown.notices).toEqual([]);
  });

  it('a succeeded run notifies only when its task asks for it', () => {
    const { t, notices } = tracker(false);
    t.onRun(
      run('succeeded', { id: 'r2', answer: 'All green' }),
      { name: 'Check', notify_success: false },
      AGENT,
    );
    t.onRun(
      run('succeeded', { id: 'r3', answer: 'All green' }),
      { name: 'Check', notify_success: true },
      AGENT,
    );
    expect(notices).toEqual([{ title: '🦊 Ada: “Check” done', body: 'All green' }]);
  });

  it('budget alerts at 80 % and 100 % notify while hidden', () => {
    const { t, notices } = tracker(false);
    const base = { agent_id: 'a1', limit: 'day' as const, spent_usd: 4.1, limit_usd: 5, resets_at: 0 };
    t.onUsageAlert({ ...base, level: 'warning' }, AGENT);
    t.onUsageAlert({ ...base, level: 'reached', spent_usd: 5.02 }, AGENT);
    expect(notices.map((n) => n.title)).toEqual([
      '🦊 Ada used 80 % of its daily budget',
      '🦊 Ada reached its daily budget',
    ]);
    expect(notices[1]!.body).toContain('$5.02 of $5.00');
  });
});

describe('tray lines with tasks', () => {
  const now = 1_000_000;
  const task = (over: Partial<Task>): Task =>
    ({
      id: 't',
      agent_id: 'a1',
      name: 'Report',
      enabled: true,
      next_run_at: null,
      last_run: null,
      ...over,
    }) as Task;

  it('the soonest next run of enabled tasks; a running run wins', () => {
    const s = scheduleOf([
      task({ next_run_at: now + 600_000 }),
      task({ next_run_at: now + 120_000 }),
      task({ next_run_at: now + 1000, enabled: false }),
    ]);
    expect(agentLabel(AGENT, s.get('a1'), now)).toBe('🦊 Ada · running · next run in 2 min');
    const r = scheduleOf([task({ next_run_at: now + 120_000, last_run: { status: 'running' } as TaskRun })]);
    expect(agentLabel(AGENT, r.get('a1'), now)).toBe('🦊 Ada · running · ▶ Report');
    expect(agentLabel(AGENT, undefined, now)).toBe('🦊 Ada · running');
  });

  it('the menu shows those labels', () => {
    const actions = { open() {}, startAgent() {}, stopAgent() {}, stopAll() {}, quit() {} };
    const menu = trayMenuTemplate(
      [AGENT],
      null,
      actions,
      scheduleOf([task({ next_run_at: now + 3 * 3_600_000 })]),
      now,
    );
    expect(menu.map((m) => m.label)).toContain('🦊 Ada · running · next run in 3 h');
  });
});
