// Picks the transport at start (IPC inside Electron, HTTP under `agentdesk serve`) and builds the typed client.
import { createClient } from '../../../contract/client';
import type { Client, Transport } from '../../../contract/client';
import { events } from '../../../contract/events';
import type { ReachListener } from './connection';
import { takeToken } from './token';
import type { TokenEnv } from './token';
import { createHttpTransport } from './transport-http';
import { createIpcTransport } from './transport-ipc';
import type { Bridge } from './transport-ipc';

export type { Client } from '../../../contract/client';

/** How the renderer reaches the core, or why it cannot. */
export type CoreConnection =
  | { kind: 'ready'; mode: 'ipc' | 'http'; client: Client }
  /** Served over HTTP but opened without `#token=` and none saved for this tab. */
  | { kind: 'no-token' };

/** What {@link connectToCore} reads from the page; `bridge` is set only inside Electron. */
export interface PageEnv extends TokenEnv {
  bridge?: Bridge;
  fetch?: typeof fetch;
  origin?: string;
}

/**
 * Wraps a transport so every push event is checked against its schema in `contract/events.ts`; a payload
 * that does not match is dropped with a console warning rather than reaching a store in the wrong shape.
 */
export function withCheckedEvents(transport: Transport): Transport {
  return {
    invoke: (channel, input) => transport.invoke(channel, input),
    on(event, listener) {
      const schema = (
        events as Record<string, { safeParse(v: unknown): { success: boolean; data?: unknown } }>
      )[event];
      return transport.on(event, (payload) => {
        if (!schema) return listener(payload);
        const parsed = schema.safeParse(payload);
        if (parsed.success) listener(parsed.data);
        else console.warn(`agentdesk: dropped ${event} event that does not match the contract`);
      });
    },
  };
}

/**
 * Chooses the transport: the preload's bridge when present (Electron), otherwise HTTP to the page's own
 * origin with the token from `#token=` or sessionStorage (see token.ts). `onReach` hears every
 * reachable / unreachable / unauthorized signal of the transport.
 */
export function connectToCore(env: PageEnv, onReach: ReachListener): CoreConnection {
  if (env.bridge) {
    return {
      kind: 'ready',
      mode: 'ipc',
      client: createClient(withCheckedEvents(createIpcTransport(env.bridge, onReach))),
    };
  }
  const token = takeToken(env);
  if (!token) return { kind: 'no-token' };
  const transport = createHttpTransport({
    token,
    onReach,
    ...(env.fetch ? { fetch: env.fetch } : {}),
    ...(env.origin ? { baseUrl: env.origin } : {}),
  });
  return { kind: 'ready', mode: 'http', client: createClient(withCheckedEvents(transport)) };
}
