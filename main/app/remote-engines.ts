// Composition of named engines: the runtime factory (Docker over ssh:// or tcp+TLS, Incus over HTTPS) and
// the Incus trust-token enrolment, built from the core's gateway and options.
import type { AppOptions } from '../platform/paths';
import type { Logger } from '../platform/logging';
import type { Gateway } from '../services/llm/gateway/gateway';
import type { EngineRecord } from '../services/runtimes/engine-target';
import type { ContainerRuntime, RuntimeKind } from '../services/runtimes/container-runtime';
import type { RuntimeFactory } from '../services/runtimes/runtimes';
import { makeRemoteDockerRuntime } from './remote-docker';
import { makeIncusRemoteRuntime } from './remote-incus';

/** What named engines' runtimes are built from. */
export interface RemoteEngineDeps {
  /** The core's data dir. */
  home: string;
  app: AppOptions;
  /** The gateway, whose TLS listener remote agents reach (started lazily by the first remote engine). */
  gateway: () => Gateway;
  /** This core's instance id (labels of what it creates on an engine). */
  instanceId: string;
  /** The runtimes of this machine's engines (images are sent from them). */
  local: () => Partial<Record<RuntimeKind, ContainerRuntime>>;
  log: Logger;
}

/**
 * The factory of named engines' runtimes: constructs only (no I/O; the first call that needs the engine
 * connects, and the gateway's TLS path is prepared when agents' network is). @throws Error for a
 * target this build cannot drive.
 */
export function remoteRuntimeFactory(deps: RemoteEngineDeps): RuntimeFactory {
  return (engine: EngineRecord): ContainerRuntime => {
    const t = engine.target;
    if (t.kind === 'docker' && t.transport !== 'local') return makeRemoteDockerRuntime(engine, deps);
    if (t.kind === 'incus' && t.transport === 'https') return makeIncusRemoteRuntime(engine, deps);
    throw new Error(`${t.kind} over ${t.transport} is not a named engine: it is this machine's own`);
  };
}
