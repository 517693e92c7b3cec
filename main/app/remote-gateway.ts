// The gateway's TLS listener for agents on named engines: enabled once with the core's certificate, bound
// on one more local address per engine host, on the same port every run.
import path from 'node:path';
import {
  loadGatewayTlsIdentity,
  rememberTlsPort,
  rememberedTlsPort,
} from '../services/llm/gateway/tls-identity';
import type { RemoteGatewayAddress } from '../services/runtimes/engine-target';
import type { RemoteEngineDeps } from './remote-engines';

/** The folder of the gateway's TLS certificate, key and port in the data dir `home`. */
export function gatewayTlsDir(home: string): string {
  return path.join(home, 'gateway-tls');
}

/** One enabling at a time per gateway (two engines preparing at once share it). */
const enabling = new WeakMap<object, Promise<void>>();

/**
 * Makes sure the gateway's TLS listener is enabled (the certificate of `<home>/gateway-tls`, made once; the
 * port of the last run when there was one, so agents' env files stay right) and listens on `address`,
 * then keeps its port for the next run. Idempotent and safe to call concurrently.
 * @param address a local IP address: `127.0.0.1` for the end of an SSH reverse tunnel, or the address that
 *   routes to an engine's host (`localAddressTowards(host)`).
 * @returns what agents on that engine are given (`agentdesk-gateway`, the TLS port, the pinned certificate).
 * @throws GatewayTlsNotPrivateError when the TLS folder or key is not private; Error when the address cannot
 *   be listened on (the message names it and why).
 */
export async function ensureGatewayTls(
  deps: Pick<RemoteEngineDeps, 'home' | 'gateway'>,
  address: string,
): Promise<RemoteGatewayAddress> {
  const gateway = deps.gateway();
  const dir = gatewayTlsDir(deps.home);
  let ready = enabling.get(gateway);
  if (!ready) {
    ready = (async () => {
      const identity = await loadGatewayTlsIdentity(dir);
      gateway.enableTls(identity, rememberedTlsPort(dir));
    })();
    enabling.set(gateway, ready);
    ready.catch(() => enabling.delete(gateway));
  }
  await ready;
  const bound = await gateway.addTlsBind(address);
  if (!bound.ok) throw new Error(bound.error);
  const remote = gateway.remoteGatewayAddress();
  if (rememberedTlsPort(dir) !== remote.port) rememberTlsPort(dir, remote.port);
  return remote;
}
