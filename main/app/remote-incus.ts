// Incus remotes over HTTPS as named engines: the runtime and the trust-token enrolment.
import type { ContainerRuntime } from '../services/runtimes/container-runtime';
import type { EngineRecord } from '../services/runtimes/engine-target';
import type { RemoteEngineDeps } from './remote-engines';

/**
 * The runtime of an Incus remote.
 * @throws Error until Incus remotes are wired into the core.
 */
export function makeIncusRemoteRuntime(engine: EngineRecord, _deps: RemoteEngineDeps): ContainerRuntime {
  throw new Error(`incus over ${engine.target.transport} is not available in this build of Agent Desk`);
}
