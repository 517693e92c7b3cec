// The core's container runtimes, keyed by engine: the local ones (one per kind) and one per named engine.
import type { ContainerRuntime, RuntimeKind } from './container-runtime';
import type { EngineRecord } from './engine-target';
import { LOCAL_ENGINE, runtimeKey } from './engine-target';

/**
 * Builds the runtime of a named engine (Docker over ssh:// or tcp+TLS, Incus over HTTPS). Constructs
 * only: no I/O, never awaits the engine. @throws Error naming why this engine cannot be driven (e.g. a
 * transport this build does not have); the engine is then reported with that error.
 */
export type RuntimeFactory = (engine: EngineRecord) => ContainerRuntime;

/** A factory for builds without remote transports: every named engine is refused, saying so. */
export const NO_REMOTE_RUNTIMES: RuntimeFactory = (engine) => {
  throw new Error(
    `${engine.target.kind} over ${engine.target.transport} is not available in this build of Agent Desk`,
  );
};

/** One runtime of the registry, with the engine it drives. */
export interface RuntimeEntry {
  /** {@link runtimeKey}: `docker`, `incus`, `docker@homeserver` … */
  key: string;
  kind: RuntimeKind;
  /** `local` or a named engine's id. */
  engine: string;
  rt: ContainerRuntime;
}

/** What identifies an agent's runtime: its kind and engine (agents recorded before engines have none: `local`). */
export interface RuntimeOwner {
  runtime: RuntimeKind;
  engine?: string | null;
}

/** A change of the registry: a named engine's runtime added or removed while the core runs. */
export type RuntimesChange = { op: 'add' | 'remove'; entry: RuntimeEntry };

/** Longest wait for an engine's teardown when it is removed (an engine that is away must not hold the call), in ms. */
const TEARDOWN_MS = 30_000;

/** `p`, or a rejection naming `what` after `ms`. */
function withDeadline<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms / 1000} s`)), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

/**
 * Every container runtime of the core, keyed by {@link runtimeKey}: the local engines (the map given at
 * construction, as found on this machine) and the named engines {@link add}ed from the `engines` table.
 * Callers ask for the runtime of a kind and engine, or of an agent row.
 */
export class Runtimes {
  private readonly entries = new Map<string, RuntimeEntry>();
  /** Named engines whose runtime could not be built: id → why. */
  private readonly refused = new Map<string, string>();
  private readonly listeners = new Set<(c: RuntimesChange) => void>();

  /**
   * @param local the runtimes of this machine's engines, by kind (a kind left out is not available).
   * @param factory builds a named engine's runtime (see {@link RuntimeFactory}).
   */
  constructor(
    local: Partial<Record<RuntimeKind, ContainerRuntime>>,
    private readonly factory: RuntimeFactory = NO_REMOTE_RUNTIMES,
  ) {
    for (const [kind, rt] of Object.entries(local) as [RuntimeKind, ContainerRuntime][])
      if (rt) this.entries.set(kind, { key: kind, kind, engine: LOCAL_ENGINE, rt });
  }

  /** The runtime of `kind` on `engine` (default the local one), or undefined when there is none. */
  get(kind: RuntimeKind, engine: string = LOCAL_ENGINE): ContainerRuntime | undefined {
    return this.entries.get(runtimeKey(kind, engine))?.rt;
  }

  /** The runtime an agent runs on (its `runtime` kind on its `engine`), or undefined. */
  forAgent(row: RuntimeOwner): ContainerRuntime | undefined {
    return this.get(row.runtime, row.engine ?? LOCAL_ENGINE);
  }

  /** The runtime of a named engine (any kind), or undefined. */
  ofEngine(engine: string): RuntimeEntry | undefined {
    for (const e of this.entries.values()) if (e.engine === engine) return e;
    return undefined;
  }

  /** Every runtime, the local ones first (docker, incus), then named engines in the order they were added. */
  all(): RuntimeEntry[] {
    return [...this.entries.values()];
  }

  /** The local runtimes, by kind (what egress, images and the setup checks use). */
  local(): Partial<Record<RuntimeKind, ContainerRuntime>> {
    const out: Partial<Record<RuntimeKind, ContainerRuntime>> = {};
    for (const e of this.entries.values()) if (e.engine === LOCAL_ENGINE) out[e.kind] = e.rt;
    return out;
  }

  /** Kinds with a local runtime. */
  localKinds(): RuntimeKind[] {
    return this.all()
      .filter((e) => e.engine === LOCAL_ENGINE)
      .map((e) => e.kind);
  }

  /** Why a named engine has no runtime (its factory refused it), or null. */
  refusal(engine: string): string | null {
    return this.refused.get(engine) ?? null;
  }

  /**
   * Builds and registers the runtime of a named engine (replacing none: an engine already added is kept).
   * @returns the entry, or null when the factory refused it ({@link refusal} says why).
   */
  add(engine: EngineRecord): RuntimeEntry | null {
    const key = runtimeKey(engine.target.kind, engine.id);
    const had = this.entries.get(key);
    if (had) return had;
    let rt: ContainerRuntime;
    try {
      rt = this.factory(engine);
    } catch (err) {
      this.refused.set(engine.id, (err as Error).message);
      return null;
    }
    this.refused.delete(engine.id);
    const entry: RuntimeEntry = { key, kind: engine.target.kind, engine: engine.id, rt };
    this.entries.set(key, entry);
    this.emit({ op: 'add', entry });
    return entry;
  }

  /**
   * Unregisters a named engine's runtime and closes it. The local engines are never removed.
   * @param teardown also removes what Agent Desk made on the engine (ContainerRuntime `teardown`) before
   *   closing; its outcome is passed to it: what was left in use, or why it could not be done.
   */
  async remove(
    engine: string,
    teardown?: (outcome: { kept: string[] } | { error: Error }) => void,
  ): Promise<void> {
    this.refused.delete(engine);
    if (engine === LOCAL_ENGINE) return;
    for (const [key, entry] of [...this.entries])
      if (entry.engine === engine) {
        this.entries.delete(key);
        this.emit({ op: 'remove', entry });
        if (teardown && entry.rt.teardown)
          await withDeadline(entry.rt.teardown(), TEARDOWN_MS, 'removing what Agent Desk made there').then(
            (kept) => teardown({ kept }),
            (error: unknown) => teardown({ error: error as Error }),
          );
        await entry.rt.close().catch(() => undefined);
      }
  }

  /** Listens for runtimes added and removed while the core runs. Returns the function that stops listening. */
  onChange(listener: (c: RuntimesChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Closes every runtime. */
  async close(): Promise<void> {
    await Promise.allSettled(this.all().map((e) => e.rt.close()));
  }

  private emit(c: RuntimesChange): void {
    for (const l of this.listeners) l(c);
  }
}
