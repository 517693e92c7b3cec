// The LLM store: LiteLLM and gateway status, live, and the "Test model" action, for the System view.
import { useStore } from 'zustand';
import { createStore } from 'zustand/vanilla';
import type { StoreApi } from 'zustand/vanilla';
import { getClient } from '../client';
import type { ClientGetter } from '../client';
import { createLlmActions } from './actions';
import type { LlmActions } from './actions';
import { initialLlmState } from './initial-state';
import type { LlmState } from './initial-state';

export type LlmStore = LlmState & LlmActions;

/** Creates an LLM store (the app uses {@link llmStore}; tests make their own with a fake client). */
export function createLlmStore(client: ClientGetter = getClient): StoreApi<LlmStore> {
  return createStore<LlmStore>()((set, get) => ({
    ...initialLlmState,
    ...createLlmActions(set, get, client),
  }));
}

/** The window's LLM store. */
export const llmStore = createLlmStore();

/** React hook reading a slice of {@link llmStore}. */
export function useLlm<T>(selector: (s: LlmStore) => T): T {
  return useStore(llmStore, selector);
}

export * from './selectors';
export type { LlmState, ModelTestState } from './initial-state';
