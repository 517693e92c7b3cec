// Tool calls written as text by small models (Qwen 0.5B, Llama-style), and call loops.
import { describe, expect, it } from 'vitest';
import { CallLoopGuard, canonicalArguments } from './call-loop';
import { mayBeTextToolCall, parseTextToolCalls } from './text-tool-call';

const TOOLS = ['shell', 'read_file', 'write_file', 'list_dir'];

describe('parseTextToolCalls', () => {
  it('reads a bare JSON call naming a declared tool (what Qwen2.5-Coder-0.5B writes with its template)', () => {
    const text =
      '{"name": "write_file", "arguments": {"path": "notes.txt", "content": "hello from the agent"}}';
    expect(parseTextToolCalls(text, TOOLS)).toEqual({
      calls: [{ name: 'write_file', arguments: '{"path":"notes.txt","content":"hello from the agent"}' }],
      rest: '',
    });
  });

  it('reads several calls, <tool_call> tags, ``` fences, `parameters` and string arguments', () => {
    const two =
      '{"name":"shell","arguments":{"command":"ls"}}\n{"name":"read_file","arguments":{"path":"a"}}';
    expect(parseTextToolCalls(two, TOOLS)!.calls.map((c) => c.name)).toEqual(['shell', 'read_file']);
    const tagged = 'I will look.\n<tool_call>\n{"name": "list_dir", "arguments": {}}\n</tool_call>';
    expect(parseTextToolCalls(tagged, TOOLS)).toEqual({
      calls: [{ name: 'list_dir', arguments: '{}' }],
      rest: 'I will look.',
    });
    const fenced = '```json\n{"name": "shell", "parameters": {"command": "pwd"}}\n```';
    expect(parseTextToolCalls(fenced, TOOLS)!.calls).toEqual([
      { name: 'shell', arguments: '{"command":"pwd"}' },
    ]);
    const str = '{"type":"function","function":{"name":"shell","arguments":"{\\"command\\":\\"id\\"}"}}';
    expect(parseTextToolCalls(str, TOOLS)!.calls).toEqual([{ name: 'shell', arguments: '{"command":"id"}' }]);
  });

  it('closes a call the model ended one brace short (measured with Qwen2.5-Coder-0.5B)', () => {
    const text =
      '{"name": "write_file", "arguments": {"path": "notes.txt", "content": "hello from the agent\\n"}';
    expect(parseTextToolCalls(text, TOOLS)!.calls).toEqual([
      { name: 'write_file', arguments: '{"path":"notes.txt","content":"hello from the agent\\n"}' },
    ]);
    expect(parseTextToolCalls('{"name": "shell", "arguments": {"command": "ls', TOOLS)).toBeNull();
    // Calls the model went on writing until its token limit cut the last one.
    const cut =
      '{"name": "read_file", "arguments": {"path": "notes.txt"}}\n{"name": "list_dir", "arguments": {"path": ".';
    expect(parseTextToolCalls(cut, TOOLS)!.calls).toEqual([
      { name: 'read_file', arguments: '{"path":"notes.txt"}' },
    ]);
  });

  it('leaves text alone: prose, an undeclared tool, other JSON, broken JSON, a code block that is not a call', () => {
    expect(parseTextToolCalls('The file holds: hello from the agent', TOOLS)).toBeNull();
    expect(parseTextToolCalls('{"name": "browse", "arguments": {"url": "x"}}', TOOLS)).toBeNull();
    expect(parseTextToolCalls('{"name": "Alice", "age": 3}', TOOLS)).toBeNull();
    expect(parseTextToolCalls('Run this:\n```bash\ncat notes.txt\n```', TOOLS)).toBeNull();
    expect(parseTextToolCalls('{"name": "shell", "arguments": {}} and then some', TOOLS)).toBeNull();
    expect(parseTextToolCalls('', TOOLS)).toBeNull();
  });

  it('holds back streamed text only while it may still become a call', () => {
    for (const p of ['', '  ', '{', '{"na', '[', '`', '``', '```json', '<', '<tool', '<tool_call>'])
      expect(mayBeTextToolCall(p), JSON.stringify(p)).toBe(true);
    for (const p of ['The', ' Sure', '<b>', '-']) expect(mayBeTextToolCall(p), JSON.stringify(p)).toBe(false);
  });
});

describe('CallLoopGuard', () => {
  it('counts the same call (same tool, same arguments in any key order or spacing) as a repeat', () => {
    const g = new CallLoopGuard();
    expect(g.note('read_file', '{"path": "notes.txt"}')).toBe(0);
    expect(g.note('read_file', '{"path":"other.txt"}')).toBe(0);
    expect(g.note('shell', '{"path":"notes.txt"}')).toBe(0);
    expect(g.note('read_file', ' {"path":"notes.txt"} ')).toBe(1);
    expect(g.note('read_file', '{"path":"notes.txt"}')).toBe(2);
    expect(g.note('write_file', '{"path":"n.txt","content":"hello"}')).toBe(0);
    expect(g.note('write_file', '{"path":"n.txt","content":"hello\\n"}')).toBe(1);
    expect(canonicalArguments('{"b":1,"a":{"d":2,"c":3}}')).toBe('{"a":{"c":3,"d":2},"b":1}');
    expect(canonicalArguments(' not json ')).toBe('not json');
  });
});
