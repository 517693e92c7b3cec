// Component tests of the trace timeline, rendered to HTML: 100,000 events keep the DOM small, turns nest, payloads open and cut.
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import type { TraceEvent } from '../../../../contract/traces';
import { createFakeCore, sampleAgent, sampleTraceEvent } from '../../test/fake-client';
import { createTracesStore, mergeEvents } from '../../stores/traces';
import { exportFileName } from './export-jsonl';
import { PAYLOAD_PREVIEW_LINES, TraceEventRow } from './TraceEventRow';
import { TraceView } from './TraceView';

const AGENT = sampleAgent();
const T0 = 1_700_000_000_000;

/** `turns` turns of 5 events each (message_in, llm_call, tool_call, tool_result, message_out). */
function turns(count: number): TraceEvent[] {
  const out: TraceEvent[] = [];
  for (let t = 0; t < count; t++) {
    const at = T0 + t * 10;
    const trace_id = `turn-${t}`;
    const base = { agent_id: AGENT.id, trace_id };
    out.push(
      sampleTraceEvent({
        ...base,
        id: `${t}-in`,
        created_at: at,
        payload: { from: 'user', text: `question ${t}` },
      }),
      sampleTraceEvent({
        ...base,
        id: `${t}-llm`,
        created_at: at + 1,
        kind: 'llm_call',
        payload: { path: '/v1/chat/completions', stream: true, status: 200, ttft_ms: 3 },
      }),
      sampleTraceEvent({
        ...base,
        id: `${t}-call`,
        created_at: at + 2,
        kind: 'tool_call',
        payload: { name: 'shell', arguments: '{"command":"ls"}' },
      }),
      sampleTraceEvent({
        ...base,
        id: `${t}-result`,
        parent_id: `${t}-call`,
        created_at: at + 3,
        kind: 'tool_result',
        payload: { name: 'shell', output: 'file', exit_code: 0, size: 4, truncated: false },
      }),
      sampleTraceEvent({
        ...base,
        id: `${t}-out`,
        parent_id: `${t}-in`,
        created_at: at + 4,
        kind: 'message_out',
        payload: { text: `answer ${t}` },
      }),
    );
  }
  return out;
}

function storeWith(events: TraceEvent[], extra: Record<string, unknown> = {}) {
  const core = createFakeCore();
  const store = createTracesStore(() => core.client);
  store.setState({ agentId: AGENT.id, loaded: true, events: mergeEvents([], events), ...extra });
  return store;
}

const count = (html: string, re: RegExp) => (html.match(re) ?? []).length;

describe('trace timeline', () => {
  it('renders only the turns in view with 100,000 events loaded', () => {
    const events = turns(20_000);
    expect(events).toHaveLength(100_000);
    const store = storeWith(events);
    const html = renderToStaticMarkup(
      <TraceView store={store} agents={[AGENT]} initialRect={{ width: 800, height: 560 }} />,
    );
    const groups = count(html, /data-testid="trace-group"/g);
    const rows = count(html, /data-testid="trace-event"/g);
    expect(groups).toBeGreaterThan(0);
    expect(groups).toBeLessThan(30);
    expect(rows).toBeLessThan(150);
    expect(html).toContain('100,000 events');
    // Follow mode starts at the bottom, so the newest turn is the one rendered, not the oldest.
    expect(html).toContain('question 19999<');
    expect(html).not.toContain('question 0<');
  });

  it('nests a turn: the message first, the tool_result under its tool_call, the reply last, coloured by kind', () => {
    const html = renderToStaticMarkup(<TraceView store={storeWith(turns(1))} />);
    const order = [...html.matchAll(/data-kind="([a-z_]+)"[^>]*data-depth="(\d)"/g)].map(
      (m) => `${m[1]}:${m[2]}`,
    );
    expect(order).toEqual(['message_in:1', 'llm_call:1', 'tool_call:1', 'tool_result:2', 'message_out:1']);
    expect(html).toContain('trace-event trace-kind--tool_result');
    expect(html).toContain('Tool result');
    expect(html).toContain('question 0');
  });

  it('shows the payload of an open event with a copy button, and cuts a long one behind "Show all"', () => {
    const long = sampleTraceEvent({
      id: 'long',
      created_at: T0,
      kind: 'tool_result',
      payload: {
        name: 'shell',
        output: Array.from({ length: 500 }, (_, i) => `line ${i}`).join('\n'),
        exit_code: 0,
        size: 4000,
        truncated: false,
      },
    });
    const closed = renderToStaticMarkup(<TraceEventRow event={long} />);
    expect(closed).not.toContain('trace-payload');
    const open = renderToStaticMarkup(<TraceEventRow event={long} open />);
    expect(open).toContain('data-testid="trace-copy"');
    expect(open).toContain('Show all (');
    expect(open).not.toContain('line 499');
    const short = renderToStaticMarkup(
      <TraceEventRow event={sampleTraceEvent({ id: 's', created_at: T0 })} open />,
    );
    expect(short).toContain('&quot;text&quot;: &quot;hello&quot;');
    expect(short).not.toContain('Show all');
    expect(PAYLOAD_PREVIEW_LINES).toBeLessThan(500);
  });

  it('says when filters hide everything, and shows the "N new" pill only away from the bottom', () => {
    const hidden = renderToStaticMarkup(
      <TraceView store={storeWith(turns(2), { text: 'nothing like this' })} />,
    );
    expect(hidden).toContain('No event matches these filters.');
    const away = renderToStaticMarkup(
      <TraceView store={storeWith(turns(2), { atBottom: false, newCount: 3 })} />,
    );
    expect(away).toMatch(/data-testid="trace-new-pill"[^>]*>3 new</);
    const bottom = renderToStaticMarkup(<TraceView store={storeWith(turns(2), { newCount: 0 })} />);
    expect(bottom).not.toContain('trace-new-pill');
  });

  it('names export files by agent and UTC time, safe for every file system', () => {
    expect(exportFileName('my bot/1', Date.UTC(2026, 0, 2, 3, 4, 5, 6))).toBe(
      'agentdesk-trace-my-bot-1-2026-01-02T03-04-05-006Z.jsonl',
    );
  });
});
