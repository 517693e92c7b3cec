// The request for a final answer without tools, with the turn's tool calls written out as plain text.
import type { ChatMessage } from './threads';

/** Characters of one tool result shown in the final-answer request. */
const RESULT_CHARS = 2000;

const cut = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

/**
 * The messages that ask for the answer in words, without tools: what a call loop or a malformed tool
 * call ends in. Small models imitate the conversation's form: given tool calls in the history, they
 * write more calls (as JSON text) even when no tool is offered (measured with Qwen2.5-Coder-0.5B;
 * docs/decisions/012-real-model.md). So the history goes in as plain text: earlier turns keep only the
 * user's messages and the assistant's words; this turn's calls and their results are listed under the
 * user's message, and the system prompt asks for an answer from them.
 * @param turnStart index in `messages` of this turn's user message.
 */
export function finalAnswerMessages(
  system: string,
  messages: readonly ChatMessage[],
  turnStart: number,
): ChatMessage[] {
  const out: ChatMessage[] = [
    {
      role: 'system',
      content:
        `${system}\n\nAnswer the user now, in plain words, from the results of the actions already taken ` +
        '(listed under the last message). Quote what they showed. Do not call tools and do not write JSON.',
    },
  ];
  for (const m of messages.slice(0, turnStart)) {
    if (m.role === 'user') out.push(m);
    else if (m.role === 'assistant' && m.content) out.push({ role: 'assistant', content: m.content });
  }
  const request = messages[turnStart];
  const names = new Map<string, string>();
  const lines: string[] = [];
  for (const m of messages.slice(turnStart + 1)) {
    if (m.role === 'assistant')
      for (const c of m.tool_calls ?? []) names.set(c.id, `${c.function.name} ${c.function.arguments}`);
    else if (m.role === 'tool' && !m.not_run) {
      const status = m.exit_code ? ` (failed, exit code ${m.exit_code})` : '';
      lines.push(
        `${lines.length + 1}. ${names.get(m.tool_call_id) ?? 'a tool'}${status} → ${cut(m.content.trim(), RESULT_CHARS)}`,
      );
    }
  }
  const text = request?.role === 'user' ? request.content : '';
  out.push({
    role: 'user',
    content: lines.length ? `${text}\n\nActions already taken and their results:\n${lines.join('\n')}` : text,
  });
  return out;
}
