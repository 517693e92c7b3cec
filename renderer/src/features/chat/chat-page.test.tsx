// Interaction tests of the Chat page against a fake core: the agent switcher, the trace panel, a failed
// turn kept with Retry, a stopped agent read-only, and the Copy buttons.
// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { agentsStore } from '../../stores/agents';
import { chatStore } from '../../stores/chat';
import { setClient } from '../../stores/client';
import { tracePaneStore } from '../../stores/traces';
import { act, render, screen, userEvent, waitFor, within } from '../../test/dom';
import {
  createFakeCore,
  handleAgents,
  handleChat,
  handleTraceTotals,
  sampleAgent,
  sampleTraceEvent,
} from '../../test/fake-client';
import type { FakeCore } from '../../test/fake-client';
import { chatHashFor, ChatPage } from './ChatPage';

const HELPER = sampleAgent();
const FOX = sampleAgent({
  id: '00000000-0000-4000-8000-00000000f0c5',
  name: 'Fox',
  slug: 'fox',
  emoji: '🦊',
  phase: 'stopped',
});

let core: FakeCore;

beforeEach(() => {
  localStorage.clear();
  sessionStorage.clear();
  core = createFakeCore();
  handleAgents(core, [HELPER, FOX]);
  handleTraceTotals(core);
  handleChat(core, HELPER.id);
  core.handle('traces.list', (input) => ({
    events: [
      sampleTraceEvent({
        agent_id: (input as { agent_id: string }).agent_id,
        id: 'ev-1',
        created_at: 1_000,
        kind: 'message_in',
        payload: { from: 'user', text: 'hi' },
      }),
    ],
    next_cursor: null,
  }));
  setClient(core.client);
  agentsStore.setState(agentsStore.getInitialState(), true);
  chatStore.setState(chatStore.getInitialState(), true);
  tracePaneStore.setState(tracePaneStore.getInitialState(), true);
  window.location.hash = chatHashFor(HELPER.id);
});

afterEach(() => {
  window.location.hash = '';
});

/** Types `text` in the composer and clicks Send. */
async function send(user: ReturnType<typeof userEvent.setup>, text: string): Promise<void> {
  await user.type(await screen.findByTestId('chat-input'), text);
  await user.click(screen.getByTestId('chat-send'));
}

