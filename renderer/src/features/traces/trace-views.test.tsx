// Component tests of the trace timeline in a DOM: 100,000 events keep the DOM small, turns nest, payloads open and cut, filters reload.
// @vitest-environment happy-dom
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TraceEvent, TraceQueryInput } from '../../../../contract/traces';
import { render, screen, userEvent, waitFor, within } from '../../test/dom';
import { createFakeCore, sampleAgent, sampleTraceEvent } from '../../test/fake-client';
import { createTracesStore, mergeEvents } from '../../stores/traces';
import { exportFileName } from './export-jsonl';
import { LocalProviders, PAYLOAD_PREVIEW_LINES, TraceEventRow } from './TraceEventRow';
import { setClient } from '../../stores/client';
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

/**
 * happy-dom lays nothing out, so every box measures 0 and the virtualized timeline would show no turn.
 * Here the scroll box measures 800 × 560 px and every rendered turn 60 px, as a window would.
 */
const LAYOUT: Record<string, number> = {
  clientWidth: 800,
  clientHeight: 560,
  offsetWidth: 800,
  offsetHeight: 60,
};
beforeAll(() => {
  // The timeline reads the providers once (which of them are local) through the window's client.
  setClient(createFakeCore().client);
  for (const [name, px] of Object.entries(LAYOUT))
    Object.defineProperty(HTMLElement.prototype, name, { configurable: true, get: () => px });
});
afterAll(() => {
  for (const name of Object.keys(LAYOUT))
    delete (HTMLElement.prototype as unknown as Record<string, unknown>)[name];
});

/** Renders `ui` in its own container; its queries look only there. */
function show(ui: Parameters<typeof render>[0]) {
  const { container, unmount } = render(ui);
  return { ...within(container), container, text: () => container.textContent ?? '', unmount };
}

