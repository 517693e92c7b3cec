// Handlers for the `providers` group: thin calls into the provider service.
import type { ProviderService } from '../services/providers/provider-service';
import type { Handlers } from '../../contract/handlers';

/** Builds the `providers` handlers over the provider service (keys go in, never out). */
export function providersHandlers(service: ProviderService): Handlers['providers'] {
  return {
    catalog: () => service.catalog(),
    discover: () => service.discover(),
    list: () => service.list(),
    add: (input) => service.add(input),
    get: (input) => service.get(input.id),
    edit: (input) => service.edit(input),
    test: (input) => service.test(input.id),
    models: (input) => service.models(input.id, input.refresh ?? false),
    remove: (input) => service.remove(input.id),
    network: () => service.network(),
  };
}
