// Docker engines over ssh:// or tcp+TLS as named engines: the runtime with its gateway link and image supply.
import crypto from 'node:crypto';
import path from 'node:path';
import { sshSettingsFor } from '../platform/ssh';
import { BASE_IMAGE_REF } from '../services/images/image-manifest';
import type { ContainerRuntime } from '../services/runtimes/container-runtime';
import { DockerRuntime } from '../services/runtimes/docker/docker-runtime';
import type { EngineRecord } from '../services/runtimes/engine-target';
import { startGatewayTunnel } from '../services/runtimes/remote/gateway-tunnel';
import type { GatewayTunnel } from '../services/runtimes/remote/gateway-tunnel';
import { localAddressTowards } from '../services/runtimes/remote/local-address';
import { RemoteDockerRuntime } from '../services/runtimes/remote/remote-docker-runtime';
import type { RemoteGatewayLink } from '../services/runtimes/remote/remote-docker-runtime';
import type { RemoteEngineDeps } from './remote-engines';
import { ensureGatewayTls } from './remote-gateway';

/**
 * The folder of a remote engine's runtime sockets: `<home>/run/r-<8 hex of the engine id>` (short: every
 * socket path must fit in 107 bytes). The runtime forwarder makes it 0700 and checks it at each open.
 */
export function remoteSocketDir(home: string, engineId: string): string {
  const dir = path.join(
    home,
    'run',
    `r-${crypto.createHash('sha256').update(engineId).digest('hex').slice(0, 8)}`,
  );
  return dir;
}

/**
 * The runtime of a remote Docker engine (see RemoteDockerRuntime). Constructs only: the transport
 * connects, and the gateway's TLS listener, the SSH tunnel and the relay are made, on the first call that
 * needs them. @throws Error for a target that is not a remote Docker one.
 */
export function makeRemoteDockerRuntime(engine: EngineRecord, deps: RemoteEngineDeps): ContainerRuntime {
  const t = engine.target;
  if (t.kind !== 'docker' || t.transport === 'local')
    throw new Error(`engine ${engine.id} is not a remote Docker engine`);
  const ssh = sshSettingsFor(deps.app, deps.home);
  let tunnel: GatewayTunnel | null = null;
  const link: RemoteGatewayLink =
    t.transport === 'tls'
      ? {
          // tcp+TLS: the listener on the local address that routes to the engine host; the relay connects to it.
          prepare: async () => {
            const local = await localAddressTowards(t.host);
            const address = await ensureGatewayTls(deps, local);
            return { address, upstream: { kind: 'tcp', host: local, port: address.port } };
          },
          close: () => Promise.resolve(),
        }
      : {
          // ssh://: the listener on loopback only, reached through a reverse tunnel to a socket on the engine host.
          prepare: async () => {
            const address = await ensureGatewayTls(deps, '127.0.0.1');
            tunnel ??= await startGatewayTunnel({ ssh, dest: t.ssh, tlsPort: address.port });
            return { address, upstream: tunnel.upstream };
          },
          close: async () => {
            await tunnel?.stop();
            tunnel = null;
          },
        };
  const rt: RemoteDockerRuntime = new RemoteDockerRuntime({
    env: deps.app.env,
    target: t,
    ssh,
    log: {
      info: (m) => deps.log.info({ engine: engine.id }, m),
      warn: (m) => deps.log.warn({ engine: engine.id }, m),
      error: (m) => deps.log.error({ engine: engine.id }, m),
    },
    link,
    socketDir: remoteSocketDir(deps.home, engine.id),
    relayImage: BASE_IMAGE_REF,
    instanceId: deps.instanceId,
    engineHost: t.transport === 'tls' ? t.host : t.ssh.host,
    ensureImage: async (ref) => {
      if (await rt.imagePresent(ref)) return;
      const local = deps.local().docker;
      if (!(local instanceof DockerRuntime) || !(await local.imagePresent(ref)))
        throw new Error(
          `The image ${ref} is not on this machine's Docker, so it cannot be sent to the engine "${engine.name}": build it here first (create an agent on this computer once)`,
        );
      await local.sendImage(rt, ref);
    },
  });
  return rt;
}