describe('trace timeline', () => {
  it('renders only the turns in view with 100,000 events loaded', () => {
    const events = turns(20_000);
    expect(events).toHaveLength(100_000);
    const store = storeWith(events);
    const view = show(<TraceView store={store} agents={[AGENT]} initialRect={{ width: 800, height: 560 }} />);
    const groups = view.queryAllByTestId('trace-group').length;
    const rows = view.queryAllByTestId('trace-event').length;
    expect(groups).toBeGreaterThan(0);
    expect(groups).toBeLessThan(30);
    expect(rows).toBeLessThan(150);
    expect(view.getByTestId('trace-count').textContent).toBe('100,000 events');
    // Follow mode starts at the bottom, so the newest turn is the one rendered, not the oldest.
    expect(view.getAllByText('question 19999').length).toBeGreaterThan(0);
    expect(view.queryAllByText('question 0')).toEqual([]);
  });

  it('nests a turn: the message first, the tool_result under its tool_call, the reply last, coloured by kind', () => {
    const view = show(<TraceView store={storeWith(turns(1))} />);
    const order = view.getAllByTestId('trace-event').map((e) => `${e.dataset.kind}:${e.dataset.depth}`);
    expect(order).toEqual(['message_in:1', 'llm_call:1', 'tool_call:1', 'tool_result:2', 'message_out:1']);
    const result = view.getAllByTestId('trace-event').find((e) => e.dataset.kind === 'tool_result')!;
    expect([...result.classList].slice(0, 2)).toEqual(['trace-event', 'trace-kind--tool_result']);
    expect(view.text()).toContain('Tool result');
    expect(view.text()).toContain('question 0');
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
    const closed = show(<TraceEventRow event={long} />);
    expect(closed.container.innerHTML).not.toContain('trace-payload');
    closed.unmount();
    const open = show(<TraceEventRow event={long} open />);
    open.getByTestId('trace-copy');
    open.getByRole('button', { name: /^Show all \(/ });
    expect(open.text()).not.toContain('line 499');
    open.unmount();
    const short = show(<TraceEventRow event={sampleTraceEvent({ id: 's', created_at: T0 })} open />);
    expect(short.text()).toContain('"text": "hello"');
    expect(short.text()).not.toContain('Show all');
    expect(PAYLOAD_PREVIEW_LINES).toBeLessThan(500);
  });

  it('says when filters hide everything, and shows the "N new" pill only away from the bottom', () => {
    const hidden = show(<TraceView store={storeWith(turns(2), { text: 'nothing like this' })} />);
    hidden.getByText('No event matches these filters.');
    hidden.unmount();
    const away = show(<TraceView store={storeWith(turns(2), { atBottom: false, newCount: 3 })} />);
    expect(away.getByTestId('trace-new-pill').textContent).toBe('3 new');
    away.unmount();
    const bottom = show(<TraceView store={storeWith(turns(2), { newCount: 0 })} />);
    expect(bottom.queryByTestId('trace-new-pill')).toBeNull();
  });

  it('names export files by agent and UTC time, safe for every file system', () => {
    expect(exportFileName('my bot/1', Date.UTC(2026, 0, 2, 3, 4, 5, 6))).toBe(
      'agentdesk-trace-my-bot-1-2026-01-02T03-04-05-006Z.jsonl',
    );
  });
});

describe('trace filters', () => {
  /** A core whose `traces.list` filters two turns by kinds and text, as the real one does. */
  function filteringCore() {
    const core = createFakeCore();
    const all = turns(2);
    core.handle('traces.list', (input) => {
      const q = input as TraceQueryInput;
      const events = all
        .filter((e) => !q.kinds || q.kinds.includes(e.kind))
        .filter((e) => !q.text || JSON.stringify(e.payload).includes(q.text))
        .reverse();
      return { events, next_cursor: null };
    });
    const store = createTracesStore(() => core.client);
    const requests = (): TraceQueryInput[] =>
      core.calls.filter((c) => c.channel === 'traces.list').map((c) => c.input as TraceQueryInput);
    return { core, store, requests };
  }
  const kindsShown = (): string[] => [
    ...new Set(screen.queryAllByTestId('trace-event').map((e) => e.dataset.kind!)),
  ];

  it('a kind chip asks the core for that kind only, lists only its events, and toggles back', async () => {
    const user = userEvent.setup();
    const { store, requests } = filteringCore();
    await store.getState().open(AGENT.id);
    render(<TraceView store={store} agents={[AGENT]} />);
    expect(kindsShown()).toEqual(['message_in', 'llm_call', 'tool_call', 'tool_result', 'message_out']);
    const chip = screen.getByRole('button', { name: 'Tool call' });
    expect(chip.getAttribute('aria-pressed')).toBe('false');
    await user.click(chip);
    expect(chip.getAttribute('aria-pressed')).toBe('true');
    expect(requests().at(-1)).toMatchObject({ agent_id: AGENT.id, kinds: ['tool_call'] });
    await waitFor(() => expect(kindsShown()).toEqual(['tool_call']));
    expect(screen.getByTestId('trace-count').textContent).toBe('2 events');
    await user.click(screen.getByRole('button', { name: 'Show all kinds' }));
    expect(requests().at(-1)).not.toHaveProperty('kinds');
    await waitFor(() => expect(kindsShown()).toHaveLength(5));
  });

  it('the text box asks the core once typing pauses, and lists what matches', async () => {
    const user = userEvent.setup();
    const { store, requests } = filteringCore();
    await store.getState().open(AGENT.id);
    render(<TraceView store={store} agents={[AGENT]} />);
    const before = requests().length;
    await user.type(screen.getByRole('searchbox'), 'answer 1');
    // Debounced: one request for the whole text, not one per keystroke.
    await waitFor(() => expect(requests().at(-1)).toMatchObject({ text: 'answer 1' }));
    expect(requests().length).toBe(before + 1);
    await waitFor(() => expect(screen.getByTestId('trace-count').textContent).toBe('1 event'));
    expect(kindsShown()).toEqual(['message_out']);
    expect(screen.getByTestId('trace-event').textContent).toContain('answer 1');
  });
});

describe('model call rows', () => {
  const call = (over: Partial<TraceEvent>) =>
    sampleTraceEvent({
      id: 'c1',
      created_at: Date.UTC(2026, 0, 1),
      kind: 'llm_call',
      provider: 'local-llama',
      model: 'local-llama/qwen',
      tokens_in: 20,
      tokens_out: 50,
      duration_ms: 600,
      cost_usd: null,
      payload: { path: '/v1/chat/completions', stream: true, status: 200, ttft_ms: 100 },
      ...over,
    } as Partial<TraceEvent> & Pick<TraceEvent, 'id' | 'created_at'>);

  it('show the time to the first token and the output tokens per second', () => {
    const t = show(<TraceEventRow event={call({})} />);
    expect(t.text()).toContain('first token 100 ms');
    expect(t.text()).toContain('100 tok/s'); // 50 tokens in the 500 ms after the first
  });

  it('say "$0 (local)" for an unpriced call of a provider on this machine, and nothing of a price otherwise', () => {
    const local = show(
      <LocalProviders.Provider value={new Set(['local-llama'])}>
        <TraceEventRow event={call({})} />
      </LocalProviders.Provider>,
    );
    expect(local.text()).toContain('$0 (local)');
    const cloud = show(<TraceEventRow event={call({ provider: 'cloud-x', model: 'cloud-x/m' })} />);
    expect(cloud.text()).not.toContain('$0');
  });
});
