// Component tests of the chat views in a DOM: streamed rows, tool cards, inline errors, the disabled input's reason.
// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest';
import type { LiveTurn } from '../../stores/chat';
import { render, screen } from '../../test/dom';
import { ChatInput } from './ChatInput';
import { ChatMessages } from './ChatMessages';

const TURN: LiveTurn = {
  thread_id: 't1',
  turn_id: 'turn-1',
  text: 'Run it',
  status: 'streaming',
  error: null,
  items: [
    {
      kind: 'tool',
      key: 'a',
      tool: {
        call_id: 'c1',
        name: 'shell',
        arguments: '{"command":"echo hi"}',
        output: null,
        exit_code: null,
        truncated: false,
        size: null,
      },
    },
    { kind: 'assistant', key: 'b', text: 'Hel' },
  ],
};

describe('ChatMessages', () => {
  it('shows the streaming turn: the message, a collapsed tool card still running, the text so far', () => {
    const { container } = render(
      <ChatMessages messages={[]} turn={TURN} loading={false} emptyText="Say hi" />,
    );
    expect(container.querySelector('[data-status="streaming"]')).not.toBeNull();
    const card = screen.getByTestId<HTMLDetailsElement>('tool-card');
    expect(card.tagName).toBe('DETAILS');
    expect(card.dataset.tool).toBe('shell');
    expect(card.dataset.state).toBe('running');
    expect(container.querySelectorAll('details[open]')).toHaveLength(0);
    expect(card.open).toBe(false);
    expect(container.textContent).toContain('Waiting for the result');
    expect(screen.getByTestId('chat-msg-assistant').textContent).toBe('Hel');
    expect(container.textContent).toContain('The agent is working');
    expect(screen.queryByText('Say hi')).toBeNull();
  });

  it('shows an error with what to do, and the empty text when there is nothing', () => {
    const view = render(
      <ChatMessages
        messages={[
          {
            kind: 'error',
            key: 'e',
            message: 'step limit reached',
            hint: 'Send another message to let the agent continue.',
          },
        ]}
        turn={null}
        loading={false}
        emptyText="Say hi"
      />,
    );
    const error = screen.getByRole('alert');
    expect(error).toBe(screen.getByTestId('chat-error'));
    expect(view.container.textContent).toContain('Send another message to let the agent continue.');
    view.unmount();
    render(<ChatMessages messages={[]} turn={null} loading={false} emptyText="Say hi" />);
    screen.getByText('Say hi', { exact: false });
  });
});

describe('ChatInput', () => {
  it('is disabled with the reason when the agent cannot chat, and enabled with the keyboard help otherwise', () => {
    const off = render(
      <ChatInput
        agentName="Helper"
        disabledReason="Helper is stopped. Start it to chat."
        onSend={() => {}}
      />,
    );
    expect(screen.getByRole<HTMLTextAreaElement>('textbox').disabled).toBe(true);
    expect(screen.getByTestId('chat-disabled-reason').textContent).toBe(
      'Helper is stopped. Start it to chat.',
    );
    off.unmount();
    const on = render(<ChatInput agentName="Helper" disabledReason={null} onSend={() => {}} />);
    expect(screen.getByRole<HTMLTextAreaElement>('textbox').disabled).toBe(false);
    expect(on.container.textContent).toContain('Enter to send · Shift+Enter for a new line');
  });
});
