// The egress UI: the editor in the create form, the Network pane, "allow this host" on a refused event, and the store action behind them.
import { renderToStaticMarkup } from 'react-dom/server';
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
import { AllowHostButton, TraceEventRow } from '../traces/TraceEventRow';
import { CreateAgentForm } from './CreateAgentForm';
import { EgressPane } from './EgressPane';
import { countOf, tagOf, textOf } from './test-html';

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
  const render = (initial = {}) =>
    renderToStaticMarkup(
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
    const html = render();
    expect(tagOf(html, 'agent-egress-mode-none')).toContain('checked');
    expect(html).toContain('Only its model gateway.');
    expect(html).not.toContain('data-testid="egress-add-input"');
  });

  it('in Allowlist lists the entries with a remove button each and an input to add one', () => {
    const html = render({ egress: 'allowlist', allow: ['api.example.com:443', '*.cdn.example'] });
    expect(tagOf(html, 'agent-egress-mode-allowlist')).toContain('checked');
    expect(countOf(html, 'egress-entry"')).toBe(2);
    expect(countOf(html, 'egress-remove"')).toBe(2);
    expect(tagOf(html, 'egress-add')).toContain('disabled');
    tagOf(html, 'egress-add-input');
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
    const html = renderToStaticMarkup(<EgressPane agent={agent} onClose={() => undefined} />);
    expect(textOf(html, 'egress-not-enforced')).toMatch(/Not enforced on this host/);
    expect(textOf(html, 'egress-address')).toBe('10.214.3.4');
    expect(tagOf(html, 'egress-save')).toContain('disabled'); // nothing changed yet
    expect(countOf(html, 'egress-entry"')).toBe(1);
  });

  it('says how the policy is enforced: by the helper container, as root, or that egress control is off', () => {
    const pane = (enforcement: 'root' | 'helper' | 'off') =>
      renderToStaticMarkup(
        <EgressPane
          agent={sampleAgent({
            egress: { mode: 'none', allow: [], enforced: enforcement !== 'off', enforcement, address: null },
          })}
          onClose={() => undefined}
        />,
      );
    expect(textOf(pane('helper'), 'egress-enforcement')).toMatch(/egress helper container/);
    expect(pane('helper')).not.toContain('egress-not-enforced');
    expect(textOf(pane('root'), 'egress-enforcement')).toMatch(/running as root/);
    expect(textOf(pane('off'), 'egress-not-enforced')).toMatch(/AGENTDESK_EGRESS=off/);
  });
});

describe('"allow this host" on a refused connection', () => {
  const noop = () => Promise.resolve(null);
  const allowHost = (agent = sampleAgent(), event = refused()) =>
    renderToStaticMarkup(
      <AllowHostButton
        event={event as Parameters<typeof AllowHostButton>[0]['event']}
        agent={agent}
        setPolicy={noop}
      />,
    );

  it('is in the opened event row, which says what was refused', () => {
    const html = renderToStaticMarkup(<TraceEventRow event={refused()} open />);
    expect(tagOf(html, 'trace-event')).toContain('data-kind="egress"');
    expect(html).toContain('Egress refused');
    expect(html).toContain('refused tcp 203.0.113.7:443 (api.example.com)');
  });

  it('offers the name and port the agent tried, noting that None becomes Allowlist', () => {
    const html = allowHost();
    expect(textOf(html, 'trace-allow-host')).toBe('Allow api.example.com:443');
    expect(html).toContain('network access becomes Allowlist');
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
    expect(textOf(allowHost(allowed), 'trace-allowed')).toBe('api.example.com:443 is allowed now');
    expect(allowHost(sampleAgent(), refused({ rule: 'host_service', host: null }))).toBe('');
    expect(allowHost(sampleAgent({ phase: 'archived' }))).toBe('');
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
