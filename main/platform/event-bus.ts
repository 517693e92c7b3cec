// A typed in-process event bus (events: contract/events.ts): tray, windows and the SSE stream subscribe here.
import type { EventName, EventPayload } from '../../contract/events';

type Listener<N extends EventName> = (payload: EventPayload<N>) => void;
type AnyListener = (name: EventName, payload: unknown) => void;

/**
 * Publishes contract events (see contract/events.ts for each payload) to in-process subscribers.
 * Listeners run synchronously in subscription order; a throwing listener is reported to
 * `onListenerError` and never stops the others.
 */
export class EventBus {
  private readonly byName = new Map<EventName, Set<(payload: unknown) => void>>();
  private readonly all = new Set<AnyListener>();

  constructor(private readonly onListenerError: (err: unknown, name: EventName) => void = () => {}) {}

  /** Publishes `payload` under `name` to every subscriber. */
  emit<N extends EventName>(name: N, payload: EventPayload<N>): void {
    for (const l of this.byName.get(name) ?? []) this.safe(() => l(payload), name);
    for (const l of this.all) this.safe(() => l(name, payload), name);
  }

  /** Subscribes to one event; returns the unsubscribe function. */
  on<N extends EventName>(name: N, listener: Listener<N>): () => void {
    let set = this.byName.get(name);
    if (!set) this.byName.set(name, (set = new Set()));
    const l = listener as (payload: unknown) => void;
    set.add(l);
    return () => set.delete(l);
  }

  /** Subscribes to every event (the transports forward all of them); returns the unsubscribe function. */
  onAny(listener: AnyListener): () => void {
    this.all.add(listener);
    return () => this.all.delete(listener);
  }

  /** Number of subscribers to `name` plus catch-all subscribers. */
  listenerCount(name: EventName): number {
    return (this.byName.get(name)?.size ?? 0) + this.all.size;
  }

  private safe(fn: () => void, name: EventName): void {
    try {
      fn();
    } catch (err) {
      this.onListenerError(err, name);
    }
  }
}
