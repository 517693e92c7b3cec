// "Test model": pick a served model, optionally write a prompt, and see the reply, latency and tokens or why it failed.
import { useId, useState } from 'react';
import type { FormEvent, ReactElement } from 'react';
import type { LlmStatus, LlmTestResult } from '../../../../contract/llm';
import { Badge } from '../../components/Badge';
import type { ShownError } from '../../stores/errors';
import { selectTestAvailability, testOutcome } from '../../stores/llm';
import type { ModelTestState } from '../../stores/llm';
import { formatHttpStatus, formatTokens } from './llm-format';

/** The core's default prompt (contract/llm.ts `LlmTestInput.prompt`). */
const DEFAULT_PROMPT = 'Reply with the single word OK.';

function Passed({ result }: { result: LlmTestResult }): ReactElement {
  return (
    <>
      <div className="test-model__line">
        <Badge tone="ok" label="Passed" testId="test-model-badge" />
        <code>{result.model}</code>
        <span data-testid="test-model-latency" data-ms={result.latency_ms}>
          {result.latency_ms} ms
        </span>
        <span className="muted" data-testid="test-model-tokens">
          tokens {formatTokens(result.tokens_in, result.tokens_out)}
        </span>
      </div>
      <blockquote className="test-model__reply" data-testid="test-model-reply">
        {result.reply ?? ''}
      </blockquote>
    </>
  );
}

function Failed({ result }: { result: LlmTestResult }): ReactElement {
  return (
    <>
      <div className="test-model__line">
        <Badge tone="danger" label="Failed" testId="test-model-badge" />
        <code>{result.model}</code>
        <span data-testid="test-model-http-status" data-status={result.http_status ?? ''}>
          {formatHttpStatus(result.http_status)}
        </span>
        <span className="muted" data-testid="test-model-latency" data-ms={result.latency_ms}>
          after {result.latency_ms} ms
        </span>
      </div>
      <p className="inline-error" data-testid="test-model-error">
        {result.error ?? 'The model gave no reply.'}
      </p>
    </>
  );
}

function Errored({ model, error }: { model: string | null; error: ShownError }): ReactElement {
  return (
    <p className="inline-error" role="alert" data-testid="test-model-error">
      Could not test {model ? <code>{model}</code> : 'the model'}: <code>{error.code}</code> {error.message}
    </p>
  );
}

/**
 * The "Test model" card for `status` (`null` before the first one) and the last `test`; disabled with the
 * reason when no model is served or LiteLLM is not ready. `onTest(model, prompt)` runs a test.
 */
export function TestModelForm({
  status,
  test,
  onTest,
}: {
  status: LlmStatus | null;
  test: ModelTestState;
  onTest: (model: string, prompt: string) => void;
}): ReactElement {
  const availability = selectTestAvailability({ status });
  const [picked, setPicked] = useState('');
  const [prompt, setPrompt] = useState('');
  const ids = { select: useId(), prompt: useId(), reason: useId() };
  const model = availability.models.includes(picked) ? picked : (availability.models[0] ?? '');
  const outcome = testOutcome(test);
  const canRun = availability.canTest && model !== '' && !test.running;

  const submit = (e: FormEvent): void => {
    e.preventDefault();
    if (canRun) onTest(model, prompt);
  };

  return (
    <section className="card" aria-labelledby="test-model-title" data-testid="test-model">
      <h2 id="test-model-title" className="card__title">
        Test model
      </h2>
      <p className="card__note">
        Sends a short prompt to a served model through LiteLLM, with the provider’s key, and shows what comes
        back.
      </p>
      <form
        className="test-model__form"
        onSubmit={submit}
        aria-describedby={availability.reason ? ids.reason : undefined}
      >
        <div className="field test-model__model">
          <label htmlFor={ids.select} className="field__label">
            Model
          </label>
          <select
            id={ids.select}
            className="input"
            value={model}
            onChange={(e) => setPicked(e.target.value)}
            disabled={!availability.canPick}
            aria-describedby={availability.reason ? ids.reason : undefined}
            data-testid="test-model-select"
          >
            {availability.models.length === 0 ? <option value="">No model served</option> : null}
            {availability.models.map((m) => (
              <option key={m} value={m}>
                {m}
              </option>
            ))}
          </select>
        </div>
        <div className="field test-model__prompt">
          <label htmlFor={ids.prompt} className="field__label">
            Prompt <span className="muted">(optional)</span>
          </label>
          <input
            id={ids.prompt}
            className="input"
            type="text"
            value={prompt}
            maxLength={2000}
            placeholder={DEFAULT_PROMPT}
            spellCheck={false}
            autoComplete="off"
            onChange={(e) => setPrompt(e.target.value)}
            data-testid="test-model-prompt"
          />
        </div>
        <button
          type="submit"
          className="button button--primary test-model__run"
          disabled={!canRun}
          aria-busy={test.running}
          data-testid="test-model-run"
        >
          {test.running ? (
            <>
              <span className="badge__spinner" aria-hidden="true" />
              Testing…
            </>
          ) : (
            'Test'
          )}
        </button>
      </form>
      {availability.reason ? (
        <p id={ids.reason} className="field__hint" data-testid="test-model-reason">
          {availability.reason}
        </p>
      ) : null}
      <div
        className="test-model__result"
        aria-live="polite"
        data-testid="test-model-result"
        data-outcome={outcome}
        data-runs={test.runs}
      >
        {outcome === 'running' ? (
          <p className="muted">
            Testing <code>{test.model}</code>…
          </p>
        ) : outcome === 'passed' && test.result ? (
          <Passed result={test.result} />
        ) : outcome === 'failed' && test.result ? (
          <Failed result={test.result} />
        ) : outcome === 'error' && test.error ? (
          <Errored model={test.model} error={test.error} />
        ) : null}
      </div>
    </section>
  );
}
