// State of the System view: component health and facts about the running core.
import type { CoreInfo, HealthReport } from '../../../../contract/health';
import type { ShownError } from '../errors';

export interface SystemState {
  health: HealthReport | null;
  info: CoreInfo | null;
  /** A first load of the health report is under way. */
  loadingHealth: boolean;
  /** "Check again" is under way. */
  refreshing: boolean;
  /** Last failure of a health call, `null` after a success. */
  healthError: ShownError | null;
  infoError: ShownError | null;
}

export const initialSystemState: SystemState = {
  health: null,
  info: null,
  loadingHealth: false,
  refreshing: false,
  healthError: null,
  infoError: null,
};
