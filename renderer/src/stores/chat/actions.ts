// Chat actions: open an agent's chat, load and pick threads, send a message and fold its streamed turn in.
import type { StoreApi } from 'zustand/vanilla';
import { isAppError } from '../../../../contract/errors';
import type { ClientGetter } from '../client';
import { toShownError } from '../errors';
import { fromCore, MAX_FAILED_TURNS, mergeFailedTurns, withFailedTurns } from './failed-turns';
import type { FailedTurn, FailedTurnStorage } from './failed-turns';
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
  /**
   * Asks the core to stop the turn running now (`agents.cancel`); the turn then ends with its
   * "Stopped" error like any failed turn. A refusal lands in the turn as an error row.
   */
  stop(): Promise<void>;
  /** Takes one `agents.turn` event; events of other agents, threads or turns are ignored. */
  applyTurnEvent(e: TurnEvent): void;
  /** Subscribes to `agents.turn`; returns the unsubscribe function. */
  follow(): () => void;
}

type Store = ChatState & ChatActions;
type Set = StoreApi<Store>['setState'];
type Get = StoreApi<Store>['getState'];

/**
 * Builds the chat actions over the injected client; failed turns are kept in `storage`. Failures are
 * kept in state, never thrown.
 */
export function createChatActions(
  set: Set,
  get: Get,
  getClient: ClientGetter,
  storage: FailedTurnStorage,
): ChatActions {
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

  /**
   * Shows `stored` (rows of thread `threadId`) with that thread's failed turns put back (the core's,
   * `fromCoreTurns`, and those this window saw that the core does not hold yet), then `extra`.
   */
  function show(
    threadId: string | null,
    stored: ChatItem[],
    extra: ChatItem[] = [],
    fromCoreTurns: FailedTurn[] = get().serverFailed,
  ): void {
    const failed = mergeFailedTurns(threadId, fromCoreTurns, get().failed);
    set({ stored, serverFailed: fromCoreTurns, messages: [...withFailedTurns(stored, failed), ...extra] });
  }

  /** Keeps the failure of `turn` (its last error row) for agent `agentId`, placed after `stored`'s user messages. */
  function keepFailure(agentId: string, turn: LiveTurn, stored: ChatItem[], readBack: boolean): void {
    const error = [...turn.items].reverse().find((i) => i.kind === 'error');
    const users = stored.filter((i) => i.kind === 'user');
    const last = users.at(-1);
    const inThread = readBack && last?.kind === 'user' && last.text.trim() === turn.text.trim();
    const entry: FailedTurn = {
      turn_id: turn.turn_id,
      id: `${turn.thread_id}-${turn.turn_id ?? 'x'}-${Date.now()}`,
      thread_id: turn.thread_id,
      anchor: users.length,
      inThread,
      text: turn.text,
      message: error?.kind === 'error' ? error.message : (turn.error ?? 'The turn failed'),
      hint: error?.kind === 'error' ? error.hint : null,
      at: Date.now(),
    };
    const all = [...storage.load(agentId), entry].slice(-MAX_FAILED_TURNS);
    storage.save(agentId, all);
    if (get().agentId === agentId) set({ failed: all });
  }

  /**
   * Reads the thread back once its turn ended and shows it; a failed turn is kept (with its error and
   * Retry) in the failed turns. When the thread cannot be read (the agent stopped meanwhile), what
   * streamed in stays on screen.
   */
  async function finish(turn: LiveTurn): Promise<void> {
    const { agentId } = get();
    if (!agentId) return;
    let stored: ChatItem[];
    let fromCoreTurns: FailedTurn[];
    let readBack = true;
    try {
      const t = await getClient().agents.thread({ id: agentId, thread_id: turn.thread_id });
      stored = itemsOfThread(t.messages);
      fromCoreTurns = (t.failed ?? []).map((f) => fromCore(turn.thread_id, f));
    } catch {
      readBack = false;
      const same = get().threadId === turn.thread_id;
      stored = same ? get().stored : [];
      fromCoreTurns = same ? get().serverFailed : [];
    }
    if (turn.status === 'error') keepFailure(agentId, turn, stored, readBack);
    if (get().agentId !== agentId || !sameTurn(get().turn, turn)) return;
    set({ turn: null, threadId: turn.thread_id, threadError: null });
    const extra =
      turn.status === 'error' ? [] : readBack ? turn.items.filter((i) => i.kind === 'notice') : rowsOf(turn);
    show(turn.thread_id, stored, extra, fromCoreTurns);
    void get().loadThreads();
  }

  return {
    async open(agentId) {
      if (get().agentId === agentId) {
        void get().loadThreads();
        return;
      }
      set({ ...initialChatState, agentId, failed: storage.load(agentId) });
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
      set({ threadId, stored: [], messages: [], threadLoading: true, threadError: null, turn: null });
      show(threadId, [], [], []);
      try {
        const t = await getClient().agents.thread({ id: agentId, thread_id: threadId });
        if (get().threadId === threadId)
          show(
            threadId,
            itemsOfThread(t.messages),
            [],
            (t.failed ?? []).map((f) => fromCore(threadId, f)),
          );
      } catch (err) {
        if (get().threadId === threadId) set({ threadError: toShownError(err) });
      } finally {
        set({ threadLoading: false });
      }
    },
    newThread() {
      if (busy(get().turn)) return;
      set({ threadId: null, stored: [], serverFailed: [], messages: [], turn: null, threadError: null });
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
        const failed: LiveTurn = {
          ...current,
          status: 'error',
          error: e.message,
          items: [...current.items, { kind: 'error', key: 'send-error', message: e.message, hint: null }],
        };
        set({ turn: failed });
        await finish(failed);
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
    async stop() {
      const { agentId, turn } = get();
      if (!agentId || !turn || !busy(turn)) return;
      try {
        await getClient().agents.cancel({ id: agentId, thread_id: turn.thread_id });
      } catch (err) {
        const current = get().turn;
        if (!current || !sameTurn(current, turn)) return;
        const e = toShownError(err);
        set({
          turn: {
            ...current,
            items: [
              ...current.items,
              { kind: 'notice', key: `stop-${current.items.length}`, message: e.message },
            ],
          },
        });
      }
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
