// Docker engines over ssh:// or tcp+TLS as named engines.
import type { ContainerRuntime } from '../services/runtimes/container-runtime';
import type { EngineRecord } from '../services/runtimes/engine-target';
import type { RemoteEngineDeps } from './remote-engines';

/**
 * The runtime of a remote Docker engine.
 * @throws Error until remote Docker engines are wired into the core.
 */
export function makeRemoteDockerRuntime(engine: EngineRecord, _deps: RemoteEngineDeps): ContainerRuntime {
  throw new Error(`docker over ${engine.target.transport} is not available in this build of Agent Desk`);
}
