// A typed client built from the contract table over any transport (IPC bridge, HTTP fetch).
import { api } from './api';
import type { GroupName, InputOf, MethodName, OutputOf } from './api';
import { AppError } from './errors';
import type { Result } from './errors';
import type { EventName, EventPayload } from './events';

/** Moves one call to the core and brings back its envelope. Never throws for API errors. */
export interface Transport {
  /** Sends `input` to `<group>.<method>`; resolves with the envelope. */
  invoke(channel: string, input: unknown): Promise<Result<unknown>>;
  /** Subscribes to a push event; returns the unsubscribe function. */
  on(event: string, listener: (payload: unknown) => void): () => void;
}

/** `client.<group>.<method>(input)` → the method's output, or a thrown {@link AppError}. */
export type Client = {
  [G in GroupName]: {
    [M in MethodName<G>]: (
      // A method none of whose input fields is required (`{}` is a valid input) may be called without one.
      ...args: Record<never, never> extends InputOf<G, M> ? [input?: InputOf<G, M>] : [input: InputOf<G, M>]
    ) => Promise<OutputOf<G, M>>;
  };
} & {
  /** Subscribes to a typed push event; returns the unsubscribe function. */
  on<N extends EventName>(event: N, listener: (payload: EventPayload<N>) => void): () => void;
};

/**
 * Builds the typed client for `transport`.
 * @throws AppError from each method when the core answers `{ok:false}` (code and message kept).
 */
export function createClient(transport: Transport): Client {
  const client: Record<string, unknown> = {};
  for (const group of Object.keys(api) as GroupName[]) {
    const methods: Record<string, (input?: unknown) => Promise<unknown>> = {};
    for (const name of Object.keys(api[group])) {
      const channel = `${group}.${name}`;
      methods[name] = async (input?: unknown) => {
        const result = await transport.invoke(channel, input ?? {});
        if (!result.ok) throw AppError.fromBody(result.error);
        return result.value;
      };
    }
    client[group] = methods;
  }
  client.on = (event: string, listener: (payload: unknown) => void) => transport.on(event, listener);
  return client as Client;
}
