// A failed tool keeps its failure after the turn and on reload; notices and malformed tool calls read in plain words.
import { describe, expect, it } from 'vitest';
import { applyTurnEvent, hintFor, itemsOfThread } from './selectors';
import type { LiveTurn } from './initial-state';

const thread = [
  { role: 'user', content: 'run it' },
  {
    role: 'assistant',
    content: null,
    tool_calls: [
      { id: 'c1', type: 'function', function: { name: 'shell', arguments: '{"command":"false"}' } },
      { id: 'c2', type: 'function', function: { name: 'shell', arguments: '{"command":"false"}' } },
    ],
  },
  { role: 'tool', tool_call_id: 'c1', content: '[exit status 1]', exit_code: 1 },
  { role: 'tool', tool_call_id: 'c2', content: 'Not run: …', not_run: true },
  { role: 'assistant', content: 'It failed.' },
];

describe('tool failures and notices', () => {
  it('a thread read back keeps the exit code of a failed tool and marks a call that was not run', () => {
    const tools = itemsOfThread(thread).filter((i) => i.kind === 'tool');
    expect(tools.map((t) => t.kind === 'tool' && [t.tool.exit_code, t.tool.not_run ?? false])).toEqual([
      [1, false],
      [null, true],
    ]);
  });

  it('shows a notice in the live turn, and explains a malformed tool call without blaming the provider', () => {
    const turn: LiveTurn = {
      thread_id: 't',
      turn_id: 'u',
      text: 'x',
      items: [],
      status: 'streaming',
      error: null,
    };
    const next = applyTurnEvent(turn, {
      agent_id: 'a',
      thread_id: 't',
      turn_id: 'u',
      event: 'notice',
      data: { message: 'The model asked again for read_file …' },
    });
    expect(next.items).toEqual([
      { kind: 'notice', key: 'live0', message: 'The model asked again for read_file …' },
    ]);
    expect(next.status).toBe('streaming');
    const hint = hintFor(
      'The model produced a malformed tool call (the model server could not read it), twice. Send the message again, or choose a model with tool support.',
    );
    expect(hint).toMatch(/choose a model with tool support/);
    expect(hint).not.toMatch(/Providers page|LiteLLM/);
  });
});
