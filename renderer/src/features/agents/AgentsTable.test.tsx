// Component tests of the agents table and deploy progress, rendered to HTML: what a user sees per phase.
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import type { Agent } from '../../../../contract/agents';
import { deployView } from '../../stores/agents';
import { sampleAgent } from '../../test/fake-client';
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
      {...extra}
    />,
  );
}

describe('AgentsTable', () => {
  it('shows a running agent: emoji, name, model, phase, ticking uptime, no faked usage, its actions', () => {
    const since = Date.now() - 65_000;
    const html = render([sampleAgent({ emoji: '🦊', name: 'Fox', slug: 'fox', running_since: since })]);
    expect(tagOf(html, 'agent-row-fox')).toContain('data-phase="running"');
    expect(textOf(html, 'agent-emoji-fox')).toBe('🦊');
    expect(html).toContain('>Fox<');
    expect(textOf(html, 'agent-model-fox')).toBe('gpt-test-mini');
    expect(tagOf(html, 'agent-phase-fox')).toContain('phase--running');
    expect(textOf(html, 'agent-phase-fox')).toBe('Running');
    expect(textOf(html, 'agent-uptime-fox')).toMatch(/^1 min [5-9] s$/);
    // Usage is not known yet: a dash with the reason, never a number.
    expect(tagOf(html, 'agent-usage-fox')).toContain('title="Usage per day arrives with the Traces issue');
    expect(textOf(html, 'agent-usage-fox')).not.toMatch(/\d/);
    for (const id of ['stop', 'chat', 'trace', 'archive', 'logs']) tagOf(html, `agent-${id}-fox`);
    expect(html).not.toContain('data-testid="agent-start-fox"');
    expect(html).not.toContain('data-testid="agent-retry-fox"');
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
