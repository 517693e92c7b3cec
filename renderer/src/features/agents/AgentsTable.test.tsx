// Component tests of the agents table and deploy progress, rendered to HTML: what a user sees per phase.
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import type { Agent } from '../../../../contract/agents';
import { deployView } from '../../stores/agents';
import type { UsageState } from '../../stores/agents';
import { sampleAgent, sampleDayTotals } from '../../test/fake-client';
import { AgentsTableView } from './AgentsTable';
import { DeployProgress } from './DeployProgress';
import { tagOf, textOf } from './test-html';

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

function render(agents: Agent[], extra: Partial<Parameters<typeof AgentsTableView>[0]> = {}): string {
  return renderToStaticMarkup(
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
    const html = render([sampleAgent({ emoji: '🦊', name: 'Fox', slug: 'fox', running_since: since })]);
    expect(tagOf(html, 'agent-row-fox')).toContain('data-phase="running"');
    expect(textOf(html, 'agent-emoji-fox')).toBe('🦊');
    expect(html).toContain('>Fox<');
    expect(textOf(html, 'agent-model-fox')).toBe('gpt-test-mini');
    expect(tagOf(html, 'agent-phase-fox')).toContain('phase--running');
    expect(textOf(html, 'agent-phase-fox')).toBe('Running');
    expect(textOf(html, 'agent-uptime-fox')).toMatch(/^1 min [5-9] s$/);
    // No model call today: a dash with the reason, never a zero.
    expect(tagOf(html, 'agent-usage-fox')).toContain(
      'title="No model call today (UTC day 2024-05-01, since 00:00 UTC). Tokens and cost are summed',
    );
    expect(textOf(html, 'agent-usage-fox')).toBe('—No model call today.');
    for (const id of ['stop', 'chat', 'trace', 'archive', 'logs']) tagOf(html, `agent-${id}-fox`);
    expect(html).not.toContain('data-testid="agent-start-fox"');
    expect(html).not.toContain('data-testid="agent-retry-fox"');
    // One line of named icon buttons; the rarer actions wait in the closed "More" menu.
    for (const [id, name] of [
      ['stop', 'Stop'],
      ['chat', 'Chat'],
      ['trace', 'Trace'],
      ['tasks', 'Tasks'],
      ['network', 'Network'],
    ])
      expect(tagOf(html, `agent-${id}-fox`)).toContain(`aria-label="${name}"`);
    expect(tagOf(html, 'agent-more-fox')).toContain('aria-expanded="false"');
    const menu = /<div id="agent-menu-fox"[^>]*>(.*?)<\/div>/.exec(html);
    expect(menu?.[0]).toContain('hidden');
    expect(menu?.[1]).toContain('data-testid="agent-archive-fox"');
    expect(menu?.[1]).toContain('data-testid="agent-logs-fox"');
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
    const html = render([fox, owl], { usage });
    expect(tagOf(html, 'agent-usage-fox')).toContain('data-state="calls"');
    expect(textOf(html, 'agent-usage-fox')).toBe(
      '1.2k tok · $0.004Today: 1,234 tokens, $0.004, 3 model calls, 1 failed.',
    );
    expect(tagOf(html, 'agent-usage-fox')).toContain(
      'title="1,000 tokens in, 234 out · $0.0042 · 3 model calls, 1 failed, today (UTC day 2024-05-01',
    );
    // A call without a price: tokens, and a cost that says it is unknown rather than $0.
    expect(textOf(html, 'agent-usage-owl')).toBe(
      '100 tok · no priceToday: 100 tokens, cost unknown, 1 model call.',
    );
    expect(tagOf(html, 'agent-usage-owl')).toContain('cost unknown (LiteLLM has no price for the model)');
  });

  it('says the totals are loading, or why they could not be had, instead of a dash', () => {
    const a = sampleAgent({ slug: 'fox' });
    const loading = render([a], { usage: { totals: {}, day: null, loaded: false, error: null } });
    expect(tagOf(loading, 'agent-usage-fox')).toContain('data-state="loading"');
    const failed = render([a], {
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
    expect(textOf(failed, 'agent-usage-fox')).toBe("n/aToday's tokens and cost could not be loaded.");
    expect(tagOf(failed, 'agent-usage-fox')).toContain('(UNAVAILABLE): Daily totals are not available');
  });

  it('shows a deploying agent with its progress line and no start/stop/archive', () => {
    const a = sampleAgent({ slug: 'new', phase: 'provisioning', running_since: null });
    const html = render([a], {
      progress: {
        [a.id]: { id: a.id, phase: 'provisioning', fraction: 0.3, message: 'Importing the image' },
      },
    });
    expect(tagOf(html, 'agent-phase-new')).toContain('data-phase="provisioning"');
    expect(textOf(html, 'agent-uptime-new')).toBe('—');
    expect(tagOf(html, 'deploy-bar-new')).toContain('value="30"');
    expect(textOf(html, 'deploy-message-new')).toBe('Importing the image');
    expect(html).not.toMatch(/data-testid="agent-(start|stop|archive|chat)-new"/);
  });

  it('shows a failed agent with the reason, Retry and Logs', () => {
    const a = sampleAgent({
      slug: 'bad',
      phase: 'failed',
      phase_reason: 'The runtime did not answer on /verify within 60 s',
      failed_log: ['boot', 'Error: ECONNREFUSED'],
      running_since: null,
    });
    const html = render([a], { lastDeployPhase: { [a.id]: 'verifying' } });
    expect(tagOf(html, 'agent-row-bad')).toContain('data-phase="failed"');
    expect(textOf(html, 'deploy-message-bad')).toBe('The runtime did not answer on /verify within 60 s');
    expect(textOf(html, 'deploy-log-bad')).toBe('boot\nError: ECONNREFUSED');
    tagOf(html, 'agent-retry-bad');
    tagOf(html, 'agent-logs-bad');
    tagOf(html, 'agent-archive-bad');
  });

  it('shows a stopped agent with Start, and a row error with its code while the action is over', () => {
    const a = sampleAgent({ slug: 'off', phase: 'stopped', running_since: null });
    const html = render([a], {
      rowErrors: { [a.id]: { code: 'UNAVAILABLE', message: 'Docker is not reachable', unreachable: false } },
    });
    tagOf(html, 'agent-start-off');
    expect(textOf(html, 'agent-error-off')).toContain('UNAVAILABLE Docker is not reachable');
  });

  it('hides actions and says what runs while an action of this window is under way', () => {
    const a = sampleAgent({ slug: 'busy' });
    const html = render([a], { busy: { [a.id]: 'stop' } });
    expect(textOf(html, 'agent-busy-busy')).toBe('Stopping…');
    expect(html).not.toContain('data-testid="agent-stop-busy"');
  });
});

