// The in-container adapter of a headless CLI harness: the Agent Desk runtime protocol on :8100, each turn one run of the CLI.
import fs from 'node:fs/promises';
import type { RuntimeConfig } from '../../../../resources/agent-runtime/src/config';
import { serveProtocol } from '../../../../resources/agent-runtime/src/http-server';
import type { ProtocolServer } from '../../../../resources/agent-runtime/src/http-server';
import { addSecret, logError, logInfo, messageOf } from '../../../../resources/agent-runtime/src/log';
import { ThreadStore } from '../../../../resources/agent-runtime/src/threads';
import { TraceClient } from '../../../../resources/agent-runtime/src/trace';
import type { CliThread } from './cli-turn';
import { runCliTurn } from './cli-turn';
import type { CliDriver } from './driver';
import { verifyGateway } from './verify';

/** Version reported by `GET /health`. */
export const ADAPTER_VERSION = 'cli-adapter/1';

/** A running adapter: its port, and `close()` (stops accepting, cancels running turns — their CLIs are killed — and flushes the trace ≤ 2 s). */
export type CliAdapter = ProtocolServer;

/**
 * Serves the runtime protocol (resources/agent-runtime/PROTOCOL.md) for `driver` with the built-in
 * runtime's guard (runtime credential, no Origin, loopback or own-address Host, JSON bodies), its thread
 * files (`~/.agentdesk/threads/<id>.json`, here with the CLI's session id) and its trace client:
 * `GET /health`, `GET /verify` (the gateway lists the model, its key resolves, and one tiny request in
 * the CLI's API shape answers), `POST /turn` (one CLI run per turn, one turn per thread at a time),
 * `GET /threads/<id>`. @throws Error when the port cannot be bound.
 */
export async function startCliAdapter(
  driver: CliDriver,
  config: RuntimeConfig,
  env: Readonly<NodeJS.ProcessEnv>,
): Promise<CliAdapter> {
  addSecret(config.apiKey);
  addSecret(config.credential);
  await fs.mkdir(config.workspace, { recursive: true });
  const threads = new ThreadStore(config.threadsDir);
  const trace = new TraceClient({ baseUrl: config.baseUrl, apiKey: config.apiKey });
  const gateway = config.baseUrl.replace(/\/v1$/, '');
  return serveProtocol(config, {
    version: ADAPTER_VERSION,
    verify: () => verifyGateway(driver, config, gateway),
    turn: async ({ text, threadId }) => {
      const thread: CliThread = (await threads.load(threadId)) ?? threads.create(threadId);
      return async (emit, signal) => {
        try {
          await runCliTurn({
            driver,
            model: config.model,
            thread,
            text,
            cwd: config.workspace,
            trace,
            emit,
            signal,
            env,
          });
        } finally {
          await threads
            .save(thread)
            .catch((err: unknown) => logError('thread.failed', { thread: threadId, error: messageOf(err) }));
        }
      };
    },
    threads,
    trace,
    logFields: { model: config.model, harness: driver.label, version: ADAPTER_VERSION },
  });
}

/** Runs the adapter for `driver` from the container's environment until SIGTERM/SIGINT (exit 0); a bad environment exits 1. */
export function runCliAdapter(
  driver: CliDriver,
  env: Readonly<NodeJS.ProcessEnv>,
  load: (env: Readonly<NodeJS.ProcessEnv>) => RuntimeConfig,
): void {
  let config: RuntimeConfig;
  try {
    config = load(env);
  } catch (err) {
    logError('config.failed', { error: messageOf(err) });
    process.exit(1);
  }
  startCliAdapter(driver, config, env).then(
    (adapter) => {
      let stopping = false;
      const stop = (signal: NodeJS.Signals) => {
        if (stopping) return;
        stopping = true;
        logInfo('stopping', { signal });
        void adapter.close().finally(() => process.exit(0));
      };
      process.on('SIGTERM', stop);
      process.on('SIGINT', stop);
    },
    (err: unknown) => {
      logError('start.failed', { error: messageOf(err) });
      process.exit(1);
    },
  );
}
