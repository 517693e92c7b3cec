// State of the first-run onboarding: the checks, provisioning progress, and what is under way.
import type { SetupActionId, SetupStatus } from '../../../../contract/setup';
import type { ShownError } from '../errors';

export interface SetupState {
  status: SetupStatus | null;
  /** "Check again" (or the first load) is under way. */
  checking: boolean;
  /** The fix being sent, so its button can show it is busy. */
  fixing: SetupActionId | null;
  /** "Continue" is being sent. */
  completing: boolean;
  error: ShownError | null;
}

export const initialSetupState: SetupState = {
  status: null,
  checking: false,
  fixing: null,
  completing: false,
  error: null,
};
