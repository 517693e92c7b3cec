// LLM actions: load `llm.status`, follow the `llm.status` event, and run "Test model".
import type { StoreApi } from 'zustand/vanilla';
import type { LlmStatus } from '../../../../contract/llm';
import type { ClientGetter } from '../client';
import { toShownError } from '../errors';
import type { LlmState } from './initial-state';

export interface LlmActions {
  /** Fetches the current status (`llm.status`); a failure lands in `loadError`. */
  load(): Promise<void>;
  /** Takes a full status pushed by the `llm.status` event. */
  applyStatus(status: LlmStatus): void;
  /** Subscribes to the `llm.status` event; returns the unsubscribe function. */
  follow(): () => void;
  /**
   * "Test model": sends `prompt` (the core's default when empty) to `model` through LiteLLM.
   * Ignored while a test runs. The answer (also `ok: false`) goes to `test.result`, a thrown error to `test.error`.
   */
  testModel(model: string, prompt?: string): Promise<void>;
}

type Store = LlmState & LlmActions;
type Set = StoreApi<Store>['setState'];
type Get = StoreApi<Store>['getState'];

/**
 * The "Test model" state to keep when `next` replaces the shown status: a finished result is cleared
 * when the serving LiteLLM changed (`ready_at` differs: it restarted, was replaced by a reload, or none
 * serves now), since it tested a process that is gone. A running test is kept (its answer comes later).
 */
export function testAfterStatus(
  test: LlmState['test'],
  prev: LlmStatus | null,
  next: LlmStatus,
): LlmState['test'] {
  if (test.running || (test.result === null && test.error === null) || prev === null) return test;
  if (prev.litellm.ready_at === next.litellm.ready_at) return test;
  return { ...test, result: null, error: null };
}

/** Builds the LLM actions over the injected client. Failures are kept in state, never thrown. */
export function createLlmActions(set: Set, get: Get, getClient: ClientGetter): LlmActions {
  return {
    async load() {
      set({ loading: true });
      const pushesBefore = get().pushes;
      try {
        const status = await getClient().llm.status({});
        // A push that arrived while the call was in flight is at least as new as this answer.
        if (get().pushes === pushesBefore)
          set({ status, receivedAt: Date.now(), test: testAfterStatus(get().test, get().status, status) });
        set({ loadError: null });
      } catch (err) {
        set({ loadError: toShownError(err) });
      } finally {
        set({ loading: false });
      }
    },
    applyStatus(status) {
      set({
        status,
        receivedAt: Date.now(),
        pushes: get().pushes + 1,
        loadError: null,
        test: testAfterStatus(get().test, get().status, status),
      });
    },
    follow() {
      return getClient().on('llm.status', (status) => get().applyStatus(status));
    },
    async testModel(model, prompt) {
      if (get().test.running) return;
      const text = prompt?.trim();
      const runs = get().test.runs + 1;
      set({ test: { running: true, model, result: null, error: null, runs } });
      try {
        const result = await getClient().llm.testModel(text ? { model, prompt: text } : { model });
        set({ test: { running: false, model, result, error: null, runs } });
      } catch (err) {
        set({ test: { running: false, model, result: null, error: toShownError(err), runs } });
      }
    },
  };
}
