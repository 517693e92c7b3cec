// Handlers for the `llm` group: LiteLLM and gateway status, and "Test model".
import type { LlmService } from '../services/llm/llm-service';
import type { Handlers } from '../../contract/handlers';

/** Builds the `llm` handlers from the LLM service. */
export function llmHandlers(llm: LlmService): Handlers['llm'] {
  return {
    status: () => llm.status(),
    testModel: (input) => llm.testModel(input),
  };
}
