// The CLI's typed client: the running core over HTTP, or else a core started in this process for one command.
import { createClient } from '../../contract/client';
import type { Client, Transport } from '../../contract/client';
import { startCore } from '../app/bootstrap';
import type { EventName } from '../../contract/events';
import type { EventBus } from '../platform/event-bus';
import type { Dispatcher } from '../transport/dispatch';
import type { AppOptions } from '../platform/paths';
import { connect, httpTransport, NotRunningError } from './http-client';
import { readControlFile } from '../transport/http/control-file';
import { ensurePrivateDataDir } from '../platform/data-dir';
import { attachRemote } from './remote';
import type { RemoteTarget } from './remote';

/** A {@link Transport} that calls a dispatcher in this process; events come from the core's bus. */
export function inProcessTransport(dispatcher: Dispatcher, bus?: EventBus): Transport {
  return {
    invoke: (channel, input) => dispatcher.dispatch(channel, input, { transport: 'internal' }),
    on: (event, listener) => (bus ? bus.on(event as EventName, listener) : () => {}),
  };
}

/**
 * Runs `fn` with a client of the core for `home` (docs/architecture.md, "Layout": the CLI talks to a core
 * over HTTP, or starts one). When no core runs there (no control.json), a core is started in this
 * process with the options `app` for the duration of `fn` — same database, keychain and logs — and
 * stopped afterwards.
 * @throws NotRunningError when a control.json names a live core that does not answer;
 *   CoreLockedError when another core holds the data dir; whatever `fn` throws.
 */
export async function withCoreClient<T>(
  home: string,
  app: AppOptions,
  fn: (client: Client) => Promise<T>,
): Promise<T> {
  let control = null;
  try {
    control = readControlFile(home);
  } catch {
    control = null;
  }
  if (control) {
    try {
      const { client } = await connect(home);
      return await fn(client);
    } catch (err) {
      // A control.json left by a core that has exited: fall through and start one here.
      if (!(err instanceof NotRunningError) || !/has exited/.test(err.message)) throw err;
    }
  }
  // Not on a schedule: this core lives for one command (tasks run only when the command asks).
  const core = await startCore({ home, app, mode: 'headless', healthIntervalMs: 0, schedule: false });
  try {
    return await fn(createClient(inProcessTransport(core.dispatcher, core.bus)));
  } finally {
    await core.shutdown();
  }
}

/**
 * Runs `fn` with a client of the remote core `target` (see `attachRemote`): the SSH forward or TLS
 * connection lives for the duration of `fn` and is closed afterwards. `home` is this machine's data dir
 * (made private if new), where the shared SSH connection's socket lives; `app` gives the ssh_config
 * option and the environment ssh runs with.
 * @throws SshError, NotRunningError when the remote core does not answer, whatever `fn` throws.
 */
export async function withRemoteClient<T>(
  target: RemoteTarget,
  home: string,
  app: AppOptions,
  fn: (client: Client, label: string) => Promise<T>,
): Promise<T> {
  ensurePrivateDataDir(home);
  const remote = await attachRemote(target, { dataDir: home, configFile: app.sshConfigFile, env: app.env });
  try {
    const client = createClient(httpTransport(remote.endpoint));
    try {
      await client.system.info({});
    } catch (err) {
      throw new NotRunningError(`The core at ${remote.label} did not answer: ${(err as Error).message}`);
    }
    return await fn(client, remote.label);
  } finally {
    await remote.close();
  }
}
