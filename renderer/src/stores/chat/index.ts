// The chat store: one agent's chat open at a time (threads, messages, the streaming turn).
import { useStore } from 'zustand';
import { createStore } from 'zustand/vanilla';
import type { StoreApi } from 'zustand/vanilla';
import { getClient } from '../client';
import type { ClientGetter } from '../client';
import { createChatActions } from './actions';
import { memoryFailedTurns } from './failed-turns';
import type { FailedTurnStorage } from './failed-turns';
import type { ChatActions } from './actions';
import { initialChatState } from './initial-state';
import type { ChatState } from './initial-state';

export type ChatStore = ChatState & ChatActions;

/**
 * Creates a chat store (the app uses {@link chatStore}; tests make their own with a fake client and
 * {@link memoryFailedTurns}). The failed turns this window sees are kept in `failed` (default: in
 * memory, for the window's life); the core holds them across reloads and browsers (`agents.thread`).
 */
export function createChatStore(
  client: ClientGetter = getClient,
  failed: FailedTurnStorage = memoryFailedTurns(),
): StoreApi<ChatStore> {
  return createStore<ChatStore>()((set, get) => ({
    ...initialChatState,
    ...createChatActions(set, get, client, failed),
  }));
}

/**
 * The window's chat store. `chatStore.getState().open(agentId)` opens an agent's chat (the chat pane
 * does it when it mounts); `follow()` subscribes to `agents.turn`.
 */
export const chatStore = createChatStore();

/** React hook reading a slice of {@link chatStore}. */
export function useChat<T>(selector: (s: ChatStore) => T): T {
  return useStore(chatStore, selector);
}

export * from './selectors';
export { memoryFailedTurns, withFailedTurns } from './failed-turns';
export type { FailedTurn, FailedTurnStorage } from './failed-turns';
export type { ChatItem, ChatState, LiveTurn, ThreadSummary, ToolCard } from './initial-state';