describe('DeployProgress', () => {
  it('names the five phases, marks the current one and announces the message politely', () => {
    const a = sampleAgent({ slug: 'd', phase: 'starting' });
    const html = renderToStaticMarkup(
      <DeployProgress agent={a} view={deployView(a, undefined, 'starting')} />,
    );
    expect(tagOf(html, 'deploy-d')).toContain('data-outcome="deploying"');
    const steps = [...html.matchAll(/data-step="(\w+)" data-state="(\w+)"/g)].map((m) => `${m[1]}:${m[2]}`);
    expect(steps).toEqual([
      'creating:done',
      'provisioning:done',
      'starting:current',
      'verifying:todo',
      'running:todo',
    ]);
    expect(html).toContain('aria-current="step"');
    expect(tagOf(html, 'deploy-message-d')).toContain('aria-live="polite"');
    expect(tagOf(html, 'deploy-bar-d')).toContain('aria-valuetext="50 %, Starting, step 3 of 5"');
  });

  it('offers Retry on failure only when given', () => {
    const a = sampleAgent({ slug: 'f', phase: 'failed', phase_reason: 'no image', failed_log: [] });
    const view = deployView(a, undefined, 'provisioning');
    expect(renderToStaticMarkup(<DeployProgress agent={a} view={view} />)).not.toContain('deploy-retry-f');
    const html = renderToStaticMarkup(<DeployProgress agent={a} view={view} onRetry={noop} />);
    expect(textOf(html, 'deploy-retry-f')).toBe('Retry');
    expect(html).toContain('The container wrote no log lines.');
  });
});
