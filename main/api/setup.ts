// Handlers for the `setup` group: first-run onboarding checks, one-click fixes, completion.
import type { SetupService } from '../services/health/setup-service';
import type { Handlers } from '../../contract/handlers';

/** Builds the `setup` handlers from the setup service. */
export function setupHandlers(setup: SetupService): Handlers['setup'] {
  return {
    status: (input) => setup.status(input.refresh ?? false),
    fix: (input) => setup.fix(input.action),
    complete: () => setup.complete(),
  };
}
