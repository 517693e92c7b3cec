// Claude Code's stream-json events (as 2.1.328 printed them against a scripted provider) mapped to our turn events; its command line.
import { describe, expect, it } from 'vitest';
import { claudeCodeDriver, claudeCodeMapper, sessionOf } from './drive';

/** A turn as Claude Code 2.1.328 streamed it with --include-partial-messages: Bash `echo hi`, then text. */
const TURN = [
  { type: 'system', subtype: 'init', session_id: 'aaaaaaaa-1111-4222-8333-bbbbbbbbbbbb', tools: ['Bash'] },
  {
    type: 'stream_event',
    event: { type: 'message_start', message: { id: 'msg_1' } },
    parent_tool_use_id: null,
  },
  {
    type: 'assistant',
    message: {
      id: 'msg_1',
      content: [
        {
          type: 'tool_use',
          id: 'toolu_1',
          name: 'Bash',
          input: { command: 'echo hi', description: 'say hi' },
        },
      ],
    },
    parent_tool_use_id: null,
  },
  {
    type: 'user',
    message: {
      role: 'user',
      content: [{ tool_use_id: 'toolu_1', type: 'tool_result', content: 'hi', is_error: false }],
    },
    parent_tool_use_id: null,
    tool_use_result: { stdout: 'hi', stderr: '', interrupted: false },
  },
  {
    type: 'stream_event',
    event: { type: 'message_start', message: { id: 'msg_2' } },
    parent_tool_use_id: null,
  },
  {
    type: 'stream_event',
    event: { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'All done: ' } },
    parent_tool_use_id: null,
  },
  {
    type: 'stream_event',
    event: { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'hi' } },
    parent_tool_use_id: null,
  },
  {
    type: 'assistant',
    message: { id: 'msg_2', content: [{ type: 'text', text: 'All done: hi' }] },
    parent_tool_use_id: null,
  },
  {
    type: 'result',
    subtype: 'success',
    is_error: false,
    result: 'All done: hi',
    session_id: 'aaaaaaaa-1111-4222-8333-bbbbbbbbbbbb',
  },
];

describe('Claude Code events', () => {
  it('become the session, the tool call and result, the streamed text once, and the reply', () => {
    const m = claudeCodeMapper();
    expect(TURN.flatMap((l) => m.map(l))).toEqual([
      { kind: 'session', id: 'aaaaaaaa-1111-4222-8333-bbbbbbbbbbbb' },
      {
        kind: 'tool_call',
        id: 'toolu_1',
        name: 'Bash',
        arguments: '{"command":"echo hi","description":"say hi"}',
      },
      { kind: 'tool_result', id: 'toolu_1', name: 'Bash', output: 'hi', exit_code: 0 },
      { kind: 'text', delta: 'All done: ' },
      { kind: 'text', delta: 'hi' },
      { kind: 'reply', text: 'All done: hi' },
    ]);
  });

  it('take text from a whole message when it was not streamed, and a failed tool as exit code 1', () => {
    const m = claudeCodeMapper();
    expect(
      m.map({ type: 'assistant', message: { id: 'x', content: [{ type: 'text', text: 'Plain' }] } }),
    ).toEqual([{ kind: 'text', delta: 'Plain' }]);
    expect(
      m.map({
        type: 'user',
        message: {
          content: [
            {
              type: 'tool_result',
              tool_use_id: 't',
              content: [{ type: 'text', text: 'Exit code 1' }],
              is_error: true,
            },
          ],
        },
      }),
    ).toEqual([{ kind: 'tool_result', id: 't', name: 'tool', output: 'Exit code 1', exit_code: 1 }]);
  });

  it("end in Claude Code's own error, with the HTTP status it got", () => {
    expect(
      claudeCodeMapper().map({
        type: 'result',
        subtype: 'success',
        is_error: true,
        result: 'API Error: 403 model not allowed for this key',
        api_error_status: 403,
      }),
    ).toEqual([
      { kind: 'error', message: 'Claude Code: API Error: 403 model not allowed for this key (HTTP 403)' },
    ]);
    expect(claudeCodeMapper().map({ type: 'result', subtype: 'error_max_turns', is_error: false })).toEqual([
      { kind: 'error', message: 'Claude Code: it ended with error_max_turns' },
    ]);
  });

  it('ignore a subagent’s streamed text (only its tool calls are ours)', () => {
    const m = claudeCodeMapper();
    expect(
      m.map({
        type: 'stream_event',
        event: { type: 'content_block_delta', delta: { type: 'text_delta', text: 'inner' } },
        parent_tool_use_id: 'toolu_9',
      }),
    ).toEqual([]);
  });
});

describe('the Claude Code command', () => {
  it('starts a thread with its own session id, resumes it afterwards, with the model and first fallback', () => {
    const env = { AGENTDESK_FALLBACKS: 'scripted/gpt-test-mini,scripted/b' };
    const first = claudeCodeDriver.command({
      model: 'scripted/gpt-test-mini',
      threadId: 't-1',
      session: null,
      env,
    });
    expect(first.session).toBe(sessionOf('t-1'));
    expect(sessionOf('t-1')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-8[0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(sessionOf('t-1')).not.toBe(sessionOf('t-2'));
    expect(first.args).toEqual(
      expect.arrayContaining([
        '-p',
        '--output-format',
        'stream-json',
        '--verbose',
        '--session-id',
        sessionOf('t-1'),
      ]),
    );
    expect(first.args.join(' ')).toContain(
      '--permission-mode bypassPermissions --model scripted/gpt-test-mini --fallback-model scripted/b',
    );
    const next = claudeCodeDriver.command({ model: 'm/x', threadId: 't-1', session: first.session, env });
    expect(next.args.slice(-2)).toEqual(['--resume', sessionOf('t-1')]);
    // The prompt goes to stdin: never an argument (a long message would pass the kernel's limit).
    expect(first.args.join(' ')).not.toContain('t-1 ');
  });
});
