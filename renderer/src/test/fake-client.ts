// A scripted stand-in for the core, for renderer unit tests only (stores, connection): the real client over a fake transport.
import { createClient } from '../../../contract/client';
import type { Client, Transport } from '../../../contract/client';
import type { ErrorBody, Result } from '../../../contract/errors';
import type { CoreInfo, HealthReport, Settings } from '../../../contract/models';

/** A handler answers one channel: return a value, or throw {@link FakeCoreError} to answer `{ok:false}`. */
export type FakeHandler = (input: unknown) => unknown;

/** Thrown by a fake handler to make the fake core answer `{ok:false, error: body}`. */
export class FakeCoreError extends Error {
  constructor(readonly body: ErrorBody) {
    super(body.message);
  }
}

export interface FakeCore {
  client: Client;
  /** Replaces the handler of `<group>.<method>`. */
  handle(channel: string, handler: FakeHandler): void;
  /** Pushes an event to every subscriber. */
  emit(event: string, payload: unknown): void;
  /** Every call made, in order. */
  calls: { channel: string; input: unknown }[];
  /** Number of live subscriptions per event. */
  listenerCount(event: string): number;
}

export const SAMPLE_HEALTH: HealthReport = {
  checked_at: 1_000,
  components: [
    { name: 'gateway', state: 'ok', detail: 'Listening on 127.0.0.1:4100', fix: '' },
    {
      name: 'docker',
      state: 'missing',
      detail: 'No socket at /var/run/docker.sock',
      fix: 'Install Docker: sudo apt install docker.io',
    },
    { name: 'keychain', state: 'ok', detail: 'Secret Service (gnome-keyring)', fix: '' },
    { name: 'incus', state: 'error', detail: 'Permission denied', fix: 'sudo usermod -aG incus-admin $USER' },
    {
      name: 'litellm',
      state: 'starting',
      detail: 'Waiting for /health/readiness',
      fix: 'Wait a few seconds',
    },
  ],
};

export const SAMPLE_INFO: CoreInfo = {
  version: '0.1.0',
  data_dir: '/tmp/agentdesk-home',
  platform: 'linux',
  mode: 'headless',
  pid: 4242,
  started_at: 500,
  schema_version: 1,
};

export const SAMPLE_SETTINGS: Settings = {
  version: 1,
  theme: 'system',
  close_to_tray: null,
  start_at_login: false,
  start_hidden: false,
  stop_agents_on_quit: true,
  container_runtime: 'docker',
  litellm_command: null,
  trace_retention_days: 30,
};

/** Builds a fake core with sample answers for system.health, system.info, settings.get and settings.update. */
export function createFakeCore(): FakeCore {
  const handlers = new Map<string, FakeHandler>();
  const listeners = new Map<string, Set<(p: unknown) => void>>();
  const calls: FakeCore['calls'] = [];
  let settings = { ...SAMPLE_SETTINGS };
  handlers.set('system.health', () => SAMPLE_HEALTH);
  handlers.set('system.info', () => SAMPLE_INFO);
  handlers.set('settings.get', () => settings);
  handlers.set('settings.update', (patch) => (settings = { ...settings, ...(patch as Partial<Settings>) }));

  const transport: Transport = {
    async invoke(channel, input): Promise<Result<unknown>> {
      calls.push({ channel, input });
      const handler = handlers.get(channel);
      if (!handler) return { ok: false, error: { code: 'NOT_FOUND', message: `No fake for ${channel}` } };
      try {
        return { ok: true, value: await handler(input) };
      } catch (err) {
        if (err instanceof FakeCoreError) return { ok: false, error: err.body };
        throw err;
      }
    },
    on(event, listener) {
      let set = listeners.get(event);
      if (!set) listeners.set(event, (set = new Set()));
      set.add(listener);
      return () => void set.delete(listener);
    },
  };
  return {
    client: createClient(transport),
    handle: (channel, handler) => void handlers.set(channel, handler),
    emit: (event, payload) => listeners.get(event)?.forEach((l) => l(payload)),
    calls,
    listenerCount: (event) => listeners.get(event)?.size ?? 0,
  };
}
