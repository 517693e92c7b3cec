// A valid example input for every contract method: the both-transports test calls each one.
import type { Channel } from '../contract/api';

/**
 * One valid input per channel, called in table order on one fresh core: `providers.add` creates the
 * keyless provider `example` (no keychain needed, pointing at the discard port 9 where nothing listens)
 * that `get`/`edit`/`test`/`models` use and `remove` removes (`test` answers `probe.ok=false`, not an error).
 * `llm.testModel` answers `ok: false` (no provider has models, so LiteLLM is idle).
 * Typed as a full record so adding a method to the contract without an example here does not
 * compile (and the transport tests would miss it).
 */
export const EXAMPLE_INPUTS: Record<Channel, unknown> = {
  'system.health': {},
  'system.info': {},
  'settings.get': {},
  'settings.update': { theme: 'dark' },
  'providers.catalog': {},
  'providers.discover': {},
  'providers.list': {},
  'providers.add': {
    type: 'openai-compatible',
    name: 'Example',
    base_url: 'http://127.0.0.1:9/v1',
    probe: false,
  },
  'providers.get': { id: 'example' },
  'providers.edit': { id: 'example', name: 'Example (renamed)' },
  'providers.test': { id: 'example' },
  'providers.models': { id: 'example' },
  'providers.remove': { id: 'example' },
  'llm.status': {},
  'llm.testModel': { model: 'example/none' },
};