describe('Chat page', () => {
  it('opens the agent named in the hash; the switcher opens another agent’s chat', async () => {
    const user = userEvent.setup();
    render(<ChatPage />);
    const pane = await screen.findByTestId('chat-pane');
    expect(pane.dataset.agent).toBe(HELPER.id);
    const select = screen.getByTestId<HTMLSelectElement>('chat-agent-select');
    expect(select.value).toBe(HELPER.id);
    await user.selectOptions(select, FOX.id);
    expect(window.location.hash).toBe(chatHashFor(FOX.id));
    await waitFor(() => expect(screen.getByTestId('chat-pane').dataset.agent).toBe(FOX.id));
  });

  it('shows a stopped agent read-only: composer disabled, the reason, and a Start button', async () => {
    const user = userEvent.setup();
    window.location.hash = chatHashFor(FOX.id);
    render(<ChatPage />);
    await waitFor(() => expect(screen.getByTestId('chat-pane').dataset.agent).toBe(FOX.id));
    expect(screen.getByTestId<HTMLTextAreaElement>('chat-input').disabled).toBe(true);
    expect(screen.getByTestId('chat-disabled-reason').textContent).toBe('Fox is stopped. Start it to chat.');
    await user.click(screen.getByTestId('chat-start-agent'));
    expect(core.calls.filter((c) => c.channel === 'agents.start').map((c) => c.input)).toEqual([
      { id: FOX.id },
    ]);
  });

  it('toggles the trace panel with the agent’s trace, and remembers it for the session', async () => {
    const user = userEvent.setup();
    const view = render(<ChatPage />);
    const toggle = await screen.findByTestId('chat-trace-toggle');
    expect(toggle.getAttribute('aria-pressed')).toBe('false');
    expect(screen.queryByTestId('trace-pane')).toBeNull();
    await user.click(toggle);
    expect(toggle.getAttribute('aria-pressed')).toBe('true');
    const trace = screen.getByTestId('trace-pane');
    expect(trace.dataset.agent).toBe(HELPER.id);
    await waitFor(() => expect(core.calls.some((c) => c.channel === 'traces.list')).toBe(true));
    view.unmount();
    render(<ChatPage />);
    expect((await screen.findByTestId('chat-trace-toggle')).getAttribute('aria-pressed')).toBe('true');
    await user.click(screen.getByTestId('chat-trace-toggle'));
    expect(screen.queryByTestId('trace-pane')).toBeNull();
    expect(sessionStorage.getItem('agentdesk.chat.trace')).toBe('0');
  });

  it('keeps a failed turn with its error and Retry after the next message and a reload; Retry re-sends it', async () => {
    const user = userEvent.setup();
    const view = render(<ChatPage />);
    await send(user, 'please #fail');
    await screen.findByTestId('chat-retry');
    await send(user, 'next one');
    await waitFor(() => expect(screen.getAllByTestId('chat-msg-assistant')).toHaveLength(1));
    expect(screen.getByTestId('chat-error').textContent).toContain('HTTP 502');
    // A reload: new stores, same storage.
    view.unmount();
    act(() => {
      chatStore.setState(chatStore.getInitialState(), true);
    });
    render(<ChatPage />);
    const error = await screen.findByTestId('chat-error');
    expect(error.textContent).toContain('HTTP 502');
    const rows = screen.getAllByTestId(/^chat-(msg-user|error|msg-assistant)$/);
    expect(rows.map((r) => r.dataset.testid)).toEqual([
      'chat-msg-user',
      'chat-error',
      'chat-msg-user',
      'chat-msg-assistant',
    ]);
    await user.click(within(error).getByTestId('chat-retry'));
    await waitFor(() =>
      expect(
        core.calls.filter((c) => c.channel === 'agents.chat').map((c) => (c.input as { text: string }).text),
      ).toEqual(['please #fail', 'next one', 'please #fail']),
    );
  });

  it('shows Stop while a turn runs; Stop ends it as a stopped turn with Retry', async () => {
    const user = userEvent.setup();
    let open: () => void = () => {};
    const held = new Promise<void>((r) => (open = r));
    handleChat(core, HELPER.id, () => held);
    render(<ChatPage />);
    expect(screen.queryByTestId('chat-stop')).toBeNull();
    await send(user, 'a long job');
    await user.click(await screen.findByTestId('chat-stop'));
    const error = await screen.findByTestId('chat-error');
    expect(error.textContent).toContain('Stopped: you stopped the turn');
    within(error).getByTestId('chat-retry');
    expect(screen.queryByTestId('chat-stop')).toBeNull();
    expect(core.calls.filter((c) => c.channel === 'agents.cancel')).toHaveLength(1);
    open();
  });

  it('copies a message and a tool output, saying "Copied"', async () => {
    const user = userEvent.setup();
    const writeText = vi.fn(() => Promise.resolve());
    Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true });
    render(<ChatPage />);
    await send(user, 'Run it #tool');
    await waitFor(() => expect(screen.getAllByTestId('chat-msg-assistant')).toHaveLength(1));
    const reply = screen.getByTestId('chat-msg-assistant').parentElement!;
    await user.click(within(reply).getByTestId('chat-copy'));
    expect(writeText).toHaveBeenLastCalledWith('Hello');
    await waitFor(() => expect(within(reply).getByTestId('chat-copy').textContent).toBe('Copied'));
    const card = screen.getByTestId('tool-card');
    await user.click(card.querySelector('summary')!);
    await user.click(within(card).getByTestId('chat-copy'));
    expect(writeText).toHaveBeenLastCalledWith('hi\n');
    await waitFor(() => expect(within(card).getByTestId('chat-copy').textContent).toBe('Copied'));
  });
});
