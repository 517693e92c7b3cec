// The background half's view of a core on another machine: agents, LLM status, tasks and settings read through its API and kept current from its event stream.
import type { Agent } from '../../contract/agents';
import { createClient } from '../../contract/client';
import type { Client } from '../../contract/client';
import type { EventName, EventPayload } from '../../contract/events';
import type { LlmStatus } from '../../contract/llm';
import type { Settings } from '../../contract/settings';
import type { Task } from '../../contract/tasks';
import { EventBus } from '../platform/event-bus';
import type { BackgroundCore, RemoteStatus } from './desktop-shell';
import type { RemoteDesktopCore } from './remote-core';

/** What the background half shows before the first read answered (nothing running, nothing down). */
const NO_LLM: LlmStatus = {
  litellm: { state: 'stopped', detail: 'not read yet', last_error: null },
  gateway: { state: 'stopped', detail: 'not read yet' },
} as LlmStatus;

/** Settings the background half uses until the server's are read: the defaults of a fresh core. */
const NO_SETTINGS = { close_to_tray: null, start_at_login: false, start_hidden: false } as Settings;

/** Error codes that mean this desktop cannot use the remote core at all (not a refusal of one call). */
const CUT_OFF: ReadonlySet<string> = new Set(['UNAVAILABLE', 'UNAUTHORIZED']);

/** The lists the background half reads, each replaced whole by its event. */
type ListName = 'agents' | 'llm' | 'tasks' | 'settings';

/** The event that carries each list. */
const EVENT_OF: Record<ListName, EventName> = {
  agents: 'agents.changed',
  llm: 'llm.status',
  tasks: 'tasks.changed',
  settings: 'settings.changed',
};

/** A {@link BackgroundCore} over a remote core, with its reachability and the means to let go of it. */
export interface RemoteBackgroundCore extends BackgroundCore {
  remote: RemoteStatus;
  /** Reads the four lists again now (what a reconnect does); resolves `false` when the core did not answer. */
  reload(): Promise<boolean>;
  /** Stops following the remote core's events. Safe to call twice. */
  dispose(): void;
}

/**
 * Builds the background half's core from a remote core (remote-core.ts `attachDesktopCore`):
 * - reads `agents.list`, `llm.status`, `tasks.list` and `settings.get` through the remote dispatcher
 *   (the calls the renderer makes, `Result` envelopes), once before it resolves;
 * - keeps them current from the remote event stream (`agents.changed`, `llm.status`, `tasks.changed`,
 *   `settings.changed` carry the whole list) and re-publishes every event on its own bus after its
 *   list was updated, so listeners that read `list()` see the new one;
 * - reads all four again each time the stream opens (after a drop, events may have been missed), and
 *   publishes what it read as the four events, so the tray and the notices catch up;
 * - is unreachable (`remote.reachable()` false) while the stream is down or a read answered
 *   `UNAVAILABLE` or `UNAUTHORIZED` (another error keeps that list's last value); the tray
 *   then says so instead of showing the last agents as current;
 * - `agents.start` / `agents.stop` are the remote calls; a refusal or a lost core rejects with the
 *   envelope's error (contract/client.ts `AppError`).
 * A reload that was overtaken by an event (the event is newer) keeps the event's list.
 * Never rejects: a core that does not answer at start leaves it unreachable, with empty lists.
 */
