// Component tests of the chat views, rendered to HTML: streamed rows, tool cards, inline errors, the disabled input's reason.
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import type { LiveTurn } from '../../stores/chat';
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
    const html = renderToStaticMarkup(
      <ChatMessages messages={[]} turn={TURN} loading={false} emptyText="Say hi" />,
    );
    expect(html).toContain('data-status="streaming"');
    expect(html).toMatch(
      /<details[^>]*data-testid="tool-card"[^>]*data-tool="shell"[^>]*data-state="running"/,
    );
    expect(html).not.toMatch(/<details[^>]*open/);
    expect(html).toContain('Waiting for the result');
    expect(html).toMatch(/data-testid="chat-msg-assistant">Hel</);
    expect(html).toContain('The agent is working');
    expect(html).not.toContain('Say hi');
  });

  it('shows an error with what to do, and the empty text when there is nothing', () => {
    const html = renderToStaticMarkup(
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
    expect(html).toMatch(/role="alert"[^>]*data-testid="chat-error"/);
    expect(html).toContain('Send another message to let the agent continue.');
    expect(
      renderToStaticMarkup(<ChatMessages messages={[]} turn={null} loading={false} emptyText="Say hi" />),
    ).toContain('Say hi');
  });
});

describe('ChatInput', () => {
  it('is disabled with the reason when the agent cannot chat, and enabled with the keyboard help otherwise', () => {
    const off = renderToStaticMarkup(
      <ChatInput
        agentName="Helper"
        disabledReason="Helper is stopped. Start it to chat."
        onSend={() => {}}
      />,
    );
    expect(off).toMatch(/<textarea[^>]*disabled/);
    expect(off).toMatch(/data-testid="chat-disabled-reason">Helper is stopped. Start it to chat.</);
    const on = renderToStaticMarkup(<ChatInput agentName="Helper" disabledReason={null} onSend={() => {}} />);
    expect(on).not.toMatch(/<textarea[^>]*disabled/);
    expect(on).toContain('Enter to send · Shift+Enter for a new line');
  });
});
