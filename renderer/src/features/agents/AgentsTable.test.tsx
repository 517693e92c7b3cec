// Component tests of the agents table and deploy progress, in a DOM: what a user sees per phase.
// @vitest-environment happy-dom
import type { ReactElement } from 'react';
import { describe, expect, it } from 'vitest';
import type { Agent } from '../../../../contract/agents';
import { deployView } from '../../stores/agents';
import type { UsageState } from '../../stores/agents';
import { sampleAgent, sampleDayTotals } from '../../test/fake-client';
import { AgentsTableView } from './AgentsTable';
import { DeployProgress } from './DeployProgress';
import { render, within } from '../../test/dom';

const noop = (): void => undefined;
const handlers = {
  onStart: noop,
  onStop: noop,
  onArchive: noop,
  onLogs: noop,
  onPane: noop,
  onDismissError: noop,
};

/** Totals answered for 2024-05-01 with no agent in them (no call today). */
const NO_CALLS: UsageState = { totals: {}, day: '2024-05-01', loaded: true, error: null };

/** Renders `ui` in its own container; its queries look only there. */
function show(ui: ReactElement) {
  const { container } = render(ui);
  const q = within(container);
  return {
    ...q,
    container,
    text: (id: string) => q.getByTestId(id).textContent,
    attr: (id: string, name: string) => q.getByTestId(id).getAttribute(name),
    has: (id: string) => q.queryByTestId(id) !== null,
  };
}

function renderTable(agents: Agent[], extra: Partial<Parameters<typeof AgentsTableView>[0]> = {}) {
  return show(
    <AgentsTableView
      agents={agents}
      selected={null}
      handlers={handlers}
      progress={{}}
      lastDeployPhase={{}}
      busy={{}}
      rowErrors={{}}
      usage={NO_CALLS}
      {...extra}
    />,
  );
}

describe('AgentsTable', () => {
  it('shows a running agent: emoji, name, model, phase, ticking uptime, "—" without calls today, its actions', () => {
    const since = Date.now() - 65_000;
    const t = renderTable([sampleAgent({ emoji: '🦊', name: 'Fox', slug: 'fox', running_since: since })]);
    expect(t.attr('agent-row-fox', 'data-phase')).toBe('running');
    expect(t.text('agent-emoji-fox')).toBe('🦊');
    t.getByText('Fox');
    expect(t.text('agent-model-fox')).toBe('gpt-test-mini');
    expect(t.getByTestId('agent-phase-fox').classList).toContain('phase--running');
    expect(t.text('agent-phase-fox')).toBe('Running');
    expect(t.text('agent-uptime-fox')).toMatch(/^1 min [5-9] s$/);
    // No model call today: a dash with the reason, never a zero.
    expect(t.attr('agent-usage-fox', 'title')).toContain(
      'No model call today (UTC day 2024-05-01, since 00:00 UTC). Tokens and cost are summed',
    );
    expect(t.text('agent-usage-fox')).toBe('—No model call today.');
    for (const id of ['stop', 'chat', 'trace', 'archive', 'logs']) t.getByTestId(`agent-${id}-fox`);
    expect(t.has('agent-start-fox')).toBe(false);
    expect(t.has('agent-retry-fox')).toBe(false);
    // One line of named icon buttons; the rarer actions wait in the closed "More" menu.
    for (const [id, name] of [
      ['stop', 'Stop'],
      ['chat', 'Chat'],
      ['trace', 'Trace'],
      ['tasks', 'Tasks'],
      ['network', 'Network'],
    ])
      expect(t.getByRole('button', { name })).toBe(t.getByTestId(`agent-${id}-fox`));
    expect(t.attr('agent-more-fox', 'aria-expanded')).toBe('false');
    const menu = t.container.querySelector<HTMLElement>('#agent-menu-fox')!;
    expect(menu.hidden).toBe(true);
    within(menu).getByTestId('agent-archive-fox');
    within(menu).getByTestId('agent-logs-fox');
  });

  it("shows today's tokens and cost of each agent, the exact figures in the title", () => {
    const fox = sampleAgent({ id: '00000000-0000-4000-8000-000000000001', slug: 'fox' });
    const owl = sampleAgent({ id: '00000000-0000-4000-8000-000000000002', slug: 'owl' });
    const usage: UsageState = {
      ...NO_CALLS,
      totals: {
        [fox.id]: sampleDayTotals({
          agent_id: fox.id,
          tokens_in: 1000,
          tokens_out: 234,
          cost_usd: 0.0042,
          calls: 3,
          errors: 1,
        }),
        [owl.id]: sampleDayTotals({ agent_id: owl.id, tokens_in: 80, tokens_out: 20, calls: 1 }),
      },
    };
    const t = renderTable([fox, owl], { usage });
    expect(t.attr('agent-usage-fox', 'data-state')).toBe('calls');
    expect(t.text('agent-usage-fox')).toBe(
      '1.2k tok · $0.004Today: 1,234 tokens, $0.004, 3 model calls, 1 failed.',
    );
    expect(t.attr('agent-usage-fox', 'title')).toContain(
      '1,000 tokens in, 234 out · $0.0042 · 3 model calls, 1 failed, today (UTC day 2024-05-01',
    );
    // A call without a price: tokens, and a cost that says it is unknown rather than $0.
    expect(t.text('agent-usage-owl')).toBe(
      '100 tok · no priceToday: 100 tokens, cost unknown, 1 model call.',
    );
    expect(t.attr('agent-usage-owl', 'title')).toContain('cost unknown (LiteLLM has no price for the model)');
  });

  it('says the totals are loading, or why they could not be had, instead of a dash', () => {
    const a = sampleAgent({ slug: 'fox' });
    const loading = renderTable([a], { usage: { totals: {}, day: null, loaded: false, error: null } });
    expect(loading.attr('agent-usage-fox', 'data-state')).toBe('loading');
    const failed = renderTable([a], {
      usage: {
        totals: {},
        day: null,
        loaded: false,
        error: {
          code: 'UNAVAILABLE',
          message: 'Daily totals are not available in this core.',
          unreachable: false,
        },
      },
    });
    expect(failed.text('agent-usage-fox')).toBe("n/aToday's tokens and cost could not be loaded.");
    expect(failed.attr('agent-usage-fox', 'title')).toContain(
      '(UNAVAILABLE): Daily totals are not available',
    );
  });

  it('shows a deploying agent with its progress line and no start/stop/archive', () => {
    const a = sampleAgent({ slug: 'new', phase: 'provisioning', running_since: null });
    const t = renderTable([a], {
      progress: {
        [a.id]: { id: a.id, phase: 'provisioning', fraction: 0.3, message: 'Importing the image' },
      },
    });
    expect(t.attr('agent-phase-new', 'data-phase')).toBe('provisioning');
    expect(t.text('agent-uptime-new')).toBe('—');
    expect(t.attr('deploy-bar-new', 'value')).toBe('30');
    expect(t.text('deploy-message-new')).toBe('Importing the image');
    expect(t.queryAllByTestId(/^agent-(start|stop|archive|chat)-new$/)).toEqual([]);
  });

  it('shows a failed agent with the reason, Retry and Logs', () => {
    const a = sampleAgent({
      slug: 'bad',
      phase: 'failed',
      phase_reason: 'The runtime did not answer on /verify within 60 s',
      failed_log: ['boot', 'Error: ECONNREFUSED'],
      running_since: null,
    });
    const t = renderTable([a], { lastDeployPhase: { [a.id]: 'verifying' } });
    expect(t.attr('agent-row-bad', 'data-phase')).toBe('failed');
    expect(t.text('deploy-message-bad')).toBe('The runtime did not answer on /verify within 60 s');
    expect(t.text('deploy-log-bad')).toBe('boot\nError: ECONNREFUSED');
    t.getByTestId('agent-retry-bad');
    t.getByTestId('agent-logs-bad');
    t.getByTestId('agent-archive-bad');
  });

  it('shows a stopped agent with Start, and a row error with its code while the action is over', () => {
    const a = sampleAgent({ slug: 'off', phase: 'stopped', running_since: null });
    const t = renderTable([a], {
      rowErrors: { [a.id]: { code: 'UNAVAILABLE', message: 'Docker is not reachable', unreachable: false } },
    });
    t.getByTestId('agent-start-off');
    expect(t.text('agent-error-off')).toContain('UNAVAILABLE Docker is not reachable');
  });

  it('hides actions and says what runs while an action of this window is under way', () => {
    const a = sampleAgent({ slug: 'busy' });
    const t = renderTable([a], { busy: { [a.id]: 'stop' } });
    expect(t.text('agent-busy-busy')).toBe('Stopping…');
    expect(t.has('agent-stop-busy')).toBe(false);
  });
});

