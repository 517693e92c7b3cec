// Handlers for the `engines` group: named engines beside the local ones.
import type { Handlers } from '../../contract/handlers';
import type { EngineService } from '../services/engines/engine-service';

/** Builds the `engines` handlers from the engine service (validation is the contract's, and the service's for PEMs). */
export function enginesHandlers(engines: EngineService): Handlers['engines'] {
  return {
    list: () => ({ engines: engines.list() }),
    add: (input) => engines.add(input),
    test: ({ id }) => engines.test(id),
    members: async ({ id }) => ({ members: await engines.members(id) }),
    remove: ({ id }) => engines.remove(id),
  };
}
