// The System view's "LiteLLM & gateway" card and the "Test model" card, live from the `llm.status` event.
import { useEffect } from 'react';
import type { ReactElement } from 'react';
import type { LlmStatus } from '../../../../contract/llm';
import { connectionStore } from '../../stores/connection';
import type { ShownError } from '../../stores/errors';
import { litellmBadge, llmStore, useLlm } from '../../stores/llm';
import type { ModelTestState } from '../../stores/llm';
import { GatewaySection } from './GatewaySection';
import { LitellmSection } from './LitellmSection';
import { TestModelForm } from './TestModelForm';

/** What {@link LlmPanelView} shows; the fields of the LLM store. */
export interface LlmPanelProps {
  status: LlmStatus | null;
  /** Renderer UTC ms when `status` arrived. */
  receivedAt: number | null;
  loadError: ShownError | null;
  test: ModelTestState;
  onTest: (model: string, prompt: string) => void;
}

/** Both cards, from plain props (the component tests render this one). */
export function LlmPanelView({ status, receivedAt, loadError, test, onTest }: LlmPanelProps): ReactElement {
  return (
    <>
      <section className="card" aria-labelledby="llm-title" data-testid="llm-panel">
        <h2 id="llm-title" className="card__title">
          LiteLLM &amp; gateway
        </h2>
        <p className="visually-hidden" aria-live="polite">
          {status ? `LiteLLM ${litellmBadge(status.litellm.state).label}` : ''}
        </p>
        {loadError && !loadError.unreachable ? (
          <p className="inline-error" role="alert" data-testid="llm-load-error">
            Could not read the LiteLLM status (<code>{loadError.code}</code>): {loadError.message}
          </p>
        ) : null}
        {status ? (
          <div className="llm-sections">
            <LitellmSection status={status} receivedAt={receivedAt} />
            <GatewaySection gateway={status.gateway} />
          </div>
        ) : (
          <p className="muted">{loadError ? 'No LiteLLM status yet.' : 'Reading the LiteLLM status…'}</p>
        )}
      </section>
      <TestModelForm status={status} test={test} onTest={onTest} />
    </>
  );
}

/**
 * Both cards over the window's LLM store. While shown: follows `llm.status` (pushed on every change,
 * and every ~2 s while LiteLLM starts), loads the status once, and loads it again after each reconnect
 * (pushes sent while the connection was lost are missed).
 */
export function LlmPanel(): ReactElement {
  const status = useLlm((s) => s.status);
  const receivedAt = useLlm((s) => s.receivedAt);
  const loadError = useLlm((s) => s.loadError);
  const test = useLlm((s) => s.test);

  useEffect(() => {
    const store = llmStore.getState();
    const off = store.follow();
    void store.load();
    const offReconnect = connectionStore.subscribe((s, prev) => {
      if (s.reconnects !== prev.reconnects) void llmStore.getState().load();
    });
    return () => {
      offReconnect();
      off();
    };
  }, []);

  const onTest = (model: string, prompt: string): void => void llmStore.getState().testModel(model, prompt);
  return (
    <LlmPanelView status={status} receivedAt={receivedAt} loadError={loadError} test={test} onTest={onTest} />
  );
}
