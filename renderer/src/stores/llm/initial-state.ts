// State of the System view's LiteLLM/gateway panel: the last `llm.status` and the "Test model" outcome.
import type { LlmStatus, LlmTestResult } from '../../../../contract/llm';
import type { ShownError } from '../errors';

/** The "Test model" action: what ran last and how it ended. */
export interface ModelTestState {
  /** A test is under way (the button shows its busy state). */
  running: boolean;
  /** The model of the running or last test. */
  model: string | null;
  /** The core's answer; `ok: false` is a failed test (an answer, not an error). */
  result: LlmTestResult | null;
  /** What the call threw (e.g. NOT_FOUND when the model is no longer served). */
  error: ShownError | null;
  /** Tests started so far (lets a watcher tell a new result from the previous one). */
  runs: number;
}

export interface LlmState {
  status: LlmStatus | null;
  /** Renderer-clock UTC ms when {@link status} arrived: tickers add the time since then to `uptime_ms`. */
  receivedAt: number | null;
  /** `llm.status` pushes taken so far; a slower answer to `llm.status` never replaces a newer push. */
  pushes: number;
  loading: boolean;
  loadError: ShownError | null;
  test: ModelTestState;
}

export const initialModelTest: ModelTestState = {
  running: false,
  model: null,
  result: null,
  error: null,
  runs: 0,
};

export const initialLlmState: LlmState = {
  status: null,
  receivedAt: null,
  pushes: 0,
  loading: false,
  loadError: null,
  test: initialModelTest,
};
