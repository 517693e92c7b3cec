// The handler side of the contract: what the core implements for every method of contract/api.ts.
import type { GroupName, MethodName, OutputOf, ParsedInputOf } from './api';

/**
 * Who is calling: for logging, and for handlers that refuse some changes over HTTP (settings that choose
 * a program the core runs: main/api/settings.ts). The dispatcher itself decides nothing from it.
 */
export interface CallContext {
  transport: 'ipc' | 'http' | 'internal';
}

/** A handler for every method of the table: a missing one does not compile. */
export type Handlers = {
  [G in GroupName]: {
    [M in MethodName<G>]: (
      input: ParsedInputOf<G, M>,
      ctx: CallContext,
    ) => Promise<OutputOf<G, M>> | OutputOf<G, M>;
  };
};