export async function startRemoteBackgroundCore(core: RemoteDesktopCore): Promise<RemoteBackgroundCore> {
  const client: Client = createClient({
    invoke: (channel, input) => core.dispatcher.dispatch(channel, input, { transport: 'ipc' }),
    on: () => () => {},
  });
  const bus = new EventBus((err, name) => core.log.warn({ err, event: name }, 'background listener failed'));
  const reachListeners = new Set<(reachable: boolean) => void>();
  let agents: readonly Agent[] = [];
  let llm: LlmStatus = NO_LLM;
  let tasks: readonly Task[] = [];
  let settings: Settings = NO_SETTINGS;
  let reachable = false;
  let disposed = false;
  /** Drops of the event stream so far: a read that began before a drop does not make the core reachable. */
  let drops = 0;
  /** Events seen per list: a read that started before one of them is older than the list it carries. */
  const seen: Record<ListName, number> = { agents: 0, llm: 0, tasks: 0, settings: 0 };

  const setReachable = (now: boolean): void => {
    if (now === reachable || disposed) return;
    reachable = now;
    for (const l of [...reachListeners]) {
      try {
        l(now);
      } catch (err) {
        core.log.warn({ err }, 'reachability listener failed');
      }
    }
  };

  /**
   * Stores an event's list (before listeners run). A payload without the list's shape (a server of
   * another version, a broken proxy) is logged and dropped: `false`, and it is not re-published.
   * Only the shape the tray relies on is checked, not the whole schema, so a newer server's added
   * fields or phases do not stop the tray.
   */
  const store = (name: string, payload: unknown): boolean => {
    const p = (typeof payload === 'object' && payload !== null ? payload : {}) as Record<string, unknown>;
    const bad = (): boolean => {
      core.log.warn({ event: name, core: core.remoteLabel }, 'remote core sent a payload of the wrong shape');
      return false;
    };
    if (name === 'agents.changed') {
      if (!Array.isArray(p.agents)) return bad();
      agents = (payload as EventPayload<'agents.changed'>).agents;
      seen.agents++;
    } else if (name === 'llm.status') {
      if (typeof p.litellm !== 'object' || typeof p.gateway !== 'object' || !p.litellm || !p.gateway)
        return bad();
      llm = payload as LlmStatus;
      seen.llm++;
    } else if (name === 'tasks.changed') {
      if (!Array.isArray(p.tasks)) return bad();
      tasks = (payload as EventPayload<'tasks.changed'>).tasks;
      seen.tasks++;
    } else if (name === 'settings.changed') {
      if (typeof payload !== 'object' || payload === null) return bad();
      settings = payload as Settings;
      seen.settings++;
    }
    return true;
  };

  /** One read of the four lists; `true` when the core answered (a list it refuses keeps its last value). */
  const readAll = async (): Promise<boolean> => {
    const before = { ...seen };
    const dropsBefore = drops;
    const got = await Promise.allSettled([
      client.agents.list({}),
      client.llm.status({}),
      client.tasks.list({}),
      client.settings.get({}),
    ]);
    if (disposed) return false;
    // Not reachable: the connection failed, or the token is no longer the server's (it restarted).
    const lost = got.find(
      (r): r is PromiseRejectedResult =>
        r.status === 'rejected' && CUT_OFF.has((r.reason as { code?: string }).code ?? ''),
    );
    if (lost) {
      core.log.warn({ err: lost.reason as unknown, core: core.remoteLabel }, 'remote core cannot be reached');
      setReachable(false);
      return false;
    }
    const lists: ListName[] = ['agents', 'llm', 'tasks', 'settings'];
    got.forEach((r, i) => {
      const list = lists[i]!;
      if (r.status === 'rejected') {
        // An older server without the call, or a refusal: keep what we have, say so.
        core.log.warn({ err: r.reason as unknown, list }, 'remote core: a list could not be read');
        return;
      }
      if (seen[list] !== before[list]) return; // an event newer than this read arrived meanwhile
      // Published through the same path as the stream's events, so the tray and the notices catch up.
      store(EVENT_OF[list], r.value);
      bus.emit(EVENT_OF[list], r.value);
    });
    if (drops !== dropsBefore) return false; // the stream dropped meanwhile: its next open reads again
    setReachable(true);
    return true;
  };

  let reloading: Promise<boolean> | null = null;
  let again = false;
  /** Reads again; asked while a read is under way, another one follows it (that one may predate a reopen). */
  const reload = (): Promise<boolean> => {
    if (reloading) {
      again = true;
      return reloading;
    }
    const run = async (): Promise<boolean> => {
      let ok = await readAll();
      while (again && !disposed) {
        again = false;
        ok = await readAll();
      }
      return ok;
    };
    reloading = run().finally(() => {
      reloading = null;
    });
    return reloading;
  };

  const offEvents = core.bus.onAny((name, payload) => {
    if (disposed) return;
    if (store(name, payload)) bus.emit(name, payload as never);
  });
  const offStream = core.onStream((open) => {
    if (disposed) return;
    if (open) void reload();
    else {
      drops++;
      setReachable(false);
    }
  });
  await reload();

  const call = async (channel: 'start' | 'stop', id: string): Promise<Agent> =>
    channel === 'start' ? client.agents.start({ id }) : client.agents.stop({ id });

  return {
    bus,
    log: core.log,
    agents: {
      list: () => agents,
      start: (id) => call('start', id),
      stop: (id) => call('stop', id),
    },
    llm: { status: () => llm },
    tasks: { list: () => tasks },
    settings: { get: () => settings },
    remote: {
      label: core.remoteLabel,
      reachable: () => reachable,
      onReachability: (listener) => {
        reachListeners.add(listener);
        return () => reachListeners.delete(listener);
      },
    },
    reload,
    dispose: () => {
      if (disposed) return;
      disposed = true;
      offEvents();
      offStream();
      reachListeners.clear();
    },
  };
}
