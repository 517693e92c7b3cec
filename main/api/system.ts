// Handlers for the `system` group: component health and core info.
import type { CoreInfo } from '../../contract/health';
import type { HealthService } from '../services/health/health-service';
import type { Handlers } from '../../contract/handlers';

/** Builds the `system` handlers from the health service and a core-info getter. */
export function systemHandlers(deps: { health: HealthService; info: () => CoreInfo }): Handlers['system'] {
  return {
    health: (input) => (input.refresh ? deps.health.check() : deps.health.current()),
    info: () => deps.info(),
  };
}