describe('AgentsTable model notes', () => {
  it('flags an agent whose provider no longer lists its model, and not one whose model it lists', () => {
    const provider = { id: 'local', name: 'llama.cpp', status: 'ok', status_detail: '1 model' } as never;
    const t = renderTable(
      [
        sampleAgent({ slug: 'stale', id: 'a-stale', model: 'local/retired-model' }),
        sampleAgent({ slug: 'fine', id: 'a-fine', model: 'local/kept-model' }),
      ],
      { providers: [provider], listed: new Map([['local', ['kept-model']]]) },
    );
    expect(t.attr('agent-model-note-stale', 'data-state')).toBe('unserved');
    expect(t.text('agent-model-note-stale')).toContain('llama.cpp does not list “retired-model” any more');
    expect(t.has('agent-model-note-fine')).toBe(false);
  });
});

describe('DeployProgress', () => {
  it('names the five phases, marks the current one and announces the message politely', () => {
    const a = sampleAgent({ slug: 'd', phase: 'starting' });
    const t = show(<DeployProgress agent={a} view={deployView(a, undefined, 'starting')} />);
    expect(t.attr('deploy-d', 'data-outcome')).toBe('deploying');
    const steps = [...t.container.querySelectorAll<HTMLElement>('[data-step]')].map(
      (e) => `${e.dataset.step}:${e.dataset.state}`,
    );
    expect(steps).toEqual([
      'creating:done',
      'provisioning:done',
      'starting:current',
      'verifying:todo',
      'running:todo',
    ]);
    expect(t.container.querySelector('[aria-current="step"]')?.getAttribute('data-step')).toBe('starting');
    expect(t.attr('deploy-message-d', 'aria-live')).toBe('polite');
    expect(t.attr('deploy-bar-d', 'aria-valuetext')).toBe('50 %, Starting, step 3 of 5');
  });

  it('offers Retry on failure only when given', () => {
    const a = sampleAgent({ slug: 'f', phase: 'failed', phase_reason: 'no image', failed_log: [] });
    const view = deployView(a, undefined, 'provisioning');
    expect(show(<DeployProgress agent={a} view={view} />).has('deploy-retry-f')).toBe(false);
    const t = show(<DeployProgress agent={a} view={view} onRetry={noop} />);
    expect(t.text('deploy-retry-f')).toBe('Retry');
    t.getByText('The container wrote no log lines.', { exact: false });
  });
});
