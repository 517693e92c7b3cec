// Handlers for the `agents`, `harnesses` and `images` groups.
import type { AgentService } from '../services/agents/agent-service';
import { toAppError } from '../services/agents/agent-service';
import type { ChatRelay } from '../services/agents/chat-relay';
import { toHarness } from '../services/harnesses/manifest';
import type { HarnessRegistry } from '../services/harnesses/registry';
import type { Handlers } from '../../contract/handlers';
import type { ImagesFacade } from './images-facade';

/**
 * Builds the `agents` handlers. Engine errors become UNAVAILABLE with the fix; `chat`, `threads`,
 * `thread` and `cancel` go through the chat relay (its errors are AppErrors already).
 */
export function agentsHandlers(agents: AgentService, chat: ChatRelay): Handlers['agents'] {
  const guard = async <T>(p: Promise<T>): Promise<T> => {
    try {
      return await p;
    } catch (err) {
      throw toAppError(err);
    }
  };
  return {
    list: () => ({ agents: agents.list() }),
    create: async (input) => {
      await agents.checkMember(input);
      return agents.create(input);
    },
    get: ({ id }) => agents.get(id),
    start: ({ id }) => guard(agents.start(id)),
    stop: ({ id }) => guard(agents.stop(id)),
    restart: ({ id }) => guard(agents.restart(id)),
    configure: (input) => guard(agents.configure(input)),
    logs: async ({ id, tail }) => ({ id, lines: await agents.logs(id, tail) }),
    archive: ({ id }) => guard(agents.archive(id)),
    restore: ({ id }) => guard(agents.restore(id)),
    chat: (input) => chat.chat(input),
    threads: async ({ id }) => ({ threads: await chat.threads(id) }),
    thread: ({ id, thread_id }) => chat.thread(id, thread_id),
    cancel: ({ id, thread_id }) => ({ cancelled: chat.cancel(id, thread_id) }),
    purge: ({ id }) => guard(agents.purge(id)),
    policy: ({ id, ...change }) => guard(agents.policy(id, change)),
    folders: ({ id, add, remove }) => guard(agents.folders(id, add, remove)),
    limits: (input) => guard(agents.limits(input)),
  };
}

/** Builds the `harnesses` handlers from the registry. */
export function harnessesHandlers(harnesses: HarnessRegistry): Handlers['harnesses'] {
  return { list: () => ({ harnesses: harnesses.list().map((h) => toHarness(h.manifest)) }) };
}

/** Builds the `images` handlers. */
export function imagesHandlers(images: ImagesFacade): Handlers['images'] {
  return {
    status: () => images.status(),
    build: ({ runtimes, harness }) => images.build(runtimes, harness),
    export: ({ file }) => images.exportTo(file),
    import: ({ file, runtimes }) => images.importFrom(file, runtimes),
  };
}
