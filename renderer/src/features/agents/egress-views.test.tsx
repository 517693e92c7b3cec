// The egress UI: the editor in the create form, the Network pane, "allow this host" on a refused event, and the store action behind them.
// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest';
import type { EgressPayload } from '../../../../contract/egress';
import { createAgentsStore } from '../../stores/agents';
import {
  createFakeCore,
  handleAgents,
  SAMPLE_HARNESS,
  SAMPLE_LLM_STATUS,
  sampleAgent,
  sampleTraceEvent,
} from '../../test/fake-client';
import { render, screen } from '../../test/dom';
import { AllowHostButton, TraceEventRow } from '../traces/TraceEventRow';
import { CreateAgentForm } from './CreateAgentForm';
import { EgressPane } from './EgressPane';

const refused = (payload: Partial<EgressPayload> = {}) =>
  sampleTraceEvent({
    id: 'e1',
    created_at: 1_700_000_000_000,
    trace_id: null,
    channel_id: null,
    thread_id: null,
    kind: 'egress',
    error: 'refused tcp 203.0.113.7:443 (api.example.com): not allowed (egress none)',
    payload: {
      protocol: 'tcp',
      address: '203.0.113.7',
      port: 443,
      host: 'api.example.com',
      mode: 'none',
      rule: 'not_allowed',
      count: 1,
      ...payload,
    },
  });

describe('egress editor in the create form', () => {
  const renderForm = (initial = {}) =>
    render(
      <CreateAgentForm
        harnesses={[SAMPLE_HARNESS]}
        status={SAMPLE_LLM_STATUS}
        providerNames={{}}
        agents={[]}
        onSubmit={() => Promise.resolve(null)}
        onBusy={() => undefined}
        initial={initial}
      />,
    );

  it('starts at None (gateway only), says what it means, shows no allowlist', () => {
    renderForm();
    expect(screen.getByTestId<HTMLInputElement>('agent-egress-mode-none').checked).toBe(true);
    screen.getByText('Only its model gateway.', { exact: false });
    expect(screen.queryByTestId('egress-add-input')).toBeNull();
  });

  it('in Allowlist lists the entries with a remove button each and an input to add one', () => {
    renderForm({ egress: 'allowlist', allow: ['api.example.com:443', '*.cdn.example'] });
    expect(screen.getByTestId<HTMLInputElement>('agent-egress-mode-allowlist').checked).toBe(true);
    expect(screen.getAllByTestId('egress-entry')).toHaveLength(2);
    expect(screen.getAllByTestId('egress-remove')).toHaveLength(2);
    expect(screen.getByTestId<HTMLButtonElement>('egress-add').disabled).toBe(true);
    screen.getByTestId('egress-add-input');
  });
});

describe('Network pane', () => {
  it('shows the policy, the address, and warns when it is not enforced', () => {
    const agent = sampleAgent({
      egress: {
        mode: 'allowlist',
        allow: ['203.0.113.7'],
        enforced: false,
        enforcement: 'unavailable',
        address: '10.214.3.4',
      },
    });
    render(<EgressPane agent={agent} onClose={() => undefined} />);
    expect(screen.getByTestId('egress-not-enforced').textContent).toMatch(/Not enforced on this host/);
    expect(screen.getByTestId('egress-address').textContent).toBe('10.214.3.4');
    expect(screen.getByTestId<HTMLButtonElement>('egress-save').disabled).toBe(true); // nothing changed yet
    expect(screen.getAllByTestId('egress-entry')).toHaveLength(1);
  });

  it('says how the policy is enforced: by the helper container, as root, or that egress control is off', () => {
    /** The pane's text of `testId`, or null when it has none. */
    const pane = (enforcement: 'root' | 'helper' | 'off', testId: string): string | null => {
      const view = render(
        <EgressPane
          agent={sampleAgent({
            egress: { mode: 'none', allow: [], enforced: enforcement !== 'off', enforcement, address: null },
          })}
          onClose={() => undefined}
        />,
      );
      const text = view.queryByTestId(testId)?.textContent ?? null;
      view.unmount();
      return text;
    };
    expect(pane('helper', 'egress-enforcement')).toMatch(/egress helper container/);
    expect(pane('helper', 'egress-not-enforced')).toBeNull();
    expect(pane('root', 'egress-enforcement')).toMatch(/running as root/);
    expect(pane('off', 'egress-not-enforced')).toMatch(/AGENTDESK_EGRESS=off/);
  });
});

describe('"allow this host" on a refused connection', () => {
  const noop = () => Promise.resolve(null);
  /** Renders the button alone; returns what it drew (empty when nothing). */
  const allowHost = (agent = sampleAgent(), event = refused()): HTMLElement =>
    render(
      <AllowHostButton
        event={event as Parameters<typeof AllowHostButton>[0]['event']}
        agent={agent}
        setPolicy={noop}
      />,
    ).container;

  it('is in the opened event row, which says what was refused', () => {
    render(<TraceEventRow event={refused()} open />);
    const row = screen.getByTestId('trace-event');
    expect(row.getAttribute('data-kind')).toBe('egress');
    expect(row.textContent).toContain('Egress refused');
    expect(row.textContent).toContain('refused tcp 203.0.113.7:443 (api.example.com)');
  });

  it('offers the name and port the agent tried, noting that None becomes Allowlist', () => {
    const drawn = allowHost();
    expect(screen.getByRole('button', { name: /Allow api\.example\.com:443/ })).toBe(
      screen.getByTestId('trace-allow-host'),
    );
    expect(screen.getByTestId('trace-allow-host').textContent).toBe('Allow api.example.com:443');
    expect(drawn.textContent).toContain('network access becomes Allowlist');
  });

  it('offers nothing for the host’s own services, and says when it is allowed already', () => {
    const allowed = sampleAgent({
      egress: {
        mode: 'allowlist',
        allow: ['api.example.com:443'],
        enforced: true,
        enforcement: 'helper',
        address: null,
      },
    });
    allowHost(allowed);
    expect(screen.getByTestId('trace-allowed').textContent).toBe('api.example.com:443 is allowed now');
    expect(allowHost(sampleAgent(), refused({ rule: 'host_service', host: null })).innerHTML).toBe('');
    expect(allowHost(sampleAgent({ phase: 'archived' })).innerHTML).toBe('');
  });
});

describe('agents store: setPolicy', () => {
  it('sends the change, takes the answered agent, and returns the core’s error as data', async () => {
    const core = createFakeCore();
    handleAgents(core, [sampleAgent()]);
    const store = createAgentsStore(() => core.client);
    await store.getState().load();
    const id = sampleAgent().id;
    expect(
      await store.getState().setPolicy(id, { egress: 'allowlist', allow: ['api.example.com:443'] }),
    ).toBeNull();
    expect(store.getState().agents[0]!.egress).toMatchObject({
      mode: 'allowlist',
      allow: ['api.example.com:443'],
    });
    const err = await store.getState().setPolicy(id, { remove: ['nope.example'] });
    expect(err).toMatchObject({ code: 'INVALID_INPUT' });
    expect(err?.message).toMatch(/not in the allowlist/);
  });
});
