// The runtime's HTTP server: GET /health, POST /turn (Server-Sent Events), GET /threads/<id>, by the shared protocol server.
import type { RuntimeConfig } from './config';
import { RUNTIME_VERSION } from './config';
import { serveProtocol } from './http-server';
import type { ProtocolServer } from './http-server';
import { addSecret } from './log';
import { ThreadStore } from './threads';
import { ToolBox } from './tools';
import { TraceClient } from './trace';
import { runTurn } from './turn';
import { verify } from './verify';
import { Workspace } from './workspace';

/** A running server: its port, and `close()` (stops accepting, cancels running turns, waits for them, flushes the trace ≤ 2 s). */
export type RuntimeServer = ProtocolServer;

/** Extra wiring for tests. */
export interface ServerOptions {
  /** Trace client to use (e.g. with short backoff); default one built from the config. */
  trace?: TraceClient;
}

/**
 * Starts the runtime's HTTP server on `config.host:config.port` (PROTOCOL.md "HTTP"). Creates the
 * workspace first. Errors answer `{error:{message}}` with 400 (bad JSON or field, naming it), 404, 405,
 * 409 (a turn already runs on the thread), 413 (body over 1 MiB) or 500.
 * @throws Error when the port cannot be bound (e.g. EADDRINUSE) or the workspace cannot be created.
 */
export async function startServer(config: RuntimeConfig, opts: ServerOptions = {}): Promise<RuntimeServer> {
  addSecret(config.apiKey);
  addSecret(config.credential);
  const workspace = new Workspace(config.workspace);
  await workspace.ensure();
  const threads = new ThreadStore(config.threadsDir);
  const tools = new ToolBox({ workspace, homeDir: config.homeDir, shellTimeoutMs: config.shellTimeoutMs });
  const trace = opts.trace ?? new TraceClient({ baseUrl: config.baseUrl, apiKey: config.apiKey });
  return serveProtocol(config, {
    version: RUNTIME_VERSION,
    verify: () => verify(config),
    turn: ({ text, threadId }) =>
      Promise.resolve((emit, signal) =>
        runTurn({ config, threads, tools, trace }, { text, threadId, emit, signal }),
      ),
    threads,
    trace,
    logFields: { model: config.model, agent: config.agentId, version: RUNTIME_VERSION },
  });
}
