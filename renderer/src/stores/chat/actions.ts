// Chat actions: open an agent's chat, load and pick threads, send a message and fold its streamed turn in.
import type { StoreApi } from 'zustand/vanilla';
import { isAppError } from '../../../../contract/errors';
import type { ClientGetter } from '../client';
import { toShownError } from '../errors';
import { initialChatState } from './initial-state';
import type { ChatItem, ChatState, LiveTurn } from './initial-state';
import { applyTurnEvent, itemsOfThread, newThreadId } from './selectors';
import type { TurnEvent } from './selectors';

export interface ChatActions {
  /** Opens the chat of `agentId`: loads its threads and shows the newest (kept as is when already open). */
  open(agentId: string): Promise<void>;
  close(): void;
  /** Loads `agents.threads` of the open agent; a failure lands in `threadsError`. */
  loadThreads(): Promise<void>;
  /** Shows a stored thread (`agents.thread`). */
  selectThread(threadId: string): Promise<void>;
  /** Starts a new thread: the next message creates it. */
  newThread(): void;
  /**
   * Sends `text` to the open agent in the selected thread (a new one when none). The reply streams in
   * through {@link applyTurnEvent}; when the turn ends the thread is read back. Ignored while a turn runs.
   */
  send(text: string): Promise<void>;
  /** Takes one `agents.turn` event; events of other agents, threads or turns are ignored. */
  applyTurnEvent(e: TurnEvent): void;
  /** Subscribes to `agents.turn`; returns the unsubscribe function. */
  follow(): () => void;
}

type Store = ChatState & ChatActions;
type Set = StoreApi<Store>['setState'];
type Get = StoreApi<Store>['getState'];

/** Builds the chat actions over the injected client. Failures are kept in state, never thrown. */
export function createChatActions(set: Set, get: Get, getClient: ClientGetter): ChatActions {
  /** True while an `agents.chat` call is waiting for its answer (the answer then finishes the turn). */
  let callOpen = false;
  const busy = (t: LiveTurn | null): boolean =>
    t !== null && (t.status === 'sending' || t.status === 'streaming');
  const sameTurn = (a: LiveTurn | null, b: LiveTurn): boolean =>
    a !== null && a.thread_id === b.thread_id && a.turn_id === b.turn_id;
  /** The rows of a turn kept in the conversation when it cannot be read back. */
  const rowsOf = (t: LiveTurn): ChatItem[] => [
    { kind: 'user', key: `u-${t.thread_id}-${t.turn_id ?? 'x'}`, text: t.text },
    ...t.items,
  ];

  /** Reads the thread back once its turn ended and folds the live turn into it (keeping error rows). */
  async function finish(turn: LiveTurn): Promise<void> {
    const { agentId } = get();
    if (!agentId) return;
    let messages: ChatItem[];
    try {
      const t = await getClient().agents.thread({ id: agentId, thread_id: turn.thread_id });
      messages = [
        ...itemsOfThread(t.messages),
        ...turn.items.filter((i) => i.kind === 'error' || i.kind === 'notice'),
      ];
    } catch {
      messages = [...get().messages, ...rowsOf(turn)]; // the agent stopped meanwhile: keep what streamed in
    }
    if (get().agentId !== agentId || !sameTurn(get().turn, turn)) return;
    set({ messages, turn: null, threadId: turn.thread_id, threadError: null });
    void get().loadThreads();
  }

  return {
    async open(agentId) {
      if (get().agentId === agentId) {
        void get().loadThreads();
        return;
      }
      set({ ...initialChatState, agentId });
      await get().loadThreads();
      const newest = get().threads[0];
      if (newest && get().agentId === agentId && get().threadId === null && !get().turn)
        await get().selectThread(newest.thread_id);
    },
    close() {
      set({ ...initialChatState });
    },
    async loadThreads() {
      const { agentId } = get();
      if (!agentId) return;
      set({ threadsLoading: true });
      try {
        const { threads } = await getClient().agents.threads({ id: agentId });
        if (get().agentId === agentId) set({ threads, threadsError: null });
      } catch (err) {
        if (get().agentId === agentId) set({ threadsError: toShownError(err) });
      } finally {
        set({ threadsLoading: false });
      }
    },
    async selectThread(threadId) {
      const { agentId, turn } = get();
      if (!agentId || busy(turn)) return;
      set({ threadId, messages: [], threadLoading: true, threadError: null, turn: null });
      try {
        const t = await getClient().agents.thread({ id: agentId, thread_id: threadId });
        if (get().threadId === threadId) set({ messages: itemsOfThread(t.messages) });
      } catch (err) {
        if (get().threadId === threadId) set({ threadError: toShownError(err) });
      } finally {
        set({ threadLoading: false });
      }
    },
    newThread() {
      if (busy(get().turn)) return;
      set({ threadId: null, messages: [], turn: null, threadError: null });
    },
    async send(raw) {
      const text = raw.trim();
      const { agentId, turn: previous } = get();
      if (!agentId || !text || busy(previous)) return;
      // A turn that failed before it could be read back stays in the conversation.
      if (previous) set({ messages: [...get().messages, ...rowsOf(previous)] });
      const threadId = get().threadId ?? newThreadId();
      const turn: LiveTurn = {
        thread_id: threadId,
        turn_id: null,
        text,
        items: [],
        status: 'sending',
        error: null,
      };
      set({ threadId, turn });
      callOpen = true;
      let answer: Awaited<ReturnType<ReturnType<ClientGetter>['agents']['chat']>>;
      try {
        answer = await getClient().agents.chat({ id: agentId, text, thread_id: threadId });
      } catch (err) {
        callOpen = false;
        const current = get().turn;
        if (!current || current.thread_id !== threadId || current.status === 'done') return;
        // A slow turn outlives the call's deadline: its events keep coming and `done` finishes it.
        if (isAppError(err) && err.code === 'TIMEOUT' && current.status === 'streaming') return;
        const e = toShownError(err);
        set({
          turn: {
            ...current,
            status: 'error',
            error: e.message,
            items: [...current.items, { kind: 'error', key: 'send-error', message: e.message, hint: null }],
          },
        });
        return;
      }
      callOpen = false;
      let current = get().turn;
      if (!current || current.thread_id !== threadId) return;
      // The answer is the authority: events may have been missed (a reconnect of the event stream).
      current = { ...current, turn_id: answer.turn_id };
      if (answer.error !== null && current.status !== 'error')
        current = applyTurnEvent(current, {
          agent_id: agentId,
          thread_id: threadId,
          turn_id: answer.turn_id,
          event: 'error',
          data: { message: answer.error },
        });
      else if (answer.error === null) current = { ...current, status: 'done' };
      set({ turn: current });
      await finish(current);
    },
    applyTurnEvent(e) {
      const { agentId, turn } = get();
      if (!turn || e.agent_id !== agentId || e.thread_id !== turn.thread_id) return;
      if (turn.turn_id !== null && e.turn_id !== turn.turn_id) return;
      const next = applyTurnEvent(turn, e);
      set({ turn: next });
      if (!callOpen && (next.status === 'done' || next.status === 'error') && busy(turn)) void finish(next);
    },
    follow() {
      return getClient().on('agents.turn', (e) => get().applyTurnEvent(e));
    },
  };
}
