// Pure views of chat data: stored thread messages → rows, a turn event folded into the live turn, hints, availability.
import type { Agent } from '../../../../contract/agents';
import type { ChatItem, LiveTurn, ToolCard } from './initial-state';

/** One `agents.turn` event (contract/agents.ts AgentTurnEvent). */
export interface TurnEvent {
  agent_id: string;
  thread_id: string;
  turn_id: string;
  event: string;
  data: Record<string, unknown>;
}

const str = (v: unknown): string =>
  typeof v === 'string' ? v : v === undefined || v === null ? '' : JSON.stringify(v);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/**
 * The rows of a stored thread (OpenAI messages: `user`, `assistant` with optional `tool_calls`, `tool`):
 * a tool result fills the card of the call it answers (`tool_call_id`).
 */
export function itemsOfThread(messages: readonly Record<string, unknown>[]): ChatItem[] {
  const items: ChatItem[] = [];
  const cards = new Map<string, ToolCard>();
  messages.forEach((m, i) => {
    if (m.role === 'user') items.push({ kind: 'user', key: `m${i}`, text: str(m.content) });
    else if (m.role === 'assistant') {
      if (str(m.content)) items.push({ kind: 'assistant', key: `m${i}`, text: str(m.content) });
      const calls = Array.isArray(m.tool_calls) ? (m.tool_calls as Record<string, unknown>[]) : [];
      calls.forEach((c, j) => {
        const fn = (c.function ?? {}) as Record<string, unknown>;
        const tool: ToolCard = {
          call_id: str(c.id),
          name: str(fn.name) || 'tool',
          arguments: str(fn.arguments),
          output: null,
          exit_code: null,
          truncated: false,
          size: null,
        };
        cards.set(tool.call_id, tool);
        items.push({ kind: 'tool', key: `m${i}.${j}`, tool });
      });
    } else if (m.role === 'tool') {
      const card = cards.get(str(m.tool_call_id));
      if (card) {
        card.output = str(m.content);
        card.exit_code = num(m.exit_code);
        if (m.not_run === true) card.not_run = true;
      }
    }
  });
  return items;
}

/**
 * What to do about a turn error the runtime reported (relay errors already say it): the step limit →
 * send another message; a malformed tool call → the model's doing, not the provider's; a failed model
 * call → check the provider and LiteLLM; else the agent's logs.
 */
export function hintFor(message: string): string {
  if (/step limit/i.test(message)) return 'Send another message to let the agent continue.';
  if (/malformed tool call/i.test(message))
    return 'The model wrote a tool call it could not finish: send the message again, or choose a model with tool support (or turn the agent’s tools off).';
  if (/HTTP \d{3}|gateway|model/i.test(message))
    return 'The model call failed: check the provider on the Providers page and LiteLLM on the System page, then send the message again.';
  return 'Check the agent’s logs in the agents list, or restart it, then send the message again.';
}

/** `turn` with one streamed event applied (`turn`, `text`, `tool_call`, `tool_result`, `error`, `done`). */
export function applyTurnEvent(turn: LiveTurn, e: TurnEvent): LiveTurn {
  const d = e.data;
  const items = [...turn.items];
  switch (e.event) {
    case 'turn':
      return { ...turn, turn_id: e.turn_id, status: turn.status === 'sending' ? 'streaming' : turn.status };
    case 'text': {
      const last = items.at(-1);
      if (last?.kind === 'assistant') items[items.length - 1] = { ...last, text: last.text + str(d.delta) };
      else items.push({ kind: 'assistant', key: `live${items.length}`, text: str(d.delta) });
      return { ...turn, items, turn_id: e.turn_id };
    }
    case 'tool_call':
      items.push({
        kind: 'tool',
        key: `live${items.length}`,
        tool: {
          call_id: str(d.id),
          name: str(d.name) || 'tool',
          arguments: str(d.arguments),
          output: null,
          exit_code: null,
          truncated: false,
          size: null,
        },
      });
      return { ...turn, items, turn_id: e.turn_id };
    case 'tool_result': {
      const at = items.findIndex((x) => x.kind === 'tool' && x.tool.call_id === str(d.id));
      const card = at >= 0 ? items[at] : undefined;
      if (card?.kind !== 'tool') return turn;
      items[at] = {
        ...card,
        tool: {
          ...card.tool,
          output: str(d.output),
          exit_code: num(d.exit_code),
          truncated: d.truncated === true,
          size: num(d.size),
        },
      };
      return { ...turn, items };
    }
    case 'notice':
      items.push({ kind: 'notice', key: `live${items.length}`, message: str(d.message) });
      return { ...turn, items };
    case 'error': {
      const message = str(d.message) || 'The turn failed';
      const hint = d.source === 'relay' ? null : hintFor(message);
      items.push({ kind: 'error', key: `live${items.length}`, message, hint });
      return { ...turn, items, status: 'error', error: message, turn_id: e.turn_id };
    }
    case 'done':
      return { ...turn, status: 'done', turn_id: e.turn_id };
    default:
      return turn;
  }
}

/** Whether the input can send now, and if not, why (shown next to the disabled input). */
export function chatAvailability(
  agent: Pick<Agent, 'name' | 'phase' | 'phase_reason'> | undefined,
  turn: LiveTurn | null,
): { ok: true } | { ok: false; reason: string } {
  if (!agent) return { ok: false, reason: 'This agent no longer exists.' };
  if (agent.phase === 'failed')
    return {
      ok: false,
      reason: `${agent.name} failed${agent.phase_reason ? `: ${agent.phase_reason}` : ''}. Retry it from the agents list to chat.`,
    };
  if (agent.phase === 'archived')
    return { ok: false, reason: `${agent.name} is archived. Restore it to chat.` };
  if (agent.phase !== 'running')
    return {
      ok: false,
      reason:
        agent.phase === 'stopped'
          ? `${agent.name} is stopped. Start it to chat.`
          : `${agent.name} is ${agent.phase}. Chat opens once it is running.`,
    };
  if (turn && (turn.status === 'sending' || turn.status === 'streaming'))
    return { ok: false, reason: 'Wait for the reply to finish.' };
  return { ok: true };
}

/** A new thread id the runtime accepts (`[A-Za-z0-9_-][A-Za-z0-9_.-]{0,127}`): a UUID. */
export function newThreadId(): string {
  if (typeof crypto !== 'undefined' && typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const hex = Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0'));
  return `t-${hex.join('')}`;
}
