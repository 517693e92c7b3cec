// A valid example input for every contract method: the both-transports test calls each one.
import type { Channel } from '../contract/api';

/**
 * One valid input per channel. Typed as a full record so adding a method to the contract
 * without an example here does not compile (and the transport tests would miss it).
 */
export const EXAMPLE_INPUTS: Record<Channel, unknown> = {
  'system.health': {},
  'system.info': {},
  'settings.get': {},
  'settings.update': { theme: 'dark' },
};
